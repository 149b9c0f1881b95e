// MasterCore: registration and reconciliation of agents, heartbeats, task launches, kills and
// status updates. Every change is built as a Change, persisted in one commit, then applied in
// memory, so a failed commit leaves nothing half-applied and a crash after it loses nothing.
#include "master/master_core.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "state/state_store.h"

namespace berth {
namespace {

constexpr char kAgentPrefix[] = "agents/";
constexpr char kTaskPrefix[] = "tasks/";
constexpr char kMasterIdKey[] = "meta/master_id";

std::string seconds_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0)
             .substr(0, 4) +
         "s";
}

// Marathon's task id alphabet: the name with anything unusual replaced by '_'.
std::string sanitize(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool plain = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    out += plain ? c : '_';
  }
  while (!out.empty() && out.front() == '_') out.erase(out.begin());
  return out.empty() ? "task" : out;
}

}  // namespace

MasterCore::MasterCore(MasterConfig config, Clock& clock, StateStore& store, AgentChannel& channel,
                       Random& random)
    : config_(config), clock_(clock), store_(store), channel_(channel), random_(random) {
  // A held poll is the agent's heartbeat: held longer than a heartbeat interval, it would let
  // a healthy agent look silent (1 s polls against 200 ms x 3 beats made idle agents flap).
  config_.poll_timeout = std::min(config_.poll_timeout, config_.heartbeat_interval);
}

MasterCore::~MasterCore() {
  if (heartbeat_timer_ != 0) clock_.cancel(heartbeat_timer_);
}

Status MasterCore::recover() {
  start_time_ = clock_.wall();
  auto id = store_.get(kMasterIdKey);
  if (!id.ok()) return id.error().context("recover master id");
  if (id->has_value()) {
    master_id_ = (*id)->value;
  } else {
    master_id_ = random_.uuid();
    BERTH_RETURN_IF_ERROR(store_.commit({Mutation::put(kMasterIdKey, master_id_, 0)}));
  }

  auto agents = store_.list(kAgentPrefix);
  if (!agents.ok()) return agents.error().context("recover agents");
  for (const auto& entry : *agents) {
    auto agent = agent_from_json(entry.stored.value);
    if (!agent.ok()) return agent.error().context("recover " + entry.key);
    agent->last_seen = clock_.now();
    agents_.upsert(std::move(agent).value());
  }

  auto tasks = store_.list(kTaskPrefix);
  if (!tasks.ok()) return tasks.error().context("recover tasks");
  std::vector<TaskRecord> completed;
  for (const auto& entry : *tasks) {
    auto task = task_from_json(entry.stored.value);
    if (!task.ok()) return task.error().context("recover " + entry.key);
    if (is_terminal(task->state)) {
      completed.push_back(std::move(task).value());
    } else {
      apply_task(std::move(task).value());
    }
  }
  std::sort(completed.begin(), completed.end(),
            [](const TaskRecord& a, const TaskRecord& b) { return a.updated_at < b.updated_at; });
  for (auto& task : completed) apply_task(std::move(task));
  for (const auto& [task_id, task] : tasks_) {
    if (is_terminal(task.state)) continue;
    if (task.kill_requested) {
      expect_kill_confirmation(task_id);
    } else if (task.state == TaskState::kStaging && task.last_update_seq == 0) {
      expect_launch_confirmation(task_id);
    }
  }

  recovered_ = true;
  spdlog::info("master {} recovered {} agents and {} tasks", master_id_, agents_.size(),
               tasks_.size());
  heartbeat_timer_ = clock_.schedule(config_.heartbeat_interval, [this] { check_heartbeats(); });
  return {};
}

