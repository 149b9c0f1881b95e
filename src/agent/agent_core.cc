// AgentCore: registration, task launches and kills, exits, and the status-update stream.
#include "agent/agent_core.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/dvdi_env.h"

namespace berth {
namespace {

constexpr char kAgentCheckpoint[] = "agent";

std::string task_checkpoint_name(const std::string& task_id) { return "tasks/" + task_id; }

std::string task_to_checkpoint(const AgentCore::Task& task) {
  nlohmann::json pending = nlohmann::json::array();
  for (const auto& update : task.pending) pending.push_back(nlohmann::json::parse(to_json(update)));
  return nlohmann::json{{"spec", nlohmann::json::parse(to_json(task.spec))},
                        {"state", to_string(task.state)},
                        {"kill_requested", task.kill_requested},
                        {"next_seq", task.next_seq},
                        {"pending", pending}}
      .dump();
}

Result<AgentCore::Task> task_from_checkpoint(const std::string& text) {
  try {
    auto doc = nlohmann::json::parse(text);
    AgentCore::Task task;
    auto spec = parse_task_spec(doc.at("spec").dump());
    if (!spec.ok()) return spec.error();
    task.spec = std::move(spec).value();
    auto state = parse_task_state(doc.at("state").get<std::string>());
    if (!state) return internal_error("bad state");
    task.state = *state;
    task.kill_requested = doc.value("kill_requested", false);
    task.next_seq = doc.value("next_seq", std::uint64_t{1});
    for (const auto& item : doc.at("pending")) {
      auto update = parse_status_update(item.dump());
      if (!update.ok()) return update.error();
      task.pending.push_back(std::move(update).value());
    }
    return task;
  } catch (const nlohmann::json::exception& e) {
    return internal_error(std::string("corrupt task checkpoint: ") + e.what());
  }
}

// The terminal state, Mesos reason and message for how a container ended.
struct Outcome {
  TaskState state;
  std::string reason;
  std::string message;
};

Outcome outcome_of(const ContainerExit& exit, bool kill_requested) {
  switch (exit.kind) {
    case ContainerExit::Kind::kExited:
      if (kill_requested) return {TaskState::kKilled, "", "Command exited after a kill request"};
      if (exit.code == 0) return {TaskState::kFinished, "", "Command exited with status 0"};
      return {TaskState::kFailed, "REASON_COMMAND_EXECUTOR_FAILED",
              "Command exited with status " + std::to_string(exit.code)};
    case ContainerExit::Kind::kSignaled:
      if (kill_requested) return {TaskState::kKilled, "", "Command killed on request"};
      return {TaskState::kFailed, "REASON_COMMAND_EXECUTOR_FAILED",
              std::string("Command terminated by signal ") + ::strsignal(exit.signal)};
    case ContainerExit::Kind::kMemoryLimit:
      return {TaskState::kFailed, "REASON_CONTAINER_LIMITATION_MEMORY",
              exit.message.empty() ? "Memory limit exceeded" : exit.message};
    case ContainerExit::Kind::kLaunchFailed:
      return {TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED", exit.message};
    case ContainerExit::Kind::kLeaseExpired:
      // Mesos' nearest reason: the task ended because its agent lost touch with the master.
      return {kill_requested ? TaskState::kKilled : TaskState::kFailed, "REASON_AGENT_DISCONNECTED",
              exit.message};
    case ContainerExit::Kind::kGone:
      if (kill_requested) return {TaskState::kKilled, "", "Container gone after a kill request"};
      return {
          TaskState::kFailed, "REASON_EXECUTOR_TERMINATED",
          exit.message.empty() ? "Container disappeared while the agent was down" : exit.message};
  }
  return {TaskState::kFailed, "", exit.message};
}

bool uses_external_volume(const TaskSpec& spec) {
  return std::any_of(spec.volumes.begin(), spec.volumes.end(),
                     [](const TaskVolume& volume) { return volume.volume.external; });
}

std::vector<std::string> external_volume_names(const TaskSpec& spec) {
  std::vector<std::string> names;
  for (const auto& volume : spec.volumes) {
    if (volume.volume.external) names.push_back(volume.volume.name);
  }
  return names;
}

std::int64_t millis(Duration duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration).count();
}

}  // namespace

AgentCore::AgentCore(AgentConfig config, Clock& clock, Containerizer& containerizer,
                     AgentDisk& disk, MasterLink& link, Random& random, AgentServices services)
    : config_(std::move(config)),
      clock_(clock),
      containerizer_(containerizer),
      disk_(disk),
      link_(link),
      random_(random),
      services_(services),
      self_(std::make_shared<AgentCore*>(this)),
      register_delay_(config_.register_backoff),
      status_delay_(config_.status_retry),
      volume_lease_(config_.volume_lease) {
  if (services_.prober != nullptr) {
    health_ = std::make_unique<HealthMonitor>(
        clock_, *services_.prober, [this](const std::string& task_id, const std::string& what) {
          on_health_changed(task_id, what);
        });
  }
}

AgentCore::~AgentCore() {
  for (TimerId id : {register_timer_, status_timer_, lease_timer_}) {
    if (id != 0) clock_.cancel(id);
  }
  for (auto& [id, task] : tasks_) {
    if (task.kill_timer != 0) clock_.cancel(task.kill_timer);
  }
}

Status AgentCore::start() {
  // Queued first, so that every release the recovery below starts comes after it.
  if (services_.volumes != nullptr) {
    std::weak_ptr<AgentCore*> weak = self_;
    services_.volumes->recover([weak](Status recovered) {
      if (auto self = weak.lock()) (*self)->on_volumes_recovered(recovered);
    });
    // The lease the master granted before this process started cannot be known; it is counted
    // from now (see the README for what that leaves open).
    lease_base_ = clock_.now();
    check_lease();
  }
  auto saved = disk_.read_checkpoint(kAgentCheckpoint);
  if (!saved.ok()) return saved.error().context("read agent checkpoint");
  if (saved->has_value()) {
    try {
      agent_id_ = nlohmann::json::parse(**saved).at("agent_id").get<std::string>();
    } catch (const nlohmann::json::exception& e) {
      return internal_error(std::string("corrupt agent checkpoint: ") + e.what());
    }
  }

  auto ids = disk_.list_task_checkpoints();
  if (!ids.ok()) return ids.error().context("list task checkpoints");
  std::vector<std::string> live;
  for (const auto& id : *ids) {
    auto text = disk_.read_checkpoint(task_checkpoint_name(id));
    if (!text.ok() || !text->has_value()) continue;
    auto task = task_from_checkpoint(**text);
    if (!task.ok()) return task.error().context("recover task " + id);
    if (!is_terminal(task->state)) live.push_back(id);
    tasks_.emplace(id, std::move(task).value());
  }

  containerizer_.set_exit_callback([this](ContainerExit exit) { on_exit(exit); });
  containerizer_.recover(live);
  // Tasks still running were re-adopted; a task caught between its STARTING checkpoint and the
  // launch that the containerizer confirms is running now.
  for (const auto& id : containerizer_.running()) {
    auto it = tasks_.find(id);
    if (it != tasks_.end() && it->second.state == TaskState::kStarting) {
      (void)transition(it->second, TaskState::kRunning, "", "Re-adopted after agent restart");
    }
  }
  const auto running = containerizer_.running();
  for (auto& [id, task] : tasks_) {
    if (task.kill_requested && !is_terminal(task.state)) {
      containerizer_.signal(id, SIGKILL);
    } else if (health_ && task.state == TaskState::kRunning &&
               std::find(running.begin(), running.end(), id) != running.end()) {
      // Health starts over: counters and the grace period run from now.
      health_->start(task.spec);
    }
  }
  spdlog::info("agent recovered {} tasks ({} running)", tasks_.size(),
               containerizer_.running().size());
  // With volumes, the registration waits for their recovery (on_volumes_recovered).
  if (services_.volumes == nullptr) register_with_master();
  return {};
}

void AgentCore::on_volumes_recovered(const Status& recovered) {
  if (!recovered.ok()) {
    spdlog::error("volume recovery: {}; the volumes concerned stay as they are until a release",
                  recovered.error().message);
  }
  // Claims of tasks whose containers are gone: their processes are confirmed dead.
  const auto running = containerizer_.running();
  std::vector<std::string> orphans;
  for (const auto& id : services_.volumes->claimed_tasks()) {
    if (std::find(running.begin(), running.end(), id) == running.end()) orphans.push_back(id);
  }
  volumes_recovered_ = true;
  spdlog::info("volumes recovered: {} mounted, {} claims of ended tasks to release",
               services_.volumes->mounted().size(), orphans.size());
  startup_orphans_.insert(orphans.begin(), orphans.end());
  for (const auto& id : orphans) release_volumes(id);
  if (startup_orphans_.empty()) register_with_master();
}

std::size_t AgentCore::pending_updates() const {
  std::size_t count = 0;
  for (const auto& [id, task] : tasks_) count += task.pending.size();
  return count;
}

void AgentCore::register_with_master() {
  register_timer_ = 0;
  RegisterAgent message;
  message.agent_id = agent_id_;
  message.hostname = config_.hostname;
  message.port = config_.port;
  message.resources = config_.resources;
  message.attributes = config_.attributes;
  message.boot_id = config_.boot_id;
  message.version = config_.version;
  for (const auto& [id, task] : tasks_) message.tasks.push_back({id, task.state});
  if (services_.volumes != nullptr) {
    message.volumes = services_.volumes->mounted();
    message.volume_drivers = services_.volumes->drivers();
  }
  const Instant sent = clock_.now();
  link_.register_agent(message, [this, sent](Result<RegisterReply> reply) {
    if (reply.ok()) {
      register_delay_ = config_.register_backoff;
      const bool lease_changed = adopt_volume_lease(reply->volume_lease_ms);
      const bool renewed = on_master_answered(sent);
      if (lease_changed) {
        if (!renewed) publish_lease();
        // The deadline may have moved earlier than the timer set for the old lease.
        if (lease_timer_ != 0) {
          clock_.cancel(lease_timer_);
          check_lease();
        }
      }
      on_registered(*reply);
      return;
    }
    spdlog::warn("registration with the master failed: {}; retrying in {} ms",
                 reply.error().message,
                 std::chrono::duration_cast<std::chrono::milliseconds>(register_delay_).count());
    register_timer_ = clock_.schedule(register_delay_, [this] { register_with_master(); });
    register_delay_ = std::min(register_delay_ * 2, config_.register_backoff_max);
  });
}

void AgentCore::on_registered(const RegisterReply& reply) {
  if (reply.agent_id != agent_id_) {
    auto status = disk_.write_checkpoint(kAgentCheckpoint,
                                         nlohmann::json{{"agent_id", reply.agent_id}}.dump());
    if (!status.ok()) {
      // Without its id on disk a restart would register as a new agent and orphan its tasks.
      spdlog::error("checkpoint agent id: {}; registering again", status.error().message);
      register_timer_ = clock_.schedule(register_delay_, [this] { register_with_master(); });
      return;
    }
    agent_id_ = reply.agent_id;
  }
  session_ = reply.session;
  spdlog::info("registered with the master as agent {}", agent_id_);
  // Every poll carries the complete mount list rather than only changes to it: the master then
  // needs no sequence numbers or diffs, a report lost with a failed poll is made good by the
  // next one, and a mount is known within one poll (ATTACHING ends when the mount is done, not
  // at the next registration). It is cheap: a copy of the service's view, a few names on the
  // wire, and on the master a lookup of this agent's volumes only.
  link_.start_polling(
      {agent_id_, session_}, [this](std::vector<AgentCommand> commands) { handle(commands); },
      [this](const Error& error) { on_session_lost(error); },
      [this](Instant sent) { on_master_answered(sent); },
      [this] {
        return services_.volumes != nullptr ? services_.volumes->mounted()
                                            : std::vector<MountedVolume>{};
      });
  flush_updates();
}

void AgentCore::on_session_lost(const Error& error) {
  spdlog::warn("lost the master session: {}; registering again", error.message);
  session_.clear();
  link_.stop_polling();
  register_with_master();
}

void AgentCore::handle(std::vector<AgentCommand> commands) {
  for (auto& command : commands) {
    switch (command.kind) {
      case AgentCommand::Kind::kLaunch:
        launch(command.task);
        break;
      case AgentCommand::Kind::kKill:
        kill(command.task_id, command.grace_period_ms);
        break;
      case AgentCommand::Kind::kUnmountVolume:
      case AgentCommand::Kind::kRevokeVolume:
        apply_volume_order(command);
        break;
    }
  }
}

void AgentCore::launch(const TaskSpec& received) {
  if (tasks_.count(received.task_id) != 0) {
    spdlog::info("ignoring a repeated launch of task {}", received.task_id);
    return;
  }
  Task& task = tasks_[received.task_id];
  task.spec = received;
  auto sandbox = disk_.create_sandbox(received.task_id);
  if (!sandbox.ok()) {
    (void)transition(task, TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED",
                     sandbox.error().context("create sandbox").message);
    return;
  }
  auto& env = task.spec.environment;
  env["MESOS_TASK_ID"] = task.spec.task_id;
  env["MESOS_SANDBOX"] = *sandbox;
  env["MESOS_DIRECTORY"] = *sandbox;
  env["MESOS_SLAVE_ID"] = agent_id_;
  env["MESOS_AGENT_ENDPOINT"] = config_.hostname + ":" + std::to_string(config_.port);
  env.emplace("HOST", config_.hostname);
  if (task.spec.volumes.empty()) {
    // mesos-module-dvdi's interface, for tasks that name their volumes in the environment.
    auto dvdi = task_volumes_from_dvdi_env(task.spec.environment);
    if (!dvdi.ok()) {
      (void)transition(task, TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED",
                       "Failed to launch container: " + dvdi.error().message);
      return;
    }
    task.spec.volumes = std::move(dvdi).value();
    // The master maps driver aliases; one that did not (no volume controller) means the default.
    for (auto& volume : task.spec.volumes) {
      if (volume.volume.driver == "rexray") volume.volume.driver = "blockpool";
    }
  }

  // Checkpoint first: if the agent dies during the launch, recovery finds the task.
  task.state = TaskState::kStarting;
  auto saved = checkpoint(task);
  if (!saved.ok()) {
    spdlog::error("task {}: {}", task.spec.task_id, saved.error().message);
    (void)transition(task, TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED",
                     saved.error().context("checkpoint").message);
    return;
  }

  if (task.spec.volumes.empty()) {
    fetch_or_start(task);
    return;
  }
  std::string refused;
  if (services_.volumes == nullptr) {
    refused = "this agent has no volume support";
  } else if (!volumes_recovered_) {
    refused = "the agent's volumes are still being recovered";
  } else if (uses_external_volume(task.spec) && lease_expired()) {
    refused = "this agent's volume lease has expired (the master has not answered for " +
              std::to_string(millis(clock_.now() - lease_base_)) + " ms)";
  }
  for (const auto& volume : task.spec.volumes) {
    auto revoked = revoked_.find(volume.volume.name);
    if (refused.empty() && revoked != revoked_.end() && volume.volume.epoch <= revoked->second) {
      refused = "volume " + volume.volume.name + " epoch " + std::to_string(volume.volume.epoch) +
                " was revoked on this agent (up to epoch " + std::to_string(revoked->second) + ")";
    }
  }
  if (!refused.empty()) {
    spdlog::warn("task {}: {}", task.spec.task_id, refused);
    (void)transition(task, TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED",
                     "Failed to launch container: " + refused);
    return;
  }
  // The STARTING checkpoint (with the volumes) is on disk: after a crash from here on, the
  // claims are found and released by the next start.
  task.publishing = true;
  std::weak_ptr<AgentCore*> weak = self_;
  services_.volumes->publish(
      task.spec.task_id, task.spec.volumes, *sandbox,
      [weak, task_id = task.spec.task_id](Result<std::vector<ContainerMount>> published) {
        if (auto self = weak.lock()) (*self)->on_published(task_id, std::move(published));
      });
}

void AgentCore::on_published(const std::string& task_id,
                             Result<std::vector<ContainerMount>> published) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) {
    release_volumes(task_id);
    return;
  }
  Task& task = it->second;
  task.publishing = false;
  if (task.kill_requested || is_terminal(task.state)) {
    if (task.kill_timer != 0) {
      clock_.cancel(task.kill_timer);
      task.kill_timer = 0;
    }
    if (!is_terminal(task.state)) {
      (void)transition(task, TaskState::kKilled, "", "Task killed before it started");
    }
    release_volumes(task_id);
    return;
  }
  if (!published.ok()) {
    spdlog::warn("task {}: {}", task_id, published.error().message);
    (void)transition(task, TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED",
                     "Failed to launch container: " + published.error().message);
    release_volumes(task_id);
    return;
  }
  task.mounts = std::move(published).value();
  fetch_or_start(task);
}

