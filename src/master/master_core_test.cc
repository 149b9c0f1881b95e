// MasterCore on a fake clock and an in-memory store: registration, launches, status updates,
// heartbeats, unreachable agents, restarts and reconciliation. No sleeps: time moves when the
// test says so.
#include "master/master_core.h"

#include <gtest/gtest.h>

#include "common/fake_clock.h"
#include "state/memory_state_store.h"

namespace berth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Records what the core sends, per agent.
class RecordingChannel : public AgentChannel {
 public:
  void send(const std::string& agent_id, const std::string& session,
            AgentCommand command) override {
    sent.push_back({agent_id, session, std::move(command)});
  }
  void close_session(const std::string& agent_id, const std::string& session) override {
    closed.emplace_back(agent_id, session);
  }
  struct Sent {
    std::string agent_id;
    std::string session;
    AgentCommand command;
  };
  std::vector<Sent> sent;
  std::vector<std::pair<std::string, std::string>> closed;
};

class MasterCoreTest : public ::testing::Test {
 protected:
  MasterCoreTest() { start_master(); }

  void start_master() {
    core_ = std::make_unique<MasterCore>(config_, clock_, store_, channel_, random_);
    ASSERT_TRUE(core_->recover().ok());
  }

  RegisterAgent agent_message(
      const std::string& id, const std::string& host,
      const std::string& resources = "cpus:2;mem:1024;ports:[31000-31009]") {
    RegisterAgent message;
    message.agent_id = id;
    message.hostname = host;
    message.port = 5051;
    message.resources = *Resources::parse(resources);
    message.attributes = *parse_attributes("disk:ssd");
    return message;
  }

  RegisterReply register_agent(const std::string& host, const std::string& id = "") {
    auto reply = core_->register_agent(agent_message(id, host));
    EXPECT_TRUE(reply.ok()) << reply.error().message;
    return *reply;
  }

  TaskRecord launch(const std::string& agent_id = "", double mem = 128, std::size_t ports = 1) {
    LaunchRequest request;
    request.name = "sleeper";
    request.command = "sleep 1000";
    request.resources = *Resources::parse("cpus:0.5;mem:" + std::to_string(mem));
    request.port_count = ports;
    request.agent_id = agent_id;
    auto task = core_->launch(request);
    EXPECT_TRUE(task.ok()) << task.error().message;
    return *task;
  }

  StatusUpdate update(const std::string& task_id, TaskState state, std::uint64_t seq) {
    return {"u-" + task_id + "-" + std::to_string(seq), task_id, seq, state, "", "", 0};
  }

  MasterConfig config_;
  FakeClock clock_;
  MemoryStateStore store_;
  RecordingChannel channel_;
  Random random_{42};
  std::unique_ptr<MasterCore> core_;
};

TEST_F(MasterCoreTest, RegistersAgentAndPersistsIt) {
  RegisterReply reply = register_agent("node-1");
  EXPECT_FALSE(reply.agent_id.empty());
  EXPECT_FALSE(reply.session.empty());
  const AgentRecord* agent = core_->agents().find(reply.agent_id);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->status, AgentRecord::Status::kActive);
  auto stored = store_.get("agents/" + reply.agent_id);
  ASSERT_TRUE(stored.ok() && stored->has_value());
}

TEST_F(MasterCoreTest, LaunchPersistsBeforeSendingAndSetsPortsEnvironment) {
  RegisterReply reply = register_agent("node-1");
  TaskRecord task = launch("", 128, 2);
  EXPECT_EQ(task.state, TaskState::kStaging);
  EXPECT_EQ(task.agent_id, reply.agent_id);
  ASSERT_EQ(task.ports.size(), 2u);
  EXPECT_EQ(task.spec.environment.at("PORT0"), "31000");
  EXPECT_EQ(task.spec.environment.at("PORTS"), "31000,31001");
  EXPECT_EQ(task.spec.environment.at("HOST"), "node-1");
  auto stored = store_.get("tasks/" + task.id());
  ASSERT_TRUE(stored.ok() && stored->has_value());
  ASSERT_EQ(channel_.sent.size(), 1u);
  EXPECT_EQ(channel_.sent[0].session, reply.session);
  EXPECT_EQ(channel_.sent[0].command.kind, AgentCommand::Kind::kLaunch);
  EXPECT_NEAR(core_->agents().find(reply.agent_id)->used.mem(), 128, 1e-9);
}

