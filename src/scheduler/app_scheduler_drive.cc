// AppScheduler, the driving half: after every task change (coalesced) and on a steady tick, each
// app's tasks are moved towards the definition its deployment step allows, and deployments
// advance when every action of their current step is done.
#include <algorithm>
#include <cmath>

#include "common/time_format.h"
#include "master/master_core.h"
#include "scheduler/app_driver.h"
#include "scheduler/app_scheduler.h"
#include "scheduler/app_volumes.h"
#include "scheduler/constraint_matcher.h"
#include "scheduler/launch_spec.h"
#include "scheduler/stored_keys.h"
#include "state/state_store.h"

namespace berth::scheduler {
namespace {

using marathon::AppDefinition;

bool is_failure(TaskState state) {
  return state == TaskState::kFailed || state == TaskState::kError || state == TaskState::kLost ||
         state == TaskState::kDropped || state == TaskState::kGone;
}

// Failures of the task itself, which the launch backoff slows down. A task lost or given up
// with its node is not one: delaying its replacement would only lengthen a failover.
bool is_task_failure(TaskState state) {
  return state == TaskState::kFailed || state == TaskState::kError || state == TaskState::kDropped;
}

// The filter reason of agents refused because the app's volume is (or lives) on another one.
constexpr char kVolumeElsewhere[] = "its volume is on another agent";

// Marathon's queue reasons for the allocator's refusals.
std::string queue_reason(const std::string& refusal) {
  if (refusal == "not enough cpus") return "InsufficientCpus";
  if (refusal == "not enough mem") return "InsufficientMemory";
  if (refusal == "not enough disk") return "InsufficientDisk";
  if (refusal == "not enough gpus") return "InsufficientGpus";
  if (refusal == "not enough ports" || refusal.rfind("port ", 0) == 0) return "InsufficientPorts";
  if (refusal == "unreachable or not re-registered") return "AgentMaintenance";
  if (refusal == kVolumeElsewhere) return "NoCorrespondingReservationFound";
  return "UnfulfilledConstraint";
}

}  // namespace

void AppScheduler::on_task_changed(const TaskRecord& task) {
  if (task.spec.app_id.empty()) return;
  for (std::size_t index : failed_checks_.new_failures(task)) {
    auto check = health_check_of(task, index);
    if (check && events_.failed_health_check) events_.failed_health_check(task, *check);
  }
  if (is_terminal(task.state) && is_failure(task.state) && !task.kill_requested) {
    AppRuntime& runtime = runtime_[task.spec.app_id];
    runtime.last_failure = task.id();
    if (find_app(task.spec.app_id) != nullptr && is_task_failure(task.state)) {
      runtime.backoff.record_failure(clock_.now());
    }
  }
  mark_dirty(task.spec.app_id);
}

std::optional<marathon::HealthCheck> AppScheduler::health_check_of(const TaskRecord& task,
                                                                   std::size_t index) const {
  auto version = parse_timestamp(task.spec.app_version);
  if (!version.ok()) return std::nullopt;
  // Most tasks run the declared configuration (a scale gives the app a newer version with the
  // same checks); older ones are looked up in the stored versions.
  const AppDefinition* declared = find_app(task.spec.app_id);
  std::optional<AppDefinition> stored;
  if (declared == nullptr || *version < declared->version_info.last_config_change_at ||
      *version > declared->version) {
    auto found = this->version(task.spec.app_id, *version);
    if (!found.ok()) return std::nullopt;
    stored = std::move(*found);
  }
  const AppDefinition& app = stored ? *stored : *declared;
  if (index >= app.health_checks.size()) return std::nullopt;
  return app.health_checks[index];
}

void AppScheduler::volume_changed(const std::string& app_id) {
  if (app_id.empty()) return;
  mark_dirty(app_id);
}

void AppScheduler::wake_app_at(const std::string& app_id, AppRuntime& runtime, Instant at) {
  if (runtime.wake_timer != 0 && runtime.wake_at <= at) return;
  clock_.cancel(runtime.wake_timer);
  runtime.wake_at = at;
  Duration delay = at > clock_.now() ? at - clock_.now() : Duration::zero();
  runtime.wake_timer = clock_.schedule(delay, [this, app_id] {
    runtime_[app_id].wake_timer = 0;
    mark_dirty(app_id);
  });
}

void AppScheduler::mark_dirty(const std::string& app_id) {
  dirty_.insert(app_id);
  schedule_reconcile();
}

void AppScheduler::schedule_reconcile(bool full) {
  full_pass_ = full_pass_ || full;
  if (soon_timer_ != 0 || !recovered_) return;
  soon_timer_ = clock_.schedule(Duration::zero(), [this] {
    soon_timer_ = 0;
    reconcile();
  });
}

const AppDefinition* AppScheduler::drive_target(const std::string& app_id) const {
  for (const auto& [id, deployment] : deployments_) {
    if (!deployment.affects(app_id)) continue;
    bool begun = deployment.current_step >= deployment.step_of(app_id);
    const auto& side = begun ? deployment.target : deployment.original;
    auto it = side.find(app_id);
    return it == side.end() ? nullptr : &it->second;
  }
  return find_app(app_id);
}

void AppScheduler::reconcile() {
  if (reconciling_) return;
  reconciling_ = true;
  // A full pass on the steady tick and after recovery; otherwise only the apps that changed
  // (a task of theirs, or their deployment), which keeps an API call or a status update cheap
  // on a master with thousands of apps.
  std::set<std::string> apps;
  if (full_pass_) {
    for (const auto& [id, app] : root_.apps) apps.insert(id);
    for (const auto& [id, tasks] : master_.live_tasks_by_app()) apps.insert(id);
    for (const auto& [id, since] : stopping_) apps.insert(id);
  } else {
    apps = std::move(dirty_);
  }
  full_pass_ = false;
  dirty_.clear();
  for (const auto& [id, deployment] : deployments_) {
    apps.insert(deployment.plan.affected_apps.begin(), deployment.plan.affected_apps.end());
  }
  for (const std::string& id : apps) drive_app(id, master_.live_tasks_of(id));
  for (auto it = stopping_.begin(); it != stopping_.end();) {
    bool gone = master_.live_tasks_of(it->first).empty() && root_.apps.count(it->first) == 0;
    if (gone && events_.app_terminated) events_.app_terminated(it->first);
    // Like Marathon on app_terminated_event: the app's last task failure goes with it, so that
    // an app created again under the same id does not show its predecessor's failure.
    if (gone) {
      if (auto runtime = runtime_.find(it->first); runtime != runtime_.end()) {
        runtime->second.last_failure.reset();
      }
    }
    // Marathon destroys a resident app's persistent volumes with the app.
    if (gone && volumes_ != nullptr) volumes_->wipe_app(it->first);
    it = gone ? stopping_.erase(it) : std::next(it);
  }
  if (volumes_ != nullptr) volumes_->settle();
  advance_deployments();
  reconciling_ = false;
  if (reconcile_timer_ == 0) {
    reconcile_timer_ = clock_.schedule(config_.reconcile_interval, [this] {
      reconcile_timer_ = 0;
      full_pass_ = true;
      reconcile();
    });
  }
}

void AppScheduler::drive_app(const std::string& app_id,
                             const std::vector<const TaskRecord*>& tasks) {
  const AppDefinition* target = drive_target(app_id);
  bool declared = target != nullptr;
  bool starting = false;
  if (!declared) {
    // Not declared and not in a deployment that still needs it: a new app whose step has not
    // begun has no tasks to touch; anything else is stopped.
    for (const auto& [id, deployment] : deployments_) {
      if (deployment.affects(app_id) && deployment.original.count(app_id) == 0 &&
          deployment.current_step < deployment.step_of(app_id)) {
        starting = true;
      }
    }
    if (starting || tasks.empty()) {
      runtime_[app_id].waiting = false;
      return;
    }
  }
  DriveDecision decision = drive({target, tasks, clock_.wall(), &master_.agents().all()});
  for (const std::string& task_id : decision.kill) {
    auto status = master_.kill(task_id);
    bool unhealthy = std::find(decision.unhealthy.begin(), decision.unhealthy.end(), task_id) !=
                     decision.unhealthy.end();
    if (status.ok() && unhealthy && events_.unhealthy_task_killed) {
      if (const TaskRecord* task = master_.find_task(task_id)) {
        events_.unhealthy_task_killed(*task, "failed health checks");
      }
    }
  }
  for (const std::string& task_id : decision.expunge) (void)master_.expunge(task_id);
  AppRuntime& runtime = runtime_[app_id];
  if (decision.look_again_at) {
    wake_app_at(app_id, runtime, clock_.now() + (*decision.look_again_at - clock_.wall()));
  }
  if (target == nullptr || decision.launch == 0) {
    runtime.waiting = false;
    return;
  }
  if (!runtime.waiting) {
    runtime.waiting = true;
    runtime.queue = QueueEntry{};
    runtime.queue.app_id = app_id;
    runtime.queue.since = clock_.wall();
  }
  runtime.queue.count = decision.launch;
  runtime.backoff.expire(clock_.now());
  runtime.queue.delay_until = runtime.backoff.deadline();
  if (runtime.backoff.delayed(clock_.now())) {
    wake_app_at(app_id, runtime, runtime.backoff.deadline());
    return;
  }
  launch(*target, decision.launch, runtime, tasks);
}

Result<TaskRecord> AppScheduler::launch_with_volumes(const AppDefinition& app,
                                                     LaunchRequest request,
                                                     std::string& refusal_detail) {
  if (volumes_ == nullptr) return unavailable("this master does not manage volumes");
  auto needs = volumes_->needs(app, master_.live_tasks_of(app.id));
  if (!needs.ok()) return needs.error();
  // Agents that said which drivers they have and lack one are no use (agents from before they
  // said are tried, and fail the launch if they lack it).
  request.filter = [drivers = volumes_->drivers(*needs), &refusal_detail,
                    base = std::move(request.filter)](const AgentRecord& agent) {
    if (agent.volume_drivers) {
      for (const std::string& driver : drivers) {
        if (std::find(agent.volume_drivers->begin(), agent.volume_drivers->end(), driver) ==
            agent.volume_drivers->end()) {
          refusal_detail =
              "agent " + agent.hostname + " has no volume driver '" + driver + "'" +
              (driver == "blockpool" ? " (an agent offers it with --volume_pool)" : "");
          return false;
        }
      }
    }
    return base(agent);
  };
  if (auto pinned = volumes_->placement(*needs)) {
    request.filter = [pinned, &refusal_detail,
                      base = std::move(request.filter)](const AgentRecord& agent) {
      if (agent.id == pinned->agent_id) return base(agent);
      refusal_detail = pinned->reason;
      return false;
    };
    request.filter_reason = kVolumeElsewhere;
    // Only agents of the pinned one's hostname need a look.
    if (const AgentRecord* agent = master_.agents().find(pinned->agent_id)) {
      request.hints.only_where = AgentFieldValue{"hostname", agent->hostname};
    }
  }
  request.complete_spec = [this, &app, &needs, base = std::move(request.complete_spec)](
                              TaskSpec& spec, const AgentRecord& agent) -> Status {
    if (base) {
      if (auto status = base(spec, agent); !status.ok()) return status;
    }
    auto claimed = volumes_->claim(spec.task_id, agent.id, app.id, *needs);
    if (!claimed.ok()) return claimed.error();
    spec.volumes = std::move(*claimed);
    return {};
  };
  auto launched = master_.launch(request);
  // Claims made for a launch that did not persist go at once (no-op when none were made).
  if (!launched.ok()) volumes_->release(request.task_id);
  return launched;
}

void AppScheduler::launch(const AppDefinition& app, std::size_t count, AppRuntime& runtime,
                          const std::vector<const TaskRecord*>& tasks) {
  if (app.needs_image()) {
    runtime.queue.message = "Berth does not run container images yet (container.docker.image '" +
                            app.container->docker->image + "'): the app waits until it can";
    runtime.queue.refusals = {{"DeclinedScarceResources", 0}};
    return;
  }
  auto matcher = ConstraintMatcher::create(app.constraints);
  if (!matcher.ok()) {
    runtime.queue.message = matcher.error().message;
    return;
  }
  // The app's instances per constraint value, counted once for the whole loop and then kept up
  // to date placement by placement: counting them again for every candidate agent made each
  // placement cost agents x (agents + instances). GROUP_BY spreads over the values of the
  // agents that could take instances: the active ones.
  ConstraintMatcher::Tally tally;
  if (!app.constraints.empty()) {
    std::vector<std::string> placed;
    placed.reserve(tasks.size());
    for (const TaskRecord* task : tasks) placed.push_back(task->agent_id);
    tally = matcher->tally(master_.agents(), placed);
  }
  // The last refusal's explanation. Most agents are refused at most placements under CLUSTER,
  // so the constraints' one is written only once the launch is over: the agent is remembered.
  std::string refusal_detail;
  const AgentRecord* refused = nullptr;
  const bool has_volumes = uses_volumes(app);
  for (std::size_t i = 0; i < count; ++i) {
    LaunchRequest request = launch_request(app, random_.uuid());
    request.filter = [&](const AgentRecord& agent) {
      if (app.constraints.empty() || matcher->allows(agent, tally)) return true;
      refused = &agent;
      refusal_detail.clear();  // this refusal is the last one now
      return false;
    };
    if (!app.constraints.empty()) {
      request.hints.only_where = matcher->narrowing(tally);
      if (auto spread = matcher->spread(tally)) {
        request.hints.spread_field = std::move(spread->field);
        request.hints.allows_value = std::move(spread->allows_value);
      }
    }
    std::map<std::string, int> refusals;
    request.refusals = &refusals;
    auto launched = has_volumes ? launch_with_volumes(app, std::move(request), refusal_detail)
                                : master_.launch(request);
    // Against the counts the filter saw, before this placement is added to them.
    if (refused != nullptr && refusal_detail.empty()) {
      if (auto refusal = matcher->check(*refused, tally)) refusal_detail = refusal->detail;
    }
    refused = nullptr;
    if (!launched.ok()) {
      runtime.queue.refusals.clear();
      for (const auto& [why, agents_refusing] : refusals) {
        runtime.queue.refusals[queue_reason(why)] += agents_refusing;
      }
      runtime.queue.message = launched.error().message;
      if (!refusal_detail.empty()) runtime.queue.message += " (" + refusal_detail + ")";
      return;
    }
    if (!app.constraints.empty()) {
      // Placed on an agent that was active when the tally was taken, so it counts.
      matcher->record_placement(*master_.agents().find(launched->agent_id), tally);
    }
    --runtime.queue.count;
  }
  runtime.queue.refusals.clear();
  runtime.queue.message.clear();
}

bool AppScheduler::action_done(const Deployment& deployment, const DeploymentAction& action,
                               const std::vector<const TaskRecord*>& tasks) const {
  if (action.type == DeploymentActionType::kStopApplication) {
    return drive({nullptr, tasks, clock_.wall()}).done;
  }
  auto target = deployment.target.find(action.app_id);
  if (target == deployment.target.end()) return true;
  return drive({&target->second, tasks, clock_.wall()}).done;
}

void AppScheduler::steps_succeeded(const Deployment& deployment, std::size_t from, std::size_t to) {
  if (!events_.deployment_step_success) return;
  for (std::size_t step = from; step < to; ++step) {
    events_.deployment_step_success(deployment, step);
  }
}

void AppScheduler::advance_deployments() {
  std::vector<std::string> finished;
  bool moved = false;
  for (auto& [id, deployment] : deployments_) {
    std::size_t step = deployment.current_step;
    const auto& steps = deployment.plan.steps;
    while (step < steps.size() &&
           std::all_of(steps[step].actions.begin(), steps[step].actions.end(),
                       [&](const DeploymentAction& action) {
                         return action_done(deployment, action,
                                            master_.live_tasks_of(action.app_id));
                       })) {
      ++step;
    }
    if (step == deployment.current_step) continue;
    if (step == steps.size()) {
      finished.push_back(id);
      continue;
    }
    Deployment next = deployment;
    next.current_step = step;
    auto status = store_.commit({Mutation::put(keys::deployment(id), deployment_to_store(next))});
    if (!status.ok()) continue;  // retried at the next reconcile
    const std::size_t done_from = deployment.current_step;
    deployment.current_step = step;
    // The apps of the step that begins now have a new target.
    for (const std::string& app_id : deployment.plan.affected_apps) dirty_.insert(app_id);
    moved = true;
    steps_succeeded(deployment, done_from, step);
    if (events_.deployment_info) events_.deployment_info(deployment, step);
  }
  for (const std::string& id : finished) {
    Deployment done = deployments_.at(id);
    auto status = store_.commit({Mutation::remove(keys::deployment(id))});
    if (!status.ok()) continue;
    deployments_.erase(id);
    // Their apps are now driven by their declared definition.
    for (const std::string& app_id : done.plan.affected_apps) dirty_.insert(app_id);
    moved = true;
    steps_succeeded(done, done.current_step, done.plan.steps.size());
    if (events_.deployment_success) events_.deployment_success(done);
  }
  if (moved) schedule_reconcile();
}

}  // namespace berth::scheduler