void AgentCore::fetch_or_start(Task& task) {
  if (task.spec.fetch.empty()) {
    start_container(task);
    return;
  }
  const std::string sandbox = task.spec.environment["MESOS_SANDBOX"];
  if (services_.fetcher == nullptr) {
    (void)transition(task, TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED",
                     "Failed to launch container: this agent cannot fetch URIs");
    release_volumes(task.spec.task_id);
    return;
  }
  // The STARTING checkpoint is on disk: a crash while fetching ends the task as gone.
  std::weak_ptr<AgentCore*> weak = self_;
  services_.fetcher->fetch(task.spec.fetch, sandbox,
                           [weak, task_id = task.spec.task_id](Status fetched) {
                             if (auto self = weak.lock()) (*self)->on_fetched(task_id, fetched);
                           });
}

void AgentCore::on_fetched(const std::string& task_id, const Status& fetched) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end() || is_terminal(it->second.state)) return;
  Task& task = it->second;
  if (task.kill_requested) {
    if (task.kill_timer != 0) {
      clock_.cancel(task.kill_timer);
      task.kill_timer = 0;
    }
    (void)transition(task, TaskState::kKilled, "", "Task killed before it started");
    release_volumes(task_id);
    return;
  }
  if (!fetched.ok()) {
    spdlog::warn("task {}: {}", task_id, fetched.error().message);
    // Mesos' words and reason for a fetch that failed.
    (void)transition(task, TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED",
                     "Failed to launch container: " + fetched.error().message);
    release_volumes(task_id);
    return;
  }
  start_container(task);
}

