// Marathon's Task object (marathon-api.md §13) and the AppInfo of an app with its tasks (§4.3),
// rendered from the master's task records with exactly the keys python3-marathon accepts.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "marathon/app_definition.h"
#include "marathon/embed.h"
#include "marathon_api/api_context.h"

namespace berth::marathon_api {

// Live tasks per app id, built once per request (one pass over the master's tasks).
using TasksByApp = std::map<std::string, std::vector<const TaskRecord*>>;
TasksByApp tasks_by_app(const MasterCore& master);

std::string task_json(const TaskRecord& task, const marathon::AppDefinition* app);
std::string tasks_array_json(const std::vector<const TaskRecord*>& tasks,
                             const marathon::AppDefinition* app);

std::string app_info(const ApiContext& context, const marathon::AppDefinition& app,
                     const std::vector<const TaskRecord*>& tasks, const marathon::AppEmbed& embed);

}  // namespace berth::marathon_api