TEST_F(MasterCoreTest, StatusUpdatesAreAppliedOnceAndInOrder) {
  RegisterReply reply = register_agent("node-1");
  TaskRecord task = launch();
  SessionRef ref{reply.agent_id, reply.session};
  auto acks = core_->update_status(ref, {update(task.id(), TaskState::kRunning, 1)});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->size(), 1u);
  EXPECT_EQ(core_->find_task(task.id())->state, TaskState::kRunning);
  EXPECT_TRUE(core_->find_task(task.id())->started_at.has_value());

  ASSERT_TRUE(core_->update_status(ref, {update(task.id(), TaskState::kKilling, 2)}).ok());
  // A retry of the first update arrives late: acknowledged, not applied.
  acks = core_->update_status(ref, {update(task.id(), TaskState::kRunning, 1)});
  ASSERT_TRUE(acks.ok());
  EXPECT_EQ(acks->size(), 1u);
  EXPECT_EQ(core_->find_task(task.id())->state, TaskState::kKilling);
}

TEST_F(MasterCoreTest, HealthUpdatesKeepTheStateAndSurviveARestart) {
  RegisterReply reply = register_agent("node-1");
  LaunchRequest request;
  request.command = "serve";
  request.resources = *Resources::parse("cpus:0.5;mem:64");
  request.port_count = 1;
  request.complete_spec = [](TaskSpec& spec, const AgentRecord&) -> Status {
    HealthCheckSpec check;
    check.kind = HealthCheckKind::kTcp;
    check.max_consecutive_failures = 2;
    spec.health_checks = {check};
    return {};
  };
  auto launched = core_->launch(request);
  ASSERT_TRUE(launched.ok()) << launched.error().message;
  const std::string id = launched->id();
  SessionRef ref{reply.agent_id, reply.session};
  StatusUpdate running = update(id, TaskState::kRunning, 1);
  running.message = "started";
  running.health_results = {HealthCheckResult{}};
  ASSERT_TRUE(core_->update_status(ref, {running}).ok());
  EXPECT_FALSE(core_->find_task(id)->healthy.has_value());

  StatusUpdate failing = update(id, TaskState::kRunning, 3);
  failing.reason = kReasonHealthUpdated;
  failing.message = "health check 0 (TCP) failed";
  failing.healthy = false;
  HealthCheckResult result;
  result.consecutive_failures = 2;
  result.last_failure_ms = 5000;
  result.last_failure_cause = "connection refused";
  failing.health_results = {result};
  ASSERT_TRUE(core_->update_status(ref, {failing}).ok());
  const TaskRecord* task = core_->find_task(id);
  EXPECT_EQ(task->state, TaskState::kRunning);
  EXPECT_EQ(task->message, "started") << "a health update leaves the state's message";
  EXPECT_EQ(task->healthy, std::optional<bool>(false));
  EXPECT_EQ(task->health_results.at(0).consecutive_failures, 2u);
  EXPECT_EQ(health_kill_reason(*task),
            std::optional<std::string>("health check 0 failed 2 times in a row "
                                       "(connection refused)"));

  // An older health update retried late is acknowledged but not applied.
  StatusUpdate older = update(id, TaskState::kRunning, 2);
  older.reason = kReasonHealthUpdated;
  older.healthy = true;
  older.health_results = {HealthCheckResult{true, 0, 1000, 1000, std::nullopt, ""}};
  ASSERT_TRUE(core_->update_status(ref, {older}).ok());
  EXPECT_EQ(core_->find_task(id)->healthy, std::optional<bool>(false));

  start_master();
  task = core_->find_task(id);
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(task->healthy, std::optional<bool>(false));
  EXPECT_EQ(task->health_results, failing.health_results);
  EXPECT_EQ(task->spec.health_checks.size(), 1u);
}

TEST_F(MasterCoreTest, TerminalUpdateReleasesResources) {
  RegisterReply reply = register_agent("node-1");
  TaskRecord task = launch();
  ASSERT_TRUE(core_
                  ->update_status({reply.agent_id, reply.session},
                                  {update(task.id(), TaskState::kFinished, 1)})
                  .ok());
  const AgentRecord* agent = core_->agents().find(reply.agent_id);
  EXPECT_NEAR(agent->used.mem(), 0, 1e-9);
  EXPECT_TRUE(agent->used.ports().empty());
  EXPECT_TRUE(agent->task_ids.empty());
}

TEST_F(MasterCoreTest, NoRoomExplainsWhy) {
  register_agent("node-1");
  launch("", 1000);
  LaunchRequest request;
  request.command = "true";
  request.resources = *Resources::parse("cpus:0.1;mem:100");
  auto result = core_->launch(request);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(result.error().message.find("1 agent: not enough mem"), std::string::npos)
      << result.error().message;
}