Status MasterCore::commit(Change change) {
  // Keep the number of completed tasks bounded: the oldest go in the same commit.
  std::size_t new_terminal = 0;
  for (const auto& task : change.tasks) {
    auto it = tasks_.find(task.id());
    bool was_terminal = it != tasks_.end() && is_terminal(it->second.state);
    if (is_terminal(task.state) && !was_terminal) ++new_terminal;
  }
  for (std::size_t i = 0;
       i < completed_.size() && completed_.size() + new_terminal - i > config_.max_completed_tasks;
       ++i) {
    change.removed_tasks.push_back(completed_[i]);
  }

  std::vector<Mutation> mutations;
  for (const auto& agent : change.agents) {
    mutations.push_back(Mutation::put(kAgentPrefix + agent.id, agent_to_json(agent)));
  }
  for (const auto& task : change.tasks) {
    mutations.push_back(Mutation::put(kTaskPrefix + task.id(), task_to_json(task)));
  }
  for (const auto& id : change.removed_tasks) {
    mutations.push_back(Mutation::remove(kTaskPrefix + id));
  }
  BERTH_RETURN_IF_ERROR(store_.commit(mutations));

  for (auto& agent : change.agents) {
    if (const AgentRecord* current = agents_.find(agent.id)) {
      agent.used = current->used;
      agent.task_ids = current->task_ids;
    }
    agents_.upsert(std::move(agent));
  }
  for (auto& task : change.tasks) apply_task(std::move(task));
  for (const auto& id : change.removed_tasks) {
    tasks_.erase(id);
    completed_.erase(std::find(completed_.begin(), completed_.end(), id));
  }
  return {};
}

void MasterCore::apply_task(TaskRecord task) {
  auto it = tasks_.find(task.id());
  bool was_live = it != tasks_.end() && !is_terminal(it->second.state);
  if (was_live) {
    agents_.release(it->second.agent_id, task.id(), it->second.spec.resources);
    if (!it->second.spec.app_id.empty()) {
      auto app = live_by_app_.find(it->second.spec.app_id);
      app->second.erase(task.id());
      if (app->second.empty()) live_by_app_.erase(app);
    }
  }
  if (!is_terminal(task.state)) {
    agents_.charge(task.agent_id, task.id(), task.spec.resources);
  } else if (it == tasks_.end() || was_live) {
    completed_.push_back(task.id());
  }
  const std::string id = task.id();
  // A map node keeps its address and its key while it stays, so the index can point into it.
  const auto& [key, stored] = *tasks_.insert_or_assign(id, std::move(task)).first;
  if (!is_terminal(stored.state) && !stored.spec.app_id.empty()) {
    live_by_app_[stored.spec.app_id].emplace(key, &stored);
  }
  for (const auto& listener : task_listeners_) listener(stored);
}

std::vector<const TaskRecord*> MasterCore::live_tasks_of(const std::string& app_id) const {
  std::vector<const TaskRecord*> tasks;
  auto app = live_by_app_.find(app_id);
  if (app == live_by_app_.end()) return tasks;
  tasks.reserve(app->second.size());
  for (const auto& [id, task] : app->second) tasks.push_back(task);
  return tasks;
}

Result<RegisterReply> MasterCore::register_agent(const RegisterAgent& message) {
  if (!recovered_) return unavailable("master is recovering");
  const AgentRecord* existing = message.agent_id.empty() ? nullptr : agents_.find(message.agent_id);
  const std::string address = message.hostname + ":" + std::to_string(message.port);
  const Duration timeout = config_.heartbeat_interval * config_.max_missed_heartbeats;
  if (existing != nullptr && existing->status == AgentRecord::Status::kActive &&
      existing->address() != address && clock_.now() - existing->last_seen < timeout) {
    return conflict("agent id " + message.agent_id + " is held by the live agent at " +
                    existing->address() + "; refusing the registration from " + address);
  }

  AgentRecord record = existing != nullptr ? *existing : AgentRecord{};
  const std::string old_session = record.session;
  record.id = message.agent_id.empty() ? new_agent_id() : message.agent_id;
  record.hostname = message.hostname;
  record.port = message.port;
  record.total = message.resources;
  record.attributes = message.attributes;
  record.boot_id = message.boot_id;
  record.version = message.version;
  record.volume_drivers = message.volume_drivers;
  if (existing == nullptr) record.registered_time = clock_.wall();
  record.status = AgentRecord::Status::kActive;
  record.session = random_.uuid();
  record.last_seen = clock_.now();

  Change change;
  std::vector<AgentCommand> commands;
  reconcile(record, message.tasks, change, commands);
  change.agents.push_back(record);
  auto status = commit(std::move(change));
  if (!status.ok()) return status.error().context("register agent " + record.id);

  if (!old_session.empty()) channel_.close_session(record.id, old_session);
  for (auto& command : commands) channel_.send(record.id, record.session, std::move(command));
  spdlog::info("agent {} at {} {} with {} tasks; resources {}", record.id, address,
               existing != nullptr ? "re-registered" : "registered", message.tasks.size(),
               record.total.to_string());
  for (AgentListener* listener : agent_listeners_) {
    listener->agent_heartbeat(record.id, record.last_seen);
    listener->agent_registered(record.id, message);
  }

  RegisterReply reply;
  reply.agent_id = record.id;
  reply.session = record.session;
  reply.heartbeat_interval_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.heartbeat_interval).count();
  reply.poll_timeout_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.poll_timeout).count();
  return reply;
}

