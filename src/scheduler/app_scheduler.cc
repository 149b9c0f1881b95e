// AppScheduler: the declared root, its versions and deployments, and their persistence. The
// driving of tasks lives in app_scheduler_drive.cc.
#include "scheduler/app_scheduler.h"

#include <algorithm>
#include <cstdio>

#include "common/time_format.h"
#include "master/master_core.h"
#include "scheduler/app_volumes.h"
#include "scheduler/root_snapshot.h"
#include "scheduler/service_ports.h"
#include "scheduler/stored_app.h"
#include "scheduler/stored_keys.h"
#include "state/state_store.h"

namespace berth::scheduler {
namespace {

using marathon::AppDefinition;

// Equal apart from version bookkeeping. Most apps of a new root are untouched copies, equal
// outright; only the others pay for masking their versions.
bool same_definition(const AppDefinition& a, const AppDefinition& b) {
  if (a == b) return true;
  if (a.version == b.version && a.version_info == b.version_info) return false;
  AppDefinition a_masked = a;
  AppDefinition b_masked = b;
  a_masked.version = b_masked.version = {};
  a_masked.version_info = b_masked.version_info = {};
  return a_masked == b_masked;
}

GroupDependencies group_dependencies(const Root& root) {
  GroupDependencies dependencies;
  for (const auto& [id, group] : root.groups) {
    if (!group.dependencies.empty()) dependencies[id] = group.dependencies;
  }
  return dependencies;
}

}  // namespace

AppScheduler::AppScheduler(SchedulerConfig config, Clock& clock, StateStore& store,
                           MasterCore& master, Random& random)
    : config_(config), clock_(clock), store_(store), master_(master), random_(random) {
  root_.groups["/"] = marathon::GroupDefinition{"/", {}, {}};
}

AppScheduler::~AppScheduler() {
  clock_.cancel(reconcile_timer_);
  clock_.cancel(soon_timer_);
  for (auto& [id, runtime] : runtime_) clock_.cancel(runtime.wake_timer);
}

Status AppScheduler::recover() {
  auto apps = store_.list(keys::kApps);
  if (!apps.ok()) return apps.error().context("recover apps");
  for (const StoredEntry& entry : *apps) {
    auto app = parse_stored_app(entry.stored.value);
    if (!app.ok()) return app.error().context("recover " + entry.key);
    last_version_ = std::max(last_version_, app->version);
    root_.apps.emplace(app->id, std::move(*app));
  }
  auto groups = store_.list(keys::kGroups);
  if (!groups.ok()) return groups.error().context("recover groups");
  for (const StoredEntry& entry : *groups) {
    auto group = group_from_store(entry.stored.value);
    if (!group.ok()) return group.error().context("recover " + entry.key);
    root_.groups[group->id] = std::move(*group);
  }
  auto versions = store_.list(keys::kAppVersions);
  if (!versions.ok()) return versions.error().context("recover app versions");
  for (const StoredEntry& entry : *versions) {
    auto parsed = keys::parse_app_version_key(entry.key);
    if (!parsed.ok()) return parsed.error();
    versions_[parsed->first].push_back(parsed->second);
  }
  for (auto& [id, list] : versions_) std::sort(list.rbegin(), list.rend());
  auto snapshots = store_.list(kRootVersions);
  if (!snapshots.ok()) return snapshots.error().context("recover root versions");
  for (const StoredEntry& entry : *snapshots) {
    auto version = parse_root_snapshot_key(entry.key);
    if (!version.ok()) return version.error();
    root_versions_.insert(root_versions_.begin(), *version);
  }
  auto deployments = store_.list(keys::kDeployments);
  if (!deployments.ok()) return deployments.error().context("recover deployments");
  for (const StoredEntry& entry : *deployments) {
    auto deployment = deployment_from_store(entry.stored.value);
    if (!deployment.ok()) return deployment.error().context("recover " + entry.key);
    last_version_ = std::max(last_version_, deployment->plan.version);
    deployments_.emplace(deployment->id(), std::move(*deployment));
  }
  // Apps removed by a deployment still in flight keep being stopped.
  for (const auto& [id, deployment] : deployments_) {
    for (const auto& [app_id, app] : deployment.original) {
      if (root_.apps.count(app_id) == 0) stopping_[app_id] = clock_.now();
    }
  }
  master_.on_task_changed([this](const TaskRecord& task) { on_task_changed(task); });
  recovered_ = true;
  reconcile_timer_ = clock_.schedule(config_.reconcile_interval, [this] {
    reconcile_timer_ = 0;
    full_pass_ = true;
    reconcile();
  });
  schedule_reconcile(true);
  return {};
}

const AppDefinition* AppScheduler::find_app(const std::string& id) const {
  auto it = root_.apps.find(id);
  return it == root_.apps.end() ? nullptr : &it->second;
}

std::vector<const TaskRecord*> AppScheduler::tasks_of(const std::string& app_id) const {
  return master_.live_tasks_of(app_id);
}

std::vector<std::string> AppScheduler::locking_deployments(
    const std::set<std::string>& app_ids) const {
  std::vector<std::string> ids;
  for (const auto& [id, deployment] : deployments_) {
    if (std::any_of(app_ids.begin(), app_ids.end(),
                    [&](const std::string& app) { return deployment.affects(app); })) {
      ids.push_back(id);
    }
  }
  return ids;
}

WallTime AppScheduler::next_version() {
  // Versions name app revisions, so two changes in one millisecond must still differ.
  WallTime now = from_epoch_millis(to_epoch_millis(clock_.wall()));
  WallTime floor = last_version_ + std::chrono::milliseconds(1);
  last_version_ = std::max(now, floor);
  return last_version_;
}

Result<Deployment> AppScheduler::make_deployment(const Root& target, WallTime version) const {
  auto plan = build_deployment_plan(random_.uuid(), version, root_.apps, target.apps,
                                    group_dependencies(root_), group_dependencies(target));
  if (!plan.ok()) return plan.error();
  Deployment deployment;
  deployment.plan = std::move(*plan);
  for (const std::string& id : deployment.plan.affected_apps) {
    if (auto old = root_.apps.find(id); old != root_.apps.end()) {
      deployment.original.emplace(id, old->second);
    }
    if (auto now = target.apps.find(id); now != target.apps.end()) {
      deployment.target.emplace(id, now->second);
    }
  }
  return deployment;
}

Result<Deployment> AppScheduler::dry_run(const Root& target) const {
  return make_deployment(target, clock_.wall());
}

Result<Deployment> AppScheduler::deploy(Root target, bool force) {
  return change_root(std::move(target), force, "");
}

Result<Deployment> AppScheduler::change_root(Root target, bool force,
                                             const std::string& superseded_reason) {
  if (!recovered_) return unavailable("the scheduler is recovering");
  WallTime version = next_version();
  if (auto ports = assign_service_ports(target.apps, root_.apps); !ports.ok()) {
    return change_failed(version, ports.error());
  }
  for (auto& [id, app] : target.apps) {
    app.id = id;
    auto old = root_.apps.find(id);
    if (old == root_.apps.end()) {
      app.version = version;
      app.version_info = {version, version};
    } else if (same_definition(old->second, app)) {
      app.version = old->second.version;
      app.version_info = old->second.version_info;
    } else if (old->second.differs_only_in_instances(app)) {
      app.version = version;
      app.version_info = {version, old->second.version_info.last_config_change_at};
    } else {
      app.version = version;
      app.version_info = {version, version};
    }
  }
  stamp_groups(target, version);
  return start(std::move(target), force, superseded_reason);
}

void AppScheduler::stamp_groups(Root& target, WallTime version) const {
  ensure_groups(target);
  auto stamp_path = [&target, version](const std::string& id) {
    for (std::string parent = id; parent != "/";) {
      auto slash = parent.rfind('/');
      parent = slash == 0 ? "/" : parent.substr(0, slash);
      if (auto group = target.groups.find(parent); group != target.groups.end()) {
        group->second.version = version;
      }
    }
  };
  for (auto& [id, group] : target.groups) {
    auto old = root_.groups.find(id);
    if (old == root_.groups.end() || old->second.dependencies != group.dependencies) {
      group.version = version;
      stamp_path(id);
    }
  }
  for (const auto& [id, app] : target.apps) {
    auto old = root_.apps.find(id);
    if (old == root_.apps.end() || !(old->second == app)) stamp_path(id);
  }
  for (const auto& [id, app] : root_.apps) {
    if (target.apps.count(id) == 0) stamp_path(id);
  }
}

Result<Deployment> AppScheduler::restart(const std::string& app_id, bool force) {
  if (!recovered_) return unavailable("the scheduler is recovering");
  if (find_app(app_id) == nullptr) return not_found("App '" + app_id + "' does not exist");
  Root target = root_;
  WallTime version = next_version();
  AppDefinition& app = target.apps.at(app_id);
  app.version = version;
  app.version_info = {version, version};
  stamp_groups(target, version);
  return start(std::move(target), force, "");
}

Error AppScheduler::change_failed(WallTime version, Error error) {
  if (events_.group_change_failed) events_.group_change_failed("/", version, error.message);
  return error;
}

void AppScheduler::deployment_ended_unfinished(const Deployment& deployment,
                                               const std::string& reason) {
  if (events_.deployment_step_failure && deployment.current_step < deployment.plan.steps.size()) {
    events_.deployment_step_failure(deployment, deployment.current_step);
  }
  if (events_.deployment_failed) events_.deployment_failed(deployment, reason);
}

Result<Deployment> AppScheduler::start(Root target, bool force,
                                       const std::string& superseded_reason) {
  const WallTime version = last_version_;
  auto deployment = make_deployment(target, version);
  if (!deployment.ok()) return change_failed(version, deployment.error());
  std::set<std::string> affected(deployment->plan.affected_apps.begin(),
                                 deployment->plan.affected_apps.end());
  std::vector<std::string> locks = locking_deployments(affected);
  if (!locks.empty() && !force) {
    return change_failed(
        version, conflict("App is locked by one or more deployments. Override with the option "
                          "'?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'."));
  }
  if (deployments_.size() - locks.size() >= config_.max_running_deployments) {
    return change_failed(version, exhausted("Max number of running deployments is exceeded."));
  }
  // A forced change takes over the apps of the deployments it cancels: their originals become
  // this deployment's, so that a later revert goes all the way back.
  for (const std::string& id : locks) {
    for (auto& [app_id, app] : deployments_.at(id).original) {
      if (deployment->affects(app_id)) deployment->original.insert_or_assign(app_id, app);
    }
  }
  const bool immediate = deployment->plan.empty();
  if (auto persisted = persist(target, immediate ? nullptr : &*deployment, locks);
      !persisted.ok()) {
    return change_failed(version, persisted.error());
  }

  const std::string superseded = superseded_reason.empty()
                                     ? "superseded by deployment " + deployment->id()
                                     : superseded_reason;
  for (const std::string& id : locks) {
    Deployment cancelled = std::move(deployments_.at(id));
    deployments_.erase(id);
    deployment_ended_unfinished(cancelled, superseded);
  }
  for (const auto& [id, app] : root_.apps) {
    if (target.apps.count(id) == 0) stopping_[id] = clock_.now();
  }
  for (const auto& [id, app] : target.apps) {
    stopping_.erase(id);
    auto& list = versions_[id];
    if (list.empty() || list.front() != app.version) list.insert(list.begin(), app.version);
    if (list.size() > config_.max_versions) list.resize(config_.max_versions);
    // A new configuration gets a fresh start; a scale keeps the delay.
    auto old = root_.apps.find(id);
    if (old == root_.apps.end() ||
        old->second.version_info.last_config_change_at != app.version_info.last_config_change_at) {
      runtime_[id].backoff = LaunchBackoff(BackoffStrategy::of(app));
    }
  }
  for (auto it = versions_.begin(); it != versions_.end();) {
    it = target.apps.count(it->first) == 0 ? versions_.erase(it) : std::next(it);
  }
  std::vector<HealthCheckChange> checks = health_check_changes(root_.apps, target.apps);
  root_ = std::move(target);
  if (events_.group_change_success) events_.group_change_success("/", deployment->plan.version);
  for (const HealthCheckChange& change : checks) {
    if (change.added && events_.add_health_check) {
      events_.add_health_check(change.app_id, change.version, change.check);
    } else if (!change.added && events_.remove_health_check) {
      events_.remove_health_check(change.app_id, change.check);
    }
  }
  if (immediate) {
    if (events_.deployment_success) events_.deployment_success(*deployment);
  } else {
    deployments_.emplace(deployment->id(), *deployment);
    if (events_.deployment_info) events_.deployment_info(*deployment, 0);
  }
  for (const std::string& id : deployment->plan.affected_apps) dirty_.insert(id);
  schedule_reconcile();
  return deployment;
}

Status AppScheduler::persist(const Root& target, const Deployment* deployment,
                             const std::vector<std::string>& removed_deployments) {
  std::vector<Mutation> mutations;
  for (const auto& [id, app] : target.apps) {
    auto old = root_.apps.find(id);
    if (old != root_.apps.end() && old->second == app) continue;
    std::string text = stored_app_json(app);
    mutations.push_back(Mutation::put(keys::app(id), text));
    mutations.push_back(Mutation::put(keys::app_version(id, app.version), text));
    const auto& list = versions_[id];
    // Beyond max_versions, the oldest goes.
    if (list.size() >= config_.max_versions && (list.empty() || list.front() != app.version)) {
      mutations.push_back(Mutation::remove(keys::app_version(id, list.back())));
    }
  }
  for (const auto& [id, app] : root_.apps) {
    if (target.apps.count(id) != 0) continue;
    mutations.push_back(Mutation::remove(keys::app(id)));
    for (WallTime version : versions_[id]) {
      mutations.push_back(Mutation::remove(keys::app_version(id, version)));
    }
  }
  for (const auto& [id, group] : target.groups) {
    auto old = root_.groups.find(id);
    if (old != root_.groups.end() && old->second.dependencies == group.dependencies &&
        old->second.version == group.version) {
      continue;
    }
    mutations.push_back(Mutation::put(keys::group(id), group_to_store(group)));
  }
  for (const auto& [id, group] : root_.groups) {
    if (target.groups.count(id) == 0) mutations.push_back(Mutation::remove(keys::group(id)));
  }
  for (const std::string& id : removed_deployments) {
    mutations.push_back(Mutation::remove(keys::deployment(id)));
  }
  if (deployment != nullptr) {
    mutations.push_back(
        Mutation::put(keys::deployment(deployment->id()), deployment_to_store(*deployment)));
  }
  if (mutations.empty()) return {};
  // A snapshot of the new root, for group versions; the oldest goes beyond max_versions.
  RootSnapshot snapshot;
  auto root_group = target.groups.find("/");
  snapshot.version = root_group != target.groups.end() ? root_group->second.version : last_version_;
  snapshot.groups = target.groups;
  for (const auto& [id, app] : target.apps) snapshot.app_versions[id] = app.version;
  bool new_snapshot = root_versions_.empty() || root_versions_.front() != snapshot.version;
  if (new_snapshot) {
    mutations.push_back(
        Mutation::put(root_snapshot_key(snapshot.version), root_snapshot_to_store(snapshot)));
    if (root_versions_.size() >= config_.max_versions) {
      mutations.push_back(Mutation::remove(root_snapshot_key(root_versions_.back())));
    }
  }
  auto status = store_.commit(mutations);
  if (!status.ok()) return status.error().context("persist deployment");
  if (new_snapshot) {
    root_versions_.insert(root_versions_.begin(), snapshot.version);
    if (root_versions_.size() > config_.max_versions) root_versions_.pop_back();
  }
  return {};
}

std::vector<WallTime> AppScheduler::group_versions(const std::string& group_id) const {
  std::vector<WallTime> versions;
  for (WallTime root_version : root_versions_) {
    auto stored = store_.get(root_snapshot_key(root_version));
    if (!stored.ok() || !stored->has_value()) continue;
    auto snapshot = root_snapshot_from_store((*stored)->value);
    if (!snapshot.ok()) continue;
    auto group = snapshot->groups.find(group_id);
    if (group == snapshot->groups.end()) continue;
    if (versions.empty() || versions.back() != group->second.version) {
      versions.push_back(group->second.version);
    }
  }
  return versions;
}

Result<Root> AppScheduler::group_at(const std::string& group_id, WallTime version) const {
  for (WallTime root_version : root_versions_) {
    auto stored = store_.get(root_snapshot_key(root_version));
    if (!stored.ok()) return stored.error();
    if (!stored->has_value()) continue;
    auto snapshot = root_snapshot_from_store((*stored)->value);
    if (!snapshot.ok()) return snapshot.error();
    auto group = snapshot->groups.find(group_id);
    if (group == snapshot->groups.end() || group->second.version != version) continue;
    Root subtree;
    for (const auto& [id, definition] : snapshot->groups) {
      if (is_in_group(id, group_id)) subtree.groups[id] = definition;
    }
    for (const auto& [id, app_version] : snapshot->app_versions) {
      if (!is_in_group(id, group_id)) continue;
      auto app = this->version(id, app_version);
      if (!app.ok()) return app.error();
      subtree.apps.emplace(id, std::move(*app));
    }
    return subtree;
  }
  return not_found("Group '" + group_id + "' does not exist in version " +
                   format_timestamp(version));
}

Result<std::optional<Deployment>> AppScheduler::cancel(const std::string& deployment_id,
                                                       bool force) {
  auto it = deployments_.find(deployment_id);
  if (it == deployments_.end()) {
    return not_found("DeploymentPlan " + deployment_id + " does not exist");
  }
  if (force) {
    auto status = store_.commit({Mutation::remove(keys::deployment(deployment_id))});
    if (!status.ok()) return status.error().context("cancel deployment");
    Deployment cancelled = it->second;
    deployments_.erase(it);
    deployment_ended_unfinished(cancelled, "cancelled");
    for (const std::string& id : cancelled.plan.affected_apps) dirty_.insert(id);
    schedule_reconcile();
    return std::optional<Deployment>{};
  }
  Deployment cancelled = it->second;
  Root target = root_;
  for (const std::string& app_id : cancelled.plan.affected_apps) {
    auto original = cancelled.original.find(app_id);
    if (original == cancelled.original.end()) {
      target.apps.erase(app_id);
    } else {
      target.apps.insert_or_assign(app_id, original->second);
    }
  }
  ensure_groups(target);
  // The revert takes the cancelled deployment's apps over, which fails it as "rolled back".
  auto revert = change_root(std::move(target), true, "rolled back");
  if (!revert.ok()) return revert.error();
  return std::optional<Deployment>{std::move(*revert)};
}

Result<std::optional<Deployment>> AppScheduler::kill_tasks(const std::vector<std::string>& task_ids,
                                                           bool scale, bool force, bool wipe) {
  std::map<std::string, std::int64_t> killed_per_app;
  std::vector<std::string> to_kill;
  std::vector<std::string> to_wipe;
  for (const std::string& id : task_ids) {
    const TaskRecord* task = master_.find_task(id);
    if (task == nullptr || is_terminal(task->state) || task->spec.app_id.empty()) continue;
    to_kill.push_back(id);
    ++killed_per_app[task->spec.app_id];
    for (const TaskVolume& volume : task->spec.volumes) {
      if (!volume.volume.external) to_wipe.push_back(volume.volume.name);
    }
  }
  // Before the kills: the replacements the kills cause must not get the wiped volumes.
  if (wipe && volumes_ != nullptr) volumes_->wipe(to_wipe);
  std::optional<Deployment> deployment;
  if (scale && !killed_per_app.empty()) {
    Root target = root_;
    for (const auto& [app_id, count] : killed_per_app) {
      auto app = target.apps.find(app_id);
      if (app != target.apps.end())
        app->second.instances = std::max<std::int64_t>(0, app->second.instances - count);
    }
    auto started = deploy(std::move(target), force);
    if (!started.ok()) return started.error();
    deployment = std::move(*started);
  }
  for (const std::string& id : to_kill) {
    auto status = master_.kill(id);
    if (!status.ok()) return status.error();
  }
  for (const auto& [app_id, count] : killed_per_app) dirty_.insert(app_id);
  schedule_reconcile();
  return deployment;
}

std::vector<WallTime> AppScheduler::versions(const std::string& app_id) const {
  auto it = versions_.find(app_id);
  return it == versions_.end() ? std::vector<WallTime>{} : it->second;
}

Result<AppDefinition> AppScheduler::version(const std::string& app_id, WallTime version) const {
  auto stored = store_.get(keys::app_version(app_id, version));
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) {
    return not_found("App '" + app_id + "' does not exist in version " + format_timestamp(version));
  }
  return parse_stored_app((*stored)->value);
}

Status AppScheduler::reset_delay(const std::string& app_id) {
  auto it = runtime_.find(app_id);
  if (it == runtime_.end() || !it->second.waiting) {
    return not_found("Application " + app_id + " not found in tasks queue.");
  }
  it->second.backoff.reset();
  mark_dirty(app_id);
  return {};
}

std::vector<QueueEntry> AppScheduler::queue() const {
  std::vector<QueueEntry> entries;
  for (const auto& [id, runtime] : runtime_) {
    if (runtime.waiting && root_.apps.count(id) != 0) entries.push_back(runtime.queue);
  }
  return entries;
}

const TaskRecord* AppScheduler::last_failure(const std::string& app_id) const {
  auto it = runtime_.find(app_id);
  if (it == runtime_.end() || !it->second.last_failure) return nullptr;
  return master_.find_task(*it->second.last_failure);
}

}  // namespace berth::scheduler