void AgentCore::start_container(Task& task) {
  ContainerSpec spec;
  spec.task_id = task.spec.task_id;
  spec.shell = task.spec.shell;
  spec.command = task.spec.command;
  spec.arguments = task.spec.arguments;
  spec.environment = task.spec.environment;
  spec.cpus = task.spec.resources.cpus();
  spec.mem_mb = static_cast<std::uint64_t>(task.spec.resources.mem());
  spec.sandbox_dir = task.spec.environment["MESOS_SANDBOX"];
  spec.mounts = task.mounts;
  spec.lease_volumes = external_volume_names(task.spec);
  // Only while volumes are staged here: unmounting in the new namespace waits for an RCU grace
  // period (several ms per launch), and with nothing staged there is nothing to hide. Volumes
  // staged later do not reach this task: its namespace is private.
  if (services_.volumes != nullptr && !services_.volumes->mounts_root().empty() &&
      !services_.volumes->mounted().empty()) {
    spec.hide_mounts = {services_.volumes->mounts_root()};
  }
  auto launched = containerizer_.launch(spec);
  if (!launched.ok()) {
    spdlog::warn("task {} failed to launch: {}", spec.task_id, launched.error().message);
    (void)transition(task, TaskState::kFailed, "REASON_CONTAINER_LAUNCH_FAILED",
                     launched.error().message);
    containerizer_.destroy(spec.task_id);
    release_volumes(spec.task_id);
    return;
  }
  // Before the RUNNING update, so that it already says "no result yet" / "not ready".
  if (health_) health_->start(task.spec);
  (void)transition(task, TaskState::kRunning, "", "");
}