TEST_F(MasterCoreTest, FailedCommitChangesNothing) {
  RegisterReply reply = register_agent("node-1");
  store_.fail_next_commits(1);
  LaunchRequest request;
  request.command = "true";
  request.resources = *Resources::parse("cpus:0.1;mem:10");
  EXPECT_FALSE(core_->launch(request).ok());
  EXPECT_TRUE(core_->tasks().empty());
  EXPECT_TRUE(channel_.sent.empty());
  EXPECT_NEAR(core_->agents().find(reply.agent_id)->used.mem(), 0, 1e-9);
}

TEST_F(MasterCoreTest, MissedHeartbeatsMakeAgentAndTasksUnreachable) {
  RegisterReply reply = register_agent("node-1");
  TaskRecord task = launch();
  SessionRef ref{reply.agent_id, reply.session};
  // Heartbeats keep it alive well past the timeout.
  for (int i = 0; i < 10; ++i) {
    clock_.advance(milliseconds(900));
    ASSERT_TRUE(core_->heartbeat(ref).ok());
  }
  EXPECT_EQ(core_->agents().find(reply.agent_id)->status, AgentRecord::Status::kActive);
  // Then silence: unreachable once 5 intervals pass, not before.
  clock_.advance(seconds(4));
  EXPECT_EQ(core_->agents().find(reply.agent_id)->status, AgentRecord::Status::kActive);
  clock_.advance(seconds(2));
  EXPECT_EQ(core_->agents().find(reply.agent_id)->status, AgentRecord::Status::kUnreachable);
  EXPECT_EQ(core_->find_task(task.id())->state, TaskState::kUnreachable);
  EXPECT_EQ(core_->heartbeat(ref).error().code, ErrorCode::kNotFound);
  ASSERT_EQ(channel_.closed.size(), 1u);

  // It comes back still running the task: the task is running again.
  RegisterAgent again = agent_message(reply.agent_id, "node-1");
  again.tasks = {{task.id(), TaskState::kRunning}};
  auto second = core_->register_agent(again);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(core_->find_task(task.id())->state, TaskState::kRunning);
  EXPECT_EQ(core_->agents().find(reply.agent_id)->status, AgentRecord::Status::kActive);
}

TEST_F(MasterCoreTest, RestartRecoversEverythingAndReconciles) {
  RegisterReply reply = register_agent("node-1");
  TaskRecord kept = launch();
  TaskRecord vanished = launch();
  TaskRecord finished = launch();
  SessionRef ref{reply.agent_id, reply.session};
  ASSERT_TRUE(core_
                  ->update_status(ref, {update(kept.id(), TaskState::kRunning, 1),
                                        update(finished.id(), TaskState::kFinished, 1)})
                  .ok());

  // The master dies; a new one starts on the same store.
  start_master();
  const AgentRecord* agent = core_->agents().find(reply.agent_id);
  ASSERT_NE(agent, nullptr);
  EXPECT_EQ(agent->status, AgentRecord::Status::kRecovered);
  EXPECT_EQ(core_->tasks().size(), 3u);
  EXPECT_EQ(core_->find_task(finished.id())->state, TaskState::kFinished);
  EXPECT_NEAR(agent->used.mem(), 256, 1e-9) << "two live tasks stay charged";
  EXPECT_EQ(core_->heartbeat(ref).error().code, ErrorCode::kNotFound) << "old session is gone";

  // The agent registers again, reporting one task the master knows and one it does not.
  RegisterAgent again = agent_message(reply.agent_id, "node-1");
  again.tasks = {{kept.id(), TaskState::kRunning}, {"stray.1", TaskState::kRunning}};
  channel_.sent.clear();
  ASSERT_TRUE(core_->register_agent(again).ok());
  EXPECT_EQ(core_->find_task(kept.id())->state, TaskState::kRunning);
  EXPECT_EQ(core_->find_task(vanished.id())->state, TaskState::kLost);
  ASSERT_EQ(channel_.sent.size(), 1u);
  EXPECT_EQ(channel_.sent[0].command.kind, AgentCommand::Kind::kKill);
  EXPECT_EQ(channel_.sent[0].command.task_id, "stray.1");
}

