// TaskRecord: the master's record of one task: what it runs, where, and the last state its agent
// reported. Persisted under "tasks/<id>" before any change to it is acknowledged.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "common/clock.h"
#include "common/result.h"

namespace berth {

struct TaskRecord {
  TaskSpec spec;  // as launched, but for its environment (see MasterCore::launch)
  std::string agent_id;
  std::string hostname;
  std::vector<std::uint64_t> ports;
  TaskState state = TaskState::kStaging;
  std::string reason;
  std::string message;
  WallTime staged_at;
  std::optional<WallTime> started_at;
  WallTime updated_at;
  std::uint64_t last_update_seq = 0;  // updates at or below it were applied already
  // The agent's latest health and readiness results (StatusUpdate's fields of the same names).
  std::optional<bool> healthy;
  std::vector<HealthCheckResult> health_results;
  std::optional<bool> ready;
  bool kill_requested = false;

  const std::string& id() const { return spec.task_id; }
};

// Takes the health and readiness an update carries; fields it does not carry stay as they were.
void apply_health(TaskRecord& task, const StatusUpdate& update);
// Why the task should be killed for its health, if it should: some check has failed at least
// its max_consecutive_failures (> 0) times in a row. For the app scheduler, which kills and
// replaces; bare tasks are left alone.
std::optional<std::string> health_kill_reason(const TaskRecord& task);

std::string task_to_json(const TaskRecord& task);
Result<TaskRecord> task_from_json(std::string_view json);

}  // namespace berth
