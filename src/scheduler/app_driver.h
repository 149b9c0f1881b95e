// AppDriver: the decision, for one app, of what to launch and what to kill right now to move its
// tasks towards the definition it is being driven to. A pure function of the target, the tasks
// and the time, called again whenever any of them changes; it keeps no memory of its own, so a
// master that restarts in the middle of a rolling upgrade simply carries on from what it finds.
//
// Tasks of the app fall into:
//
//   current   launched from the target's configuration (task app_version == the target's
//             lastConfigChangeAt); a pure scale keeps tasks current
//   old       launched from an earlier configuration: replaced under the upgrade strategy
//   leaving   a kill was requested or they are TASK_KILLING: counted nowhere
//   inactive  unreachable for longer than unreachableStrategy.inactiveAfterSeconds (at once by
//             default): replaced, and killed if they come back while the app has enough
//
// Rolling replacement keeps two invariants, from Marathon's upgradeStrategy (m, o) with n target
// instances: at least ceil(n*m) tasks stay ready (running, and healthy when the app has health
// checks), and no more than floor(n*(1+o)) exist at once. When both bounds meet and nothing can
// move, one extra task is allowed (Marathon's deadlock breaker).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "marathon/app_definition.h"
#include "master/agent_registry.h"
#include "master/task_record.h"

namespace berth::scheduler {

struct DriveInput {
  // nullptr: the app is being stopped (deleted): every task goes.
  const marathon::AppDefinition* target = nullptr;
  std::vector<const TaskRecord*> tasks;  // the app's non-terminal tasks
  WallTime now;
  // The agents, for choosing which tasks go on a scale-down so that the rest still satisfy the
  // app's constraints; without them, killSelection alone decides.
  const std::map<std::string, AgentRecord>* agents = nullptr;
};

struct DriveDecision {
  std::size_t launch = 0;              // new tasks to start from the target
  std::vector<std::string> kill;       // task ids, in the order to kill them
  std::vector<std::string> unhealthy;  // subset of `kill`: failed their health checks
  // Unreachable for longer than unreachableStrategy.expungeAfterSeconds: given up on.
  std::vector<std::string> expunge;
  // When the decision changes by the passing of time alone (an unreachable task becoming
  // inactive, or due for expunging): the caller looks again then.
  std::optional<WallTime> look_again_at;
  // The target is reached: no old task left, exactly n current tasks, all ready.
  bool done = false;
  // Counts for the API (tasksRunning etc. are computed elsewhere from the tasks themselves).
  std::size_t current = 0;
  std::size_t old = 0;
};

// The version string tasks of `app` are launched with and compared against.
std::string config_version(const marathon::AppDefinition& app);

// Running, and healthy if the app has health checks.
bool is_ready(const TaskRecord& task, const marathon::AppDefinition& app);

DriveDecision drive(const DriveInput& input);

}  // namespace berth::scheduler