void AgentCore::kill(const std::string& task_id, std::int64_t grace_period_ms) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) {
    // The master believes it runs here, but it never arrived: say so, so the master can stop
    // waiting for it.
    Task& task = tasks_[task_id];
    task.spec.task_id = task_id;
    (void)transition(task, TaskState::kKilled, "REASON_RECONCILIATION",
                     "Task not known to the agent; nothing to kill");
    return;
  }
  Task& task = it->second;
  if (is_terminal(task.state) || task.kill_requested) return;
  task.kill_requested = true;
  stop_health(task_id);
  if (!transition(task, TaskState::kKilling, "", "").ok()) return;
  if (grace_period_ms <= 0) {
    containerizer_.signal(task_id, SIGKILL);
    return;
  }
  containerizer_.signal(task_id, SIGTERM);
  task.kill_timer = clock_.schedule(std::chrono::milliseconds(grace_period_ms), [this, task_id] {
    auto found = tasks_.find(task_id);
    if (found == tasks_.end()) return;
    found->second.kill_timer = 0;
    if (!is_terminal(found->second.state)) containerizer_.signal(task_id, SIGKILL);
  });
}

void AgentCore::on_exit(const ContainerExit& exit) {
  auto it = tasks_.find(exit.task_id);
  if (it == tasks_.end()) {
    containerizer_.destroy(exit.task_id);
    release_volumes(exit.task_id);
    return;
  }
  Task& task = it->second;
  stop_health(exit.task_id);
  if (task.kill_timer != 0) {
    clock_.cancel(task.kill_timer);
    task.kill_timer = 0;
  }
  if (!is_terminal(task.state)) {
    Outcome outcome = outcome_of(exit, task.kill_requested);
    spdlog::info("task {} ended: {} ({})", exit.task_id, to_string(outcome.state), outcome.message);
    // The container is released only once its end is checkpointed, so a crash in between
    // re-discovers the exit instead of losing it.
    if (!transition(task, outcome.state, outcome.reason, outcome.message).ok()) return;
  }
  containerizer_.destroy(exit.task_id);
  // Only now is nothing of the task left that could hold its volumes.
  if (!task.spec.volumes.empty()) release_volumes(exit.task_id);
}

