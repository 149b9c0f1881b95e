// Health checks added and removed by a change of the root, and failed checks of a task.
#include "scheduler/health_check_events.h"

#include "master/task_record.h"

namespace berth::scheduler {
namespace {

using marathon::AppDefinition;

void removals(const AppDefinition& app, std::vector<HealthCheckChange>& out) {
  for (const marathon::HealthCheck& check : app.health_checks) {
    out.push_back({app.id, WallTime{}, check, false});
  }
}

void additions(const AppDefinition& app, std::vector<HealthCheckChange>& out) {
  for (const marathon::HealthCheck& check : app.health_checks) {
    out.push_back({app.id, app.version, check, true});
  }
}

// A result that counts a failure the previous one did not: a first failure, one more in a row,
// or a failure at another time (a failure after a success starts again at one).
bool is_new_failure(const HealthCheckResult& now, const HealthCheckResult* before) {
  if (now.alive || now.consecutive_failures == 0) return false;
  return before == nullptr || before->consecutive_failures != now.consecutive_failures ||
         before->last_failure_ms != now.last_failure_ms;
}

}  // namespace

std::vector<HealthCheckChange> health_check_changes(
    const std::map<std::string, AppDefinition>& before,
    const std::map<std::string, AppDefinition>& after) {
  std::vector<HealthCheckChange> changes;
  auto old_it = before.begin();
  auto new_it = after.begin();
  // Both maps in id order at once, so that the changes are in app order.
  while (old_it != before.end() || new_it != after.end()) {
    if (new_it == after.end() || (old_it != before.end() && old_it->first < new_it->first)) {
      removals(old_it++->second, changes);
    } else if (old_it == before.end() || new_it->first < old_it->first) {
      additions(new_it++->second, changes);
    } else {
      const AppDefinition& old_app = old_it++->second;
      const AppDefinition& new_app = new_it++->second;
      if (old_app.version_info.last_config_change_at ==
          new_app.version_info.last_config_change_at) {
        continue;
      }
      removals(old_app, changes);
      additions(new_app, changes);
    }
  }
  return changes;
}

std::vector<std::size_t> FailedCheckTracker::new_failures(const TaskRecord& task) {
  if (is_terminal(task.state)) {
    seen_.erase(task.id());
    return {};
  }
  if (task.health_results.empty()) return {};
  std::vector<std::size_t> failed;
  auto& seen = seen_[task.id()];
  for (std::size_t i = 0; i < task.health_results.size(); ++i) {
    const HealthCheckResult* before = i < seen.size() ? &seen[i] : nullptr;
    if (is_new_failure(task.health_results[i], before)) failed.push_back(i);
  }
  seen = task.health_results;
  return failed;
}

}  // namespace berth::scheduler