TEST_F(MasterCoreTest, AgentsThatDoNotReturnAfterRestartBecomeUnreachable) {
  RegisterReply reply = register_agent("node-1");
  TaskRecord task = launch();
  start_master();
  clock_.advance(config_.agent_reregister_timeout - seconds(1));
  EXPECT_EQ(core_->agents().find(reply.agent_id)->status, AgentRecord::Status::kRecovered);
  clock_.advance(seconds(2));
  EXPECT_EQ(core_->agents().find(reply.agent_id)->status, AgentRecord::Status::kUnreachable);
  EXPECT_EQ(core_->find_task(task.id())->state, TaskState::kUnreachable);
}

TEST_F(MasterCoreTest, AgentIdHeldByAnotherLiveAgentIsRefused) {
  RegisterReply reply = register_agent("node-1");
  auto impostor = core_->register_agent(agent_message(reply.agent_id, "node-2"));
  ASSERT_FALSE(impostor.ok());
  EXPECT_EQ(impostor.error().code, ErrorCode::kConflict);
  EXPECT_NE(impostor.error().message.find("held by the live agent at node-1:5051"),
            std::string::npos);
  // The same agent restarting (same address) takes its id back.
  auto restarted = core_->register_agent(agent_message(reply.agent_id, "node-1"));
  ASSERT_TRUE(restarted.ok());
  EXPECT_NE(restarted->session, reply.session);
}

TEST_F(MasterCoreTest, KillIsPersistedAndResentAfterReregistration) {
  RegisterReply reply = register_agent("node-1");
  TaskRecord task = launch();
  channel_.sent.clear();
  ASSERT_TRUE(core_->kill(task.id()).ok());
  ASSERT_EQ(channel_.sent.size(), 1u);
  EXPECT_EQ(channel_.sent[0].command.kind, AgentCommand::Kind::kKill);
  EXPECT_TRUE(core_->find_task(task.id())->kill_requested);

  start_master();
  channel_.sent.clear();
  RegisterAgent again = agent_message(reply.agent_id, "node-1");
  again.tasks = {{task.id(), TaskState::kRunning}};
  ASSERT_TRUE(core_->register_agent(again).ok());
  ASSERT_EQ(channel_.sent.size(), 1u);
  EXPECT_EQ(channel_.sent[0].command.task_id, task.id());
  EXPECT_EQ(core_->kill("no-such-task").error().code, ErrorCode::kNotFound);
}

TEST_F(MasterCoreTest, CompletedTasksAreBounded) {
  config_.max_completed_tasks = 3;
  start_master();
  RegisterReply reply = register_agent("node-1");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    TaskRecord task = launch("", 1, 0);
    ids.push_back(task.id());
    ASSERT_TRUE(core_
                    ->update_status({reply.agent_id, reply.session},
                                    {update(task.id(), TaskState::kFinished, 1)})
                    .ok());
  }
  EXPECT_EQ(core_->tasks().size(), 3u);
  EXPECT_EQ(core_->find_task(ids[0]), nullptr);
  EXPECT_NE(core_->find_task(ids[4]), nullptr);
  auto stored = store_.list("tasks/");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->size(), 3u);
}

TEST_F(MasterCoreTest, LiveTasksAreIndexedByApp) {
  RegisterReply reply = register_agent("node-1");
  LaunchRequest request;
  request.name = "web";
  request.app_id = "/web";
  request.command = "sleep 1000";
  request.resources = *Resources::parse("cpus:0.1;mem:16");
  auto first = core_->launch(request);
  auto second = core_->launch(request);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(core_->live_tasks_of("/web").size(), 2u);
  EXPECT_TRUE(core_->live_tasks_of("/other").empty());
  SessionRef ref{reply.agent_id, reply.session};
  ASSERT_TRUE(core_->update_status(ref, {update(first->id(), TaskState::kFailed, 1)}).ok());
  auto live = core_->live_tasks_of("/web");
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0]->id(), second->id());
  ASSERT_TRUE(core_->update_status(ref, {update(second->id(), TaskState::kFinished, 1)}).ok());
  EXPECT_EQ(core_->live_tasks_by_app().count("/web"), 0u);
}

TEST(MasterCoreConfigTest, PollsAreNeverHeldLongerThanAHeartbeat) {
  FakeClock clock;
  MemoryStateStore store;
  RecordingChannel channel;
  Random random(1);
  MasterConfig config;
  config.heartbeat_interval = std::chrono::milliseconds(200);
  config.poll_timeout = std::chrono::seconds(1);
  MasterCore core(config, clock, store, channel, random);
  EXPECT_EQ(core.config().poll_timeout, std::chrono::milliseconds(200));
}

}  // namespace
}  // namespace berth