StatusUpdate AgentCore::make_update(Task& task, TaskState state, std::string reason,
                                    std::string message) {
  StatusUpdate update;
  update.uuid = random_.uuid();
  update.task_id = task.spec.task_id;
  update.seq = task.next_seq++;
  update.state = state;
  update.reason = std::move(reason);
  update.message = std::move(message);
  update.timestamp_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.wall().time_since_epoch())
          .count();
  if (health_ && health_->watching(task.spec.task_id)) {
    TaskHealth health = health_->health(task.spec.task_id);
    update.healthy = health.healthy;
    update.health_results = std::move(health.results);
    update.ready = health.ready;
  }
  return update;
}

void AgentCore::stop_health(const std::string& task_id) {
  if (health_) health_->stop(task_id);
}

void AgentCore::on_health_changed(const std::string& task_id, const std::string& what) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;
  Task& task = it->second;
  if (task.state != TaskState::kRunning || task.kill_requested) return;
  spdlog::info("task {}: {}", task_id, what);
  // The newest health update says all that an older unacknowledged one did.
  std::erase_if(task.pending,
                [](const StatusUpdate& update) { return update.reason == kReasonHealthUpdated; });
  task.pending.push_back(make_update(task, task.state, kReasonHealthUpdated, what));
  auto status = checkpoint(task);
  if (!status.ok()) {
    spdlog::error("task {}: {}", task_id, status.error().message);
    return;
  }
  flush_updates();
}

