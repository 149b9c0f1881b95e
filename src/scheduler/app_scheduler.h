// AppScheduler: Marathon's job inside the master. It owns the declared apps and groups (the
// "root"), their versions and the running deployments, persists all of them through the
// StateStore before answering, and drives every app's tasks towards its definition through
// MasterCore (placement, launch, kill). Part of the deterministic core: no sockets, threads,
// files or real clock.
//
// Every change to the root is one deployment:
//
//   API call -> target root -> plan (steps of actions in dependency order) -> persisted
//            -> steps run one after another; an app's tasks are driven to the target only
//               once the step holding its action has begun (AppDriver decides each launch
//               and kill) -> all actions of the last step done -> deployment_success
//
// A master that restarts finds the deployments in the store and carries on from their current
// step; the tasks it finds tell AppDriver where each app stands.
//
// Threading: the master's event loop; no method may be called concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "marathon/app_definition.h"
#include "scheduler/deployment.h"
#include "scheduler/health_check_events.h"
#include "scheduler/launch_backoff.h"

namespace berth {
class MasterCore;
class StateStore;
struct LaunchRequest;
struct TaskRecord;
}  // namespace berth

namespace berth::scheduler {

class AppVolumes;

struct SchedulerConfig {
  // How often every app is looked at even when nothing changed (backoff expiry, unreachable
  // timeouts).
  // Changes reach each app at once (task updates and API calls mark it, timers wake it when a
  // delay ends); the full pass is the safety net.
  Duration reconcile_interval = std::chrono::seconds(10);
  // Stored versions per app (Marathon's zk_max_versions).
  std::size_t max_versions = 50;
  // Marathon's --max_running_deployments.
  std::size_t max_running_deployments = 100;
};

// The declared state: every app and every group (including "/" and every parent of an app).
struct Root {
  std::map<std::string, marathon::AppDefinition> apps;
  std::map<std::string, marathon::GroupDefinition> groups;
};

// An app waiting for tasks, as GET /v2/queue shows it.
struct QueueEntry {
  std::string app_id;
  std::size_t count = 0;  // instances still to launch
  Instant delay_until;    // launch backoff
  WallTime since;
  // Why the last attempt found no agent: Marathon's reason names (InsufficientCpus, ...) and
  // how many agents refused for each.
  std::map<std::string, int> refusals;
  std::string message;  // the allocator's explanation, or why the app cannot run at all
};

// What the scheduler tells the world (the event stream), named after Marathon's events.
//
//   deploy ──> group_change_success, add/remove_health_check, deployment_info (step 0)
//          └─> group_change_failed (refused: a lock, a cycle, the store)
//   each step's actions done ──> deployment_step_success, then deployment_info (next step)
//                                 or, after the last one, deployment_success
//   cancelled or superseded by a forced change ──> deployment_step_failure, deployment_failed
struct SchedulerEvents {
  std::function<void(const Deployment&)> deployment_success;
  std::function<void(const Deployment&, const std::string& reason)> deployment_failed;
  // `step` is 0-based.
  std::function<void(const Deployment&, std::size_t step)> deployment_info;
  std::function<void(const Deployment&, std::size_t step)> deployment_step_success;
  std::function<void(const Deployment&, std::size_t step)> deployment_step_failure;
  std::function<void(const std::string& group_id, WallTime version)> group_change_success;
  std::function<void(const std::string& group_id, WallTime version, const std::string& reason)>
      group_change_failed;
  std::function<void(const std::string& app_id, WallTime version, const marathon::HealthCheck&)>
      add_health_check;
  std::function<void(const std::string& app_id, const marathon::HealthCheck&)> remove_health_check;
  // One failed probe of a task's check (past its grace period).
  std::function<void(const TaskRecord&, const marathon::HealthCheck&)> failed_health_check;
  std::function<void(const TaskRecord&, const std::string& reason)> unhealthy_task_killed;
  std::function<void(const std::string& app_id)> app_terminated;
};

class AppScheduler {
 public:
  AppScheduler(SchedulerConfig config, Clock& clock, StateStore& store, MasterCore& master,
               Random& random);
  ~AppScheduler();
  AppScheduler(const AppScheduler&) = delete;
  AppScheduler& operator=(const AppScheduler&) = delete;

  // Loads the root, versions and deployments, and starts driving. After MasterCore::recover.
  Status recover();

  void set_events(SchedulerEvents events) { events_ = std::move(events); }
  // The volumes of apps with external or persistent volumes (outlives the scheduler). Without
  // it such apps wait in the queue, saying why.
  void set_volumes(AppVolumes* volumes) { volumes_ = volumes; }
  // A volume the app uses changed (attached, detached, fenced, ...): look at the app again.
  void volume_changed(const std::string& app_id);

  const Root& root() const { return root_; }
  const marathon::AppDefinition* find_app(const std::string& id) const;
  const std::map<std::string, Deployment>& deployments() const { return deployments_; }
  // The live (non-terminal) tasks of an app.
  std::vector<const TaskRecord*> tasks_of(const std::string& app_id) const;
  // Ids of the running deployments that affect any of `app_ids`.
  std::vector<std::string> locking_deployments(const std::set<std::string>& app_ids) const;

  // Replaces the declared root with `target` through one deployment. Apps whose definition
  // changed get a new version (a scale touches only versionInfo.lastScalingAt). kConflict when
  // a running deployment affects a changed app and `force` is false; with `force` those
  // deployments are cancelled first. Returns the deployment (possibly of zero steps).
  Result<Deployment> deploy(Root target, bool force);
  // The plan `deploy(target)` would run, without running it.
  Result<Deployment> dry_run(const Root& target) const;
  // A new version of the app with the same definition: every task is replaced.
  Result<Deployment> restart(const std::string& app_id, bool force);