void MasterCore::reconcile(const AgentRecord& agent, const std::vector<TaskReport>& reported,
                           Change& change, std::vector<AgentCommand>& commands) {
  std::map<std::string, TaskState> by_id;
  for (const auto& report : reported) by_id[report.task_id] = report.state;

  for (const auto& task_id : agent.task_ids) {
    const TaskRecord& task = tasks_.at(task_id);
    auto it = by_id.find(task_id);
    if (it == by_id.end()) {
      change.tasks.push_back(transition(task, TaskState::kLost, "REASON_RECONCILIATION",
                                        "Task unknown to the agent when it registered again"));
      continue;
    }
    if (task.state == TaskState::kUnreachable && !is_terminal(it->second)) {
      change.tasks.push_back(transition(task, it->second, "", "Agent registered again"));
    }
    if (task.kill_requested) {
      commands.push_back(AgentCommand::kill(task_id, task.spec.kill_grace_period_ms));
      expect_kill_confirmation(task_id);
    }
  }
  for (const auto& report : reported) {
    auto it = tasks_.find(report.task_id);
    bool known_here =
        it != tasks_.end() && it->second.agent_id == agent.id && !is_terminal(it->second.state);
    if (!known_here && !is_terminal(report.state)) {
      spdlog::warn("agent {} runs task {} that the master does not know; killing it", agent.id,
                   report.task_id);
      commands.push_back(AgentCommand::kill(report.task_id, 0));
      orphans_[report.task_id] = {agent.id, clock_.now() + config_.kill_retry};
    }
  }
  // Orphans it no longer reports are gone.
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    const bool still_runs = by_id.contains(it->first) && !is_terminal(by_id.at(it->first));
    it = it->second.agent_id == agent.id && !still_runs ? orphans_.erase(it) : std::next(it);
  }
}

Status MasterCore::heartbeat(const SessionRef& ref) {
  AgentRecord* agent = agents_.find_by_session(ref.agent_id, ref.session);
  if (agent == nullptr) {
    return not_found("agent " + ref.agent_id + " has no session " + ref.session +
                     "; register again");
  }
  agent->last_seen = clock_.now();
  for (AgentListener* listener : agent_listeners_) {
    listener->agent_heartbeat(agent->id, agent->last_seen);
  }
  return {};
}

Status MasterCore::send_to_agent(const std::string& agent_id, AgentCommand command) {
  const AgentRecord* agent = agents_.find(agent_id);
  if (agent == nullptr || agent->status != AgentRecord::Status::kActive || agent->session.empty()) {
    return unavailable("agent " + agent_id + " has no session");
  }
  channel_.send(agent->id, agent->session, std::move(command));
  return {};
}

