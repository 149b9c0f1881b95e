// What the scheduler's health check events are made of: the health checks a change of the root
// adds and removes (add_health_check_event, remove_health_check_event), and the failed checks a
// task's update reports (failed_health_check_event). Pure, and ordered by app id and check index,
// so that the events come out in the same order on every run.
//
// A health check belongs to an app configuration: a created app, a changed definition or a
// restart adds the checks of its new configuration and removes those of the one it replaces; a
// deleted app removes its checks; a scale (only `instances` changed) touches none.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "common/clock.h"
#include "marathon/app_definition.h"

namespace berth {
struct TaskRecord;
}

namespace berth::scheduler {

struct HealthCheckChange {
  std::string app_id;
  WallTime version;  // the app version that adds the check (unset for a removal)
  marathon::HealthCheck check;
  bool added = false;
};

// The checks going from `before` to `after` (apps by id) removes, then adds, app by app.
std::vector<HealthCheckChange> health_check_changes(
    const std::map<std::string, marathon::AppDefinition>& before,
    const std::map<std::string, marathon::AppDefinition>& after);

// Remembers each live task's last health results, to tell a new failure from one already seen
// again on a later update (the agent repeats every result on each update of the task).
class FailedCheckTracker {
 public:
  // The indices of the checks that failed since the task's previous results, and remembers the
  // new ones. A task that has ended is forgotten.
  std::vector<std::size_t> new_failures(const TaskRecord& task);

 private:
  std::map<std::string, std::vector<HealthCheckResult>> seen_;  // by task id
};

}  // namespace berth::scheduler