  // DELETE /v2/deployments/<id>: force=false reverts the apps it touched (a new deployment,
  // returned); force=true only forgets it (nullopt).
  Result<std::optional<Deployment>> cancel(const std::string& deployment_id, bool force);

  // Kills tasks of apps. With `scale` the apps' instances go down by the number killed (a
  // deployment, returned); without it the apps start replacements. With `wipe` the tasks' local
  // persistent volumes are destroyed once free, and their replacements get new ones.
  Result<std::optional<Deployment>> kill_tasks(const std::vector<std::string>& task_ids, bool scale,
                                               bool force, bool wipe = false);

  // Stored versions of an app, newest first, and one of them.
  std::vector<WallTime> versions(const std::string& app_id) const;
  Result<marathon::AppDefinition> version(const std::string& app_id, WallTime version) const;

  // The versions a group has had, newest first, and the group's subtree (its groups and apps)
  // as it was at one of them; kNotFound when that version (or an app definition it needs) is no
  // longer stored.
  std::vector<WallTime> group_versions(const std::string& group_id) const;
  Result<Root> group_at(const std::string& group_id, WallTime version) const;

  std::vector<QueueEntry> queue() const;
  // DELETE /v2/queue/<app>/delay. kNotFound when the app is not waiting.
  Status reset_delay(const std::string& app_id);

  // The last failure of an app's task, for AppInfo.lastTaskFailure.
  const TaskRecord* last_failure(const std::string& app_id) const;

 private:
  struct AppRuntime {
    QueueEntry queue;
    LaunchBackoff backoff;
    std::optional<std::string> last_failure;  // task id
    bool waiting = false;                     // in the queue
    // A timer that looks at the app again when time alone changes what it needs (a backoff
    // delay ending, an unreachable task becoming inactive).
    TimerId wake_timer = 0;
    Instant wake_at;
  };
  void wake_app_at(const std::string& app_id, AppRuntime& runtime, Instant at);

  void on_task_changed(const TaskRecord& task);
  // Reconciles soon: the apps marked dirty, or everything when `full`.
  void schedule_reconcile(bool full = false);
  void mark_dirty(const std::string& app_id);
  void reconcile();
  // The definition an app's tasks are driven towards now (nullptr: stopping), given the
  // deployments in flight.
  const marathon::AppDefinition* drive_target(const std::string& app_id) const;
  void drive_app(const std::string& app_id, const std::vector<const TaskRecord*>& tasks);
  void launch(const marathon::AppDefinition& app, std::size_t count, AppRuntime& runtime,
              const std::vector<const TaskRecord*>& tasks);
  // Launches one task of an app with volumes: needs, placement and claims come first.
  Result<TaskRecord> launch_with_volumes(const marathon::AppDefinition& app, LaunchRequest request,
                                         std::string& refusal_detail);
  void advance_deployments();
  // deployment_step_success for steps [from, to) (0-based).
  void steps_succeeded(const Deployment& deployment, std::size_t from, std::size_t to);
  bool action_done(const Deployment& deployment, const DeploymentAction& action,
                   const std::vector<const TaskRecord*>& tasks) const;

  WallTime next_version();
  // Gives `version` to every group of `target` that is new, has new dependencies, or holds a
  // changed app (and to their ancestors), and adds missing parent groups.
  void stamp_groups(Root& target, WallTime version) const;
  Result<Deployment> make_deployment(const Root& target, WallTime version) const;
  Status persist(const Root& target, const Deployment* deployment,
                 const std::vector<std::string>& removed_deployments);
  // `superseded_reason`: what deployment_failed says of the running deployments a forced change
  // cancels.
  // deploy(), naming what deployment_failed says of the deployments a forced change cancels
  // (empty: "superseded by deployment <id>").
  Result<Deployment> change_root(Root target, bool force, const std::string& superseded_reason);
  Result<Deployment> start(Root target, bool force, const std::string& superseded_reason);
  // A refused change of the root: group_change_failed, and the error handed back.
  Error change_failed(WallTime version, Error error);
  // A deployment ends unfinished: its current step fails, then the deployment.
  void deployment_ended_unfinished(const Deployment& deployment, const std::string& reason);
  // The definition of the health check `index` of the app version a task runs.
  std::optional<marathon::HealthCheck> health_check_of(const TaskRecord& task,
                                                       std::size_t index) const;

  SchedulerConfig config_;
  Clock& clock_;
  StateStore& store_;
  MasterCore& master_;
  Random& random_;
  SchedulerEvents events_;
  AppVolumes* volumes_ = nullptr;

  Root root_;
  std::map<std::string, Deployment> deployments_;
  std::map<std::string, std::vector<WallTime>> versions_;  // newest first
  std::vector<WallTime> root_versions_;                    // snapshots kept, newest first
  std::map<std::string, AppRuntime> runtime_;
  // Apps no longer declared whose tasks are still being stopped.
  std::map<std::string, Instant> stopping_;
  WallTime last_version_;
  TimerId reconcile_timer_ = 0;
  TimerId soon_timer_ = 0;
  bool reconciling_ = false;
  bool full_pass_ = true;
  std::set<std::string> dirty_;  // apps to look at in the next (partial) pass
  FailedCheckTracker failed_checks_;
  bool recovered_ = false;
};

}  // namespace berth::scheduler