Result<std::vector<std::string>> MasterCore::update_status(
    const SessionRef& ref, const std::vector<StatusUpdate>& updates) {
  AgentRecord* agent = agents_.find_by_session(ref.agent_id, ref.session);
  if (agent == nullptr) {
    return not_found("agent " + ref.agent_id + " has no session " + ref.session +
                     "; register again");
  }
  agent->last_seen = clock_.now();

  std::map<std::string, TaskRecord> changed;
  std::vector<std::string> acks;
  for (const auto& update : updates) {
    acks.push_back(update.uuid);
    auto pending = changed.find(update.task_id);
    const TaskRecord* task =
        pending != changed.end() ? &pending->second : find_task(update.task_id);
    if (auto orphan = orphans_.find(update.task_id); orphan != orphans_.end() &&
                                                     orphan->second.agent_id == agent->id &&
                                                     is_terminal(update.state)) {
      orphans_.erase(orphan);
    }
    // Alive on the agent, but ended or unknown here (expunged while the agent was away, say):
    // it must not run on beside its replacement. An older update delivered late is no news.
    if (!is_terminal(update.state) &&
        (task == nullptr || (task->agent_id == agent->id && is_terminal(task->state) &&
                             update.seq > task->last_update_seq))) {
      kill_orphan(agent->id, update.task_id);
    }
    if (task == nullptr || task->agent_id != agent->id) {
      spdlog::warn("ignoring {} for unknown task {} from agent {}", to_string(update.state),
                   update.task_id, agent->id);
      continue;
    }
    if (update.seq <= task->last_update_seq || is_terminal(task->state)) continue;  // a retry
    // News of health or readiness alone leaves the state, its reason and message as they were.
    const bool health_only = update.reason == kReasonHealthUpdated && update.state == task->state;
    TaskRecord next =
        health_only ? *task : transition(*task, update.state, update.reason, update.message);
    next.last_update_seq = update.seq;
    apply_health(next, update);
    if (update.state == TaskState::kRunning && !next.started_at) next.started_at = clock_.wall();
    changed.insert_or_assign(update.task_id, std::move(next));
  }
  if (!changed.empty()) {
    Change change;
    for (auto& [id, task] : changed) change.tasks.push_back(std::move(task));
    auto status = commit(std::move(change));
    if (!status.ok()) return status.error().context("status updates from agent " + agent->id);
  }
  return acks;
}

Result<Placement> MasterCore::place(const PlacementRequest& request) const {
  return allocator_.place(agents_, request);
}

Result<TaskRecord> MasterCore::launch(const LaunchRequest& request) {
  if (request.command.empty() && request.arguments.empty()) {
    return invalid_argument("launch: a command or arguments are required");
  }
  PlacementRequest placement_request;
  placement_request.resources = request.resources;
  placement_request.port_count = request.port_count;
  placement_request.fixed_ports = request.fixed_ports;
  placement_request.refusals = request.refusals;
  if (!request.agent_id.empty() || !request.hostname.empty()) {
    placement_request.filter = [&request](const AgentRecord& agent) {
      return (request.agent_id.empty() || agent.id == request.agent_id) &&
             (request.hostname.empty() || agent.hostname == request.hostname);
    };
    placement_request.filter_reason = "not the requested agent";
    if (!request.hostname.empty()) {
      placement_request.hints.only_where = AgentFieldValue{"hostname", request.hostname};
    }
  } else if (request.filter) {
    placement_request.filter = request.filter;
    placement_request.filter_reason = request.filter_reason;
    placement_request.hints = request.hints;
  }
  auto placement = place(placement_request);
  if (!placement.ok()) return placement.error().context("launch " + request.name);
  const AgentRecord& agent = *agents_.find(placement->agent_id);

  TaskRecord task;
  task.spec.task_id = request.task_id.empty() ? new_task_id(request.name) : request.task_id;
  if (tasks_.count(task.spec.task_id) != 0) {
    return conflict("launch: task " + task.spec.task_id + " exists already");
  }
  task.spec.app_version = request.app_version;
  task.spec.name = request.name;
  task.spec.app_id = request.app_id;
  task.spec.shell = request.shell;
  task.spec.command = request.command;
  task.spec.arguments = request.arguments;
  task.spec.environment = request.environment;
  task.spec.resources = placement->resources;
  task.spec.kill_grace_period_ms = request.kill_grace_period_ms;
  auto& env = task.spec.environment;
  env["HOST"] = agent.hostname;
  std::string ports_list;
  for (std::size_t i = 0; i < placement->ports.size(); ++i) {
    std::string port = std::to_string(placement->ports[i]);
    env["PORT" + std::to_string(i)] = port;
    ports_list += (i == 0 ? "" : ",") + port;
  }
  if (!placement->ports.empty()) {
    env["PORT"] = env["PORT0"];
    env["PORTS"] = ports_list;
  }
  if (!request.app_id.empty()) env["MARATHON_APP_ID"] = request.app_id;
  if (request.complete_spec) {
    auto completed = request.complete_spec(task.spec, agent);
    if (!completed.ok()) return completed.error().context("launch " + task.id());
  }
  task.agent_id = agent.id;
  task.hostname = agent.hostname;
  task.ports = placement->ports;
  task.state = TaskState::kStaging;
  task.staged_at = clock_.wall();
  task.updated_at = task.staged_at;

  // The environment goes to the agent, whose checkpoint keeps it: the master never reads it
  // again, and it was most of the master's memory per task. The record keeps the rest.
  TaskRecord record = task;
  record.spec.environment.clear();
  Change change;
  change.tasks.push_back(std::move(record));
  auto status = commit(std::move(change));
  if (!status.ok()) return status.error().context("launch " + task.id());
  channel_.send(agent.id, agent.session, AgentCommand::launch(task.spec));
  expect_launch_confirmation(task.id());
  return task;
}

