// What the scheduler asks MasterCore for when it starts one task of an app: resources, ports,
// command, Marathon's task environment, health and readiness checks and fetch URIs.
#pragma once

#include <string>

#include "marathon/app_definition.h"
#include "master/master_core.h"

namespace berth::scheduler {

// Task ids in Marathon's pre-1.5 form, "<app path with '/' as '_'>.<uuid>" (marathon-api.md
// §13): ids never contain '_', so the app id is recovered by undoing the replacement.
std::string task_id_for(const std::string& app_id, const std::string& uuid);
// The app id a task id belongs to, or "" when it is not in that form.
std::string app_id_of_task(const std::string& task_id);

// The launch request for one new task of `app`. The caller adds the placement filter.
LaunchRequest launch_request(const marathon::AppDefinition& app, const std::string& uuid);

}  // namespace berth::scheduler