Status AgentCore::transition(Task& task, TaskState state, std::string reason, std::string message) {
  StatusUpdate update = make_update(task, state, std::move(reason), std::move(message));
  task.state = state;
  task.pending.push_back(std::move(update));
  auto status = checkpoint(task);
  if (!status.ok()) {
    spdlog::error("task {}: {}", task.spec.task_id, status.error().message);
    return status;
  }
  flush_updates();
  return {};
}

Status AgentCore::checkpoint(const Task& task) {
  auto status =
      disk_.write_checkpoint(task_checkpoint_name(task.spec.task_id), task_to_checkpoint(task));
  if (!status.ok()) return status.error().context("checkpoint task " + task.spec.task_id);
  return {};
}

void AgentCore::flush_updates() {
  if (updates_in_flight_ || session_.empty() || status_timer_ != 0) return;
  std::vector<StatusUpdate> batch;
  for (const auto& [id, task] : tasks_) {
    for (const auto& update : task.pending) batch.push_back(update);
  }
  if (batch.empty()) return;
  updates_in_flight_ = true;
  link_.send_status({agent_id_, session_}, batch, [this](Result<std::vector<std::string>> acks) {
    updates_in_flight_ = false;
    if (acks.ok()) {
      status_delay_ = config_.status_retry;
      on_acks(*acks);
      flush_updates();
      return;
    }
    if (acks.error().code == ErrorCode::kNotFound) {
      on_session_lost(acks.error());
      return;
    }
    spdlog::warn("status updates not acknowledged: {}; retrying", acks.error().message);
    status_timer_ = clock_.schedule(status_delay_, [this] {
      status_timer_ = 0;
      flush_updates();
    });
    status_delay_ = std::min(status_delay_ * 2, config_.status_retry_max);
  });
}