Status MasterCore::kill(const std::string& task_id) {
  const TaskRecord* task = find_task(task_id);
  if (task == nullptr) return not_found("Task '" + task_id + "' does not exist");
  if (is_terminal(task->state)) return {};
  if (!task->kill_requested) {
    TaskRecord next = *task;
    next.kill_requested = true;
    Change change;
    change.tasks.push_back(std::move(next));
    auto status = commit(std::move(change));
    if (!status.ok()) return status.error().context("kill " + task_id);
  }
  const TaskRecord& current = tasks_.at(task_id);
  const AgentRecord* agent = agents_.find(current.agent_id);
  if (agent != nullptr && agent->status == AgentRecord::Status::kActive) {
    channel_.send(agent->id, agent->session,
                  AgentCommand::kill(task_id, current.spec.kill_grace_period_ms));
  }
  expect_kill_confirmation(task_id);
  return {};
}

const TaskRecord* MasterCore::find_task(const std::string& id) const {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
}

void MasterCore::check_heartbeats() {
  const Instant now = clock_.now();
  const Duration timeout = config_.heartbeat_interval * config_.max_missed_heartbeats;
  std::vector<std::pair<std::string, std::string>> late;
  for (const auto& [id, agent] : agents_.all()) {
    if (agent.status == AgentRecord::Status::kActive && now - agent.last_seen > timeout) {
      late.emplace_back(id, "no heartbeat for " + seconds_text(now - agent.last_seen));
    } else if (agent.status == AgentRecord::Status::kRecovered &&
               now - agent.last_seen > config_.agent_reregister_timeout) {
      late.emplace_back(id, "did not register again within " +
                                seconds_text(config_.agent_reregister_timeout) +
                                " of the master's restart");
    }
  }
  for (const auto& [id, why] : late) {
    auto status = mark_unreachable(*agents_.find(id), why);
    if (!status.ok()) spdlog::error("mark agent {} unreachable: {}", id, status.error().message);
  }
  follow_up_commands();
  heartbeat_timer_ = clock_.schedule(config_.heartbeat_interval, [this] { check_heartbeats(); });
}

void MasterCore::expect_launch_confirmation(const std::string& task_id) {
  launches_to_confirm_.push_back({clock_.now() + config_.launch_confirm_timeout, task_id});
}

void MasterCore::expect_kill_confirmation(const std::string& task_id) {
  if (!kills_queued_.insert(task_id).second) return;
  kills_to_confirm_.push_back({clock_.now() + config_.kill_retry, task_id});
}

void MasterCore::kill_orphan(const std::string& agent_id, const std::string& task_id) {
  if (orphans_.contains(task_id)) return;
  spdlog::warn("agent {} runs task {} that the master does not hold live there; killing it",
               agent_id, task_id);
  orphans_[task_id] = {agent_id, clock_.now() + config_.kill_retry};
  (void)send_to_agent(agent_id, AgentCommand::kill(task_id, 0));
}

