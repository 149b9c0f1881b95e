// The per-app launch and kill decision; see app_driver.h for the invariants.
#include "scheduler/app_driver.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "common/time_format.h"
#include "scheduler/constraint_matcher.h"

namespace berth::scheduler {
namespace {

using marathon::AppDefinition;
using marathon::KillSelection;

bool is_leaving(const TaskRecord& task) {
  return task.kill_requested || task.state == TaskState::kKilling;
}

// Unreachable long enough that the app replaces it.
bool is_inactive(const TaskRecord& task, const AppDefinition& app, WallTime now) {
  if (task.state != TaskState::kUnreachable) return false;
  if (app.unreachable_strategy.disabled) return false;
  auto after = std::chrono::seconds(app.unreachable_strategy.inactive_after_seconds);
  return now - task.updated_at >= after;
}

// The order in which tasks of an app are chosen for killing: not yet running first (they serve
// nothing), then by killSelection.
void order_for_kill(std::vector<const TaskRecord*>& tasks, KillSelection selection) {
  std::stable_sort(tasks.begin(), tasks.end(),
                   [selection](const TaskRecord* a, const TaskRecord* b) {
                     bool a_running = a->state == TaskState::kRunning;
                     bool b_running = b->state == TaskState::kRunning;
                     if (a_running != b_running) return !a_running;
                     if (selection == KillSelection::kYoungestFirst)
                       return a->staged_at > b->staged_at;
                     return a->staged_at < b->staged_at;
                   });
}

// ceil(n*m) and floor(n*(1+o)), robust to 3*0.7 = 2.0999999999999996.
std::size_t min_healthy(std::size_t n, double m) {
  return static_cast<std::size_t>(std::ceil(static_cast<double>(n) * m - 1e-9));
}
std::size_t max_capacity(std::size_t n, double o) {
  return static_cast<std::size_t>(std::floor(static_cast<double>(n) * (1.0 + o) + 1e-9));
}

void kill_all(const std::vector<const TaskRecord*>& tasks, DriveDecision& decision) {
  for (const TaskRecord* task : tasks) decision.kill.push_back(task->id());
}

// Scale-down: tasks not yet running go first (they serve nothing); among running ones the
// constraints decide which to keep (the spread they ask for), then killSelection.
void kill_surplus(const AppDefinition& app, std::vector<const TaskRecord*> tasks, std::size_t count,
                  const std::map<std::string, AgentRecord>* agents, DriveDecision& decision) {
  order_for_kill(tasks, app.kill_selection);
  auto matcher = ConstraintMatcher::create(app.constraints);
  if (app.constraints.empty() || agents == nullptr || !matcher.ok()) {
    tasks.resize(count);
    kill_all(tasks, decision);
    return;
  }
  std::vector<PlacedInstance> running;
  for (const TaskRecord* task : tasks) {
    if (task->state != TaskState::kRunning && count > 0) {
      decision.kill.push_back(task->id());
      --count;
    } else {
      running.push_back({task->id(), task->agent_id, task->staged_at});
    }
  }
  for (const std::string& id :
       matcher->select_instances_to_kill(running, count, app.kill_selection, *agents)) {
    decision.kill.push_back(id);
  }
}

}  // namespace

std::string config_version(const AppDefinition& app) {
  return format_timestamp(app.version_info.last_config_change_at);
}

bool is_ready(const TaskRecord& task, const AppDefinition& app) {
  if (task.state != TaskState::kRunning) return false;
  if (!app.readiness_checks.empty() && !task.ready.value_or(false)) return false;
  if (app.health_checks.empty()) return true;
  return task.healthy.value_or(false);
}

DriveDecision drive(const DriveInput& input) {
  DriveDecision decision;
  if (input.target == nullptr) {
    std::vector<const TaskRecord*> killable;
    for (const TaskRecord* task : input.tasks) {
      // An unreachable task cannot be killed now; its agent kills it when it comes back.
      if (!is_leaving(*task) && task->state != TaskState::kUnreachable) killable.push_back(task);
    }
    kill_all(killable, decision);
    decision.done = std::none_of(input.tasks.begin(), input.tasks.end(), [](const TaskRecord* t) {
      return t->state != TaskState::kUnreachable;
    });
    return decision;
  }

  const AppDefinition& app = *input.target;
  const std::string version = config_version(app);
  std::vector<const TaskRecord*> current;
  std::vector<const TaskRecord*> old;
  std::vector<const TaskRecord*> inactive;
  std::size_t leaving = 0;  // still running until their kill completes
  auto look_again = [&decision](WallTime at) {
    if (!decision.look_again_at || at < *decision.look_again_at) decision.look_again_at = at;
  };
  const auto inactive_after = std::chrono::seconds(app.unreachable_strategy.inactive_after_seconds);
  const auto expunge_after = std::chrono::seconds(app.unreachable_strategy.expunge_after_seconds);
  for (const TaskRecord* task : input.tasks) {
    if (task->state == TaskState::kUnreachable && !app.unreachable_strategy.disabled) {
      if (input.now - task->updated_at < inactive_after)
        look_again(task->updated_at + inactive_after);
      if (input.now - task->updated_at < expunge_after)
        look_again(task->updated_at + expunge_after);
    }
    if (is_leaving(*task)) {
      ++leaving;
      continue;
    }
    if (is_inactive(*task, app, input.now)) {
      inactive.push_back(task);
    } else if (task->spec.app_version == version) {
      current.push_back(task);
    } else {
      old.push_back(task);
    }
  }
  decision.current = current.size();
  decision.old = old.size();
  for (const TaskRecord* task : inactive) {
    if (input.now - task->updated_at >= expunge_after) decision.expunge.push_back(task->id());
  }

  // Health: a task past its allowed consecutive failures is killed and replaced.
  auto failed_health = [&app](const TaskRecord* task) {
    for (std::size_t i = 0; i < app.health_checks.size() && i < task->health_results.size(); ++i) {
      auto limit = app.health_checks[i].max_consecutive_failures;
      if (limit > 0 &&
          task->health_results[i].consecutive_failures >= static_cast<std::uint32_t>(limit)) {
        return true;
      }
    }
    return false;
  };
  for (auto* group : {&current, &old}) {
    auto split = std::stable_partition(
        group->begin(), group->end(), [&](const TaskRecord* task) { return !failed_health(task); });
    for (auto it = split; it != group->end(); ++it) {
      decision.kill.push_back((*it)->id());
      decision.unhealthy.push_back((*it)->id());
    }
    group->erase(split, group->end());
  }

  const std::size_t n = static_cast<std::size_t>(std::max<std::int64_t>(0, app.instances));
  std::size_t ceiling = max_capacity(n, app.upgrade_strategy.maximum_over_capacity);
  if (old.empty()) {
    // Tasks still being killed count against the ceiling, so that an app that may not run
    // over capacity (a single writer on a volume) starts its replacement only once they ended.
    std::size_t alive = current.size() + leaving;
    if (current.size() < n) {
      std::size_t room = ceiling > alive ? ceiling - alive : 0;
      decision.launch = std::min(n - current.size(), room);
    }
    if (current.size() > n) kill_surplus(app, current, current.size() - n, input.agents, decision);
    // Done once every task runs the target and is ready, and the ones being killed have ended.
    // Inactive (unreachable) tasks do not hold it: they were replaced, and if they come back
    // they count as current again and are scaled away.
    decision.done = decision.kill.empty() && decision.launch == 0 && leaving == 0 &&
                    std::all_of(current.begin(), current.end(),
                                [&app](const TaskRecord* task) { return is_ready(*task, app); });
    return decision;
  }

  // Rolling replacement.
  const std::size_t floor_ready = min_healthy(n, app.upgrade_strategy.minimum_health_capacity);
  std::size_t ready_new = static_cast<std::size_t>(std::count_if(
      current.begin(), current.end(), [&app](const TaskRecord* t) { return is_ready(*t, app); }));
  std::size_t ready_old = static_cast<std::size_t>(std::count_if(
      old.begin(), old.end(), [&app](const TaskRecord* t) { return is_ready(*t, app); }));

  // Old tasks that are not ready protect nothing: they go first.
  order_for_kill(old, app.kill_selection);
  // A task being killed keeps its place until it has ended.
  const std::size_t alive = old.size() + current.size() + leaving;
  std::size_t ready = ready_old + ready_new;
  std::size_t kill_old = 0;
  for (const TaskRecord* task : old) {
    bool task_ready = is_ready(*task, app);
    if (task_ready && ready <= floor_ready) break;
    if (task_ready) --ready;
    ++kill_old;
  }
  // Never more current tasks than the target; surplus current tasks go too.
  std::size_t want_new = n > current.size() ? n - current.size() : 0;
  std::size_t room = ceiling > alive ? ceiling - alive : 0;
  decision.launch = std::min(want_new, room);
  if (kill_old == 0 && leaving == 0 && decision.launch == 0 && want_new > 0 &&
      ready_new == current.size()) {
    // Deadlock breaker: nothing may be killed and nothing fits. A task on a resident app
    // cannot exceed its reservations, so it kills one more instead.
    if (app.has_persistent_volumes() || app.has_external_volumes()) {
      kill_old = std::min<std::size_t>(1, old.size());
    } else {
      decision.launch = 1;
    }
  }
  for (std::size_t i = 0; i < kill_old; ++i) decision.kill.push_back(old[i]->id());
  return decision;
}

}  // namespace berth::scheduler