void AgentCore::on_acks(const std::vector<std::string>& acks) {
  std::vector<std::string> finished;
  for (auto& [id, task] : tasks_) {
    auto before = task.pending.size();
    std::erase_if(task.pending, [&](const StatusUpdate& update) {
      return std::find(acks.begin(), acks.end(), update.uuid) != acks.end();
    });
    if (task.pending.size() == before) continue;
    if (is_terminal(task.state) && task.pending.empty()) {
      finished.push_back(id);
    } else {
      // Losing this write only means the update is sent again and deduplicated.
      (void)checkpoint(task);
    }
  }
  for (const auto& id : finished) {
    auto status = disk_.remove_checkpoint(task_checkpoint_name(id));
    if (!status.ok()) spdlog::warn("task {}: {}", id, status.error().message);
    tasks_.erase(id);
  }
}

// ---- Volumes -------------------------------------------------------------------------------

void AgentCore::release_volumes(const std::string& task_id) {
  if (services_.volumes == nullptr) return;
  if (!releasing_.insert(task_id).second) return;
  std::weak_ptr<AgentCore*> weak = self_;
  services_.volumes->release(task_id, [weak, task_id](Status released) {
    auto self = weak.lock();
    if (!self) return;
    AgentCore& core = **self;
    core.releasing_.erase(task_id);
    if (!released.ok()) {
      // The claim stays on record; a busy mount usually clears once the kernel lets go.
      spdlog::error("task {}: release volumes: {}; retrying in {} ms", task_id,
                    released.error().message, millis(core.config_.volume_retry));
      core.clock_.schedule(core.config_.volume_retry, [weak, task_id] {
        if (auto again = weak.lock()) (*again)->release_volumes(task_id);
      });
    }
    // Registration reports the mounts left once every orphan had its turn (a failed release
    // is retried, but does not keep the agent from registering).
    if (core.startup_orphans_.erase(task_id) != 0 && core.startup_orphans_.empty()) {
      core.register_with_master();
    }
    core.maybe_finish_fence();
  });
}

bool AgentCore::lease_expired() const { return clock_.now() >= lease_base_ + volume_lease_; }

bool AgentCore::adopt_volume_lease(std::optional<std::int64_t> master_ms) {
  Duration lease = config_.volume_lease;
  if (master_ms) {
    const Duration master = std::chrono::milliseconds(*master_ms);
    if (master != config_.volume_lease) {
      spdlog::warn(
          "the master's volume lease is {} ms and this agent's --volume_lease {} ms; using the "
          "shorter, {} ms",
          *master_ms, millis(config_.volume_lease), millis(std::min(master, lease)));
    }
    lease = std::min(master, lease);
  }
  if (lease == volume_lease_) return false;
  volume_lease_ = lease;
  return true;
}

bool AgentCore::on_master_answered(Instant sent) {
  // Equal counts: after a restart the base is the start, and a registration sent in that very
  // instant must still publish this process's first deadline.
  if (sent < lease_base_) return false;
  lease_base_ = sent;
  publish_lease();
  if (fenced_) {
    spdlog::warn(
        "the master answered again: volume lease renewed, external volumes may be "
        "mounted again");
    fenced_ = false;
  }
  return true;
}

void AgentCore::publish_lease() {
  // Without volume support no task here has an external volume, so nothing reads it.
  if (services_.volumes == nullptr) return;
  auto published = containerizer_.publish_volume_lease(lease_base_ + volume_lease_);
  if (published.ok()) {
    lease_publication_failing_ = false;
  } else if (!lease_publication_failing_) {
    // Tasks with external volumes are then stopped at the last deadline that was published:
    // early, never late.
    lease_publication_failing_ = true;
    spdlog::error(
        "publish the volume lease: {}; tasks using external volumes will stop at the "
        "last deadline published",
        published.error().message);
  }
}

void AgentCore::check_lease() {
  lease_timer_ = 0;
  const Instant deadline = lease_base_ + volume_lease_;
  const Instant now = clock_.now();
  if (now < deadline) {
    lease_timer_ = clock_.schedule(deadline - now, [this] { check_lease(); });
    return;
  }
  if (!fenced_ && !fencing_) {
    begin_fence();
  } else if (fencing_) {
    // A fence still waiting for its tasks' releases may have seen the lease renewed and a task
    // on an external volume launched, and the lease run out again: that task must stop as well,
    // or the fence waits for it for ever while it writes past the lease (simulator seed 157).
    stop_external_tasks();
  }
  // Expired: look again soon, to retry a failed fence or to re-arm once renewed.
  lease_timer_ = clock_.schedule(config_.volume_retry, [this] { check_lease(); });
}