void MasterCore::follow_up_commands() {
  const Instant now = clock_.now();
  for (auto& [task_id, orphan] : orphans_) {
    if (orphan.due > now) continue;
    orphan.due = now + config_.kill_retry;
    // No session (unreachable, or not back since a restart): its registration reconciles.
    (void)send_to_agent(orphan.agent_id, AgentCommand::kill(task_id, 0));
  }
  while (!launches_to_confirm_.empty() && launches_to_confirm_.front().due <= now) {
    const std::string id = std::move(launches_to_confirm_.front().task_id);
    launches_to_confirm_.pop_front();
    const TaskRecord* task = find_task(id);
    // Any update (even a failure) confirms that the launch arrived.
    if (task == nullptr || task->state != TaskState::kStaging || task->last_update_seq != 0 ||
        task->kill_requested) {
      continue;
    }
    const AgentRecord* agent = agents_.find(task->agent_id);
    if (agent == nullptr || agent->status != AgentRecord::Status::kActive) {
      // Not registered again since a restart: its registration will report the task or not.
      expect_launch_confirmation(id);
      continue;
    }
    spdlog::warn("task {}: agent {} has not confirmed its launch within {}; killing it", id,
                 task->agent_id, seconds_text(config_.launch_confirm_timeout));
    auto killed = kill(id);
    if (!killed.ok()) spdlog::error("kill task {}: {}", id, killed.error().message);
  }
  while (!kills_to_confirm_.empty() && kills_to_confirm_.front().due <= now) {
    const std::string id = std::move(kills_to_confirm_.front().task_id);
    kills_to_confirm_.pop_front();
    kills_queued_.erase(id);
    const TaskRecord* task = find_task(id);
    if (task == nullptr || is_terminal(task->state) || !task->kill_requested) continue;
    const AgentRecord* agent = agents_.find(task->agent_id);
    if (agent != nullptr && agent->status == AgentRecord::Status::kActive) {
      // Idempotent at the agent: a kill under way goes on, an unknown task is reported killed.
      channel_.send(agent->id, agent->session,
                    AgentCommand::kill(id, task->spec.kill_grace_period_ms));
    }
    expect_kill_confirmation(id);
  }
}

Status MasterCore::mark_unreachable(AgentRecord& agent, const std::string& why) {
  AgentRecord next = agent;
  const std::string old_session = agent.session;
  next.status = AgentRecord::Status::kUnreachable;
  next.session.clear();
  Change change;
  for (const auto& task_id : agent.task_ids) {
    change.tasks.push_back(transition(tasks_.at(task_id), TaskState::kUnreachable,
                                      "REASON_SLAVE_REMOVED", "Agent unreachable: " + why));
  }
  change.agents.push_back(std::move(next));
  const std::string id = agent.id;
  const Instant last_seen = agent.last_seen;
  BERTH_RETURN_IF_ERROR(commit(std::move(change)));
  if (!old_session.empty()) channel_.close_session(id, old_session);
  spdlog::warn("agent {} is unreachable: {}", id, why);
  for (AgentListener* listener : agent_listeners_) listener->agent_unreachable(id, last_seen);
  return {};
}

Status MasterCore::expunge(const std::string& task_id) {
  const TaskRecord* task = find_task(task_id);
  if (task == nullptr) return not_found("Task '" + task_id + "' does not exist");
  if (task->state != TaskState::kUnreachable) {
    return conflict("task " + task_id + " is not unreachable; kill it instead");
  }
  Change change;
  change.tasks.push_back(transition(*task, TaskState::kGone, "REASON_TASK_UNREACHABLE",
                                    "Expunged: unreachable for longer than its app allows"));
  return commit(std::move(change));
}

TaskRecord MasterCore::transition(const TaskRecord& task, TaskState state, std::string reason,
                                  std::string message) const {
  TaskRecord next = task;
  next.state = state;
  next.reason = std::move(reason);
  next.message = std::move(message);
  next.updated_at = clock_.wall();
  return next;
}

std::string MasterCore::new_agent_id() {
  std::size_t index = agents_.size();
  std::string id;
  do {
    id = master_id_ + "-S" + std::to_string(index++);
  } while (agents_.find(id) != nullptr);
  return id;
}

std::string MasterCore::new_task_id(const std::string& name) {
  return sanitize(name) + "." + random_.uuid();
}

}  // namespace berth