void AgentCore::begin_fence() {
  std::vector<std::string> victims;
  for (const auto& [id, task] : tasks_) {
    if (!is_terminal(task.state) && uses_external_volume(task.spec)) victims.push_back(id);
  }
  const auto mounted = services_.volumes->mounted();
  if (victims.empty() && mounted.empty()) {
    fenced_ = true;  // nothing to stop or unmount
    spdlog::warn("volume lease expired: no answer from the master for {} ms; no volume mounted",
                 millis(clock_.now() - lease_base_));
    return;
  }
  fencing_ = true;
  std::string names;
  for (const auto& id : victims) names += (names.empty() ? "" : ", ") + id;
  spdlog::error(
      "FENCING: volume lease expired: no poll answered by the master for {} ms (lease {} ms); "
      "killing {} task(s) using external volumes [{}], then unmounting every external volume",
      millis(clock_.now() - lease_base_), millis(volume_lease_), victims.size(), names);
  stop_external_tasks();
  maybe_finish_fence();
}

void AgentCore::stop_external_tasks() {
  std::vector<std::string> victims;
  for (const auto& [id, task] : tasks_) {
    if (!is_terminal(task.state) && uses_external_volume(task.spec)) victims.push_back(id);
  }
  for (const auto& id : victims) {
    Task& task = tasks_.at(id);
    if (task.kill_requested) {
      // A graceful kill may be under way: the lease is the deadline, not its grace period.
      // Once more is harmless: a containerizer ignores signals to ended tasks.
      containerizer_.signal(id, SIGKILL);
    } else {
      kill(id, 0);
    }
  }
}

void AgentCore::maybe_finish_fence() {
  if (!fencing_ || fence_in_flight_) return;
  for (const auto& [id, task] : tasks_) {
    if (!is_terminal(task.state) && uses_external_volume(task.spec)) return;
  }
  fence_in_flight_ = true;
  std::weak_ptr<AgentCore*> weak = self_;
  services_.volumes->fence_all_external([weak](Status fenced) {
    auto self = weak.lock();
    if (!self) return;
    AgentCore& core = **self;
    core.fence_in_flight_ = false;
    core.fencing_ = false;
    if (!fenced.ok()) {
      // check_lease() starts over while the lease stays expired.
      spdlog::error("FENCING failed: {}; trying again", fenced.error().message);
      return;
    }
    // The master may have answered while the fence ran: the lease is renewed, and tasks
    // launched since may use external volumes again, so this node is not fenced any more
    // (the simulator's seed 348 saw fenced() true beside such a task).
    core.fenced_ = core.lease_expired();
    if (!core.fenced_) return;
    spdlog::error(
        "FENCED: every task using an external volume is stopped and every external "
        "volume unmounted on this node");
  });
}

void AgentCore::apply_volume_order(const AgentCommand& order) {
  const bool revoke = order.kind == AgentCommand::Kind::kRevokeVolume;
  spdlog::warn("master orders: {} volume {} epoch {}{}{}", revoke ? "revoke" : "unmount",
               order.volume, order.epoch, order.reason.empty() ? "" : ": ", order.reason);
  std::set<std::string> victims;
  for (const auto& id : order.kill_task_ids) {
    if (tasks_.count(id) != 0) victims.insert(id);
  }
  if (revoke) {
    auto& newest = revoked_[order.volume];
    newest = std::max(newest, order.epoch);
    for (const auto& [id, task] : tasks_) {
      for (const auto& volume : task.spec.volumes) {
        if (volume.volume.name == order.volume && volume.volume.epoch <= order.epoch) {
          victims.insert(id);
        }
      }
    }
  }
  // Their claims, and with the last one the volume's mount, go when they have ended.
  for (const auto& id : victims) {
    Task& task = tasks_.at(id);
    if (is_terminal(task.state)) continue;
    if (revoke && task.kill_requested) {
      containerizer_.signal(id, SIGKILL);
    } else {
      kill(id, revoke ? 0 : task.spec.kill_grace_period_ms);
    }
  }
}

}  // namespace berth
