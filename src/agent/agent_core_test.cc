// AgentCore with a fake containerizer, an in-memory disk and a scripted master link, on a fake
// clock: launches, exits, kills with a grace period, retried updates, and restarts.
#include "agent/agent_core.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <optional>
#include <set>

#include "agent/fake_containerizer.h"
#include "agent/fake_health_prober.h"
#include "common/fake_clock.h"

namespace berth {
namespace {

using std::chrono::milliseconds;

// A master that answers when the test tells it to.
class ScriptedLink : public MasterLink {
 public:
  void register_agent(const RegisterAgent& message,
                      std::function<void(Result<RegisterReply>)> done) override {
    registrations.push_back(message);
    register_done = std::move(done);
  }
  void send_status(const SessionRef&, const std::vector<StatusUpdate>& updates,
                   std::function<void(Result<std::vector<std::string>>)> done) override {
    sent.push_back(updates);
    status_done = std::move(done);
  }
  void start_polling(const SessionRef& ref, std::function<void(std::vector<AgentCommand>)> commands,
                     std::function<void(const Error&)> lost,
                     std::function<void(Instant sent)> answered,
                     std::function<std::vector<MountedVolume>()> mounts) override {
    polling = ref;
    on_commands = std::move(commands);
    on_lost = std::move(lost);
    on_answered = std::move(answered);
    poll_mounts = std::move(mounts);
  }
  void stop_polling() override { polling = {}; }

  void accept(const std::string& id = "agent-1", const std::string& session = "s1",
              std::optional<std::int64_t> volume_lease_ms = std::nullopt) {
    auto done = std::move(register_done);
    register_done = nullptr;
    done(RegisterReply{id, session, 1000, 1000, volume_lease_ms});
  }
  // Acknowledges every update of the last batch.
  void ack_all() {
    std::vector<std::string> uuids;
    for (const auto& update : sent.back()) uuids.push_back(update.uuid);
    auto done = std::move(status_done);
    status_done = nullptr;
    done(uuids);
  }
  // Acknowledges batches until the agent has nothing left to send.
  void ack_until_idle() {
    while (status_done) ack_all();
  }
  // The last update sent for `task_id`.
  StatusUpdate last_for(const std::string& task_id) const {
    StatusUpdate last;
    for (const auto& batch : sent) {
      for (const auto& update : batch) {
        if (update.task_id == task_id) last = update;
      }
    }
    return last;
  }
  void fail_status(Error error) {
    auto done = std::move(status_done);
    status_done = nullptr;
    done(std::move(error));
  }

  std::vector<RegisterAgent> registrations;
  std::function<void(Result<RegisterReply>)> register_done;
  std::vector<std::vector<StatusUpdate>> sent;
  std::function<void(Result<std::vector<std::string>>)> status_done;
  SessionRef polling;
  std::function<void(std::vector<AgentCommand>)> on_commands;
  std::function<void(const Error&)> on_lost;
  std::function<void(Instant)> on_answered;
  std::function<std::vector<MountedVolume>()> poll_mounts;
};

// A fetcher that finishes when the test says so.
class FakeFetcher : public Fetcher {
 public:
  void fetch(const std::vector<FetchSpec>& uris, const std::string& sandbox_dir,
             std::function<void(Status)> done) override {
    calls.emplace_back(uris, sandbox_dir);
    pending.push_back(std::move(done));
  }
  void finish(Status status) {
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    done(std::move(status));
  }
  std::vector<std::pair<std::vector<FetchSpec>, std::string>> calls;
  std::vector<std::function<void(Status)>> pending;
};

// A volume service that answers when the test says so, and checks the core's ordering rules as
// the calls arrive: a publish comes after the task's STARTING checkpoint and before its launch; a
// release comes only after the task's container was destroyed (or never launched).
class FakeVolumeService : public VolumeService {
 public:
  FakeVolumeService(const MemoryAgentDisk& disk, const FakeContainerizer& containerizer)
      : disk_(disk), containerizer_(containerizer) {}

  void recover(std::function<void(Status)> done) override {
    calls.push_back("recover");
    pending.push_back([done] { done({}); });
  }
  void publish(const std::string& task_id, const std::vector<TaskVolume>& volumes,
               const std::string& sandbox,
               std::function<void(Result<std::vector<ContainerMount>>)> done) override {
    calls.push_back("publish " + task_id);
    EXPECT_TRUE(disk_.checkpoints.count("tasks/" + task_id)) << "checkpoint before publish";
    EXPECT_FALSE(containerizer_.launched.count(task_id)) << "publish before launch";
    std::vector<ContainerMount> mounts;
    for (const auto& volume : volumes) {
      mounts.push_back({"/mnt/" + volume.volume.name + "/tasks/" + task_id,
                        volume.container_path.starts_with("/")
                            ? volume.container_path
                            : sandbox + "/" + volume.container_path,
                        volume.read_only});
    }
    pending.push_back([this, task_id, mounts, done] {
      if (!publish_error.empty()) return done(unavailable(publish_error));
      if (!mounts.empty()) claims.insert(task_id);
      done(mounts);
    });
  }
  void release(const std::string& task_id, std::function<void(Status)> done) override {
    calls.push_back("release " + task_id);
    EXPECT_TRUE(containerizer_.destroyed.count(task_id) || !containerizer_.launched.count(task_id))
        << "release of " << task_id << " before its container was destroyed";
    pending.push_back([this, task_id, done] {
      claims.erase(task_id);
      done({});
    });
  }
  void fence_all_external(std::function<void(Status)> done) override {
    calls.push_back("fence");
    pending.push_back([this, done] {
      claims.clear();
      done({});
    });
  }
  std::vector<MountedVolume> mounted() const override { return mounted_now; }
  std::vector<std::string> drivers() const override { return {"blockpool", "local"}; }
  std::vector<std::string> claimed_tasks() const override { return {claims.begin(), claims.end()}; }

  // Answers every call made so far, and those the answers make, in order.
  void answer_all() {
    while (!pending.empty()) {
      auto next = std::move(pending.front());
      pending.erase(pending.begin());
      next();
    }
  }
  bool called(const std::string& call) const {
    return std::find(calls.begin(), calls.end(), call) != calls.end();
  }

  std::vector<std::string> calls;
  std::vector<std::function<void()>> pending;
  std::set<std::string> claims;
  std::vector<MountedVolume> mounted_now;
  std::string publish_error;

 private:
  const MemoryAgentDisk& disk_;
  const FakeContainerizer& containerizer_;
};

class AgentCoreTest : public ::testing::Test {
 protected:
  AgentCoreTest() {
    config_.hostname = "node-1";
    config_.resources = *Resources::parse("cpus:2;mem:1024");
  }

  void start_agent() {
    link_ = std::make_unique<ScriptedLink>();
    core_ = std::make_unique<AgentCore>(config_, clock_, containerizer_, disk_, *link_, random_,
                                        AgentServices{&prober_, &fetcher_});
    ASSERT_TRUE(core_->start().ok());
  }

  void start_registered() {
    start_agent();
    link_->accept();
  }

  TaskSpec spec(const std::string& id) {
    TaskSpec task;
    task.task_id = id;
    task.command = "sleep 100";
    task.resources = *Resources::parse("cpus:0.5;mem:64");
    task.kill_grace_period_ms = 2000;
    return task;
  }

  TaskState last_sent_state() { return link_->sent.back().back().state; }

  TaskSpec checked_spec(const std::string& id) {
    TaskSpec task = spec(id);
    HealthCheckSpec check;
    check.kind = HealthCheckKind::kTcp;
    check.port = 31000;
    check.grace_period_ms = 0;
    check.delay_ms = 1000;
    check.interval_ms = 2000;
    check.timeout_ms = 500;
    task.health_checks = {check};
    return task;
  }

  AgentConfig config_;
  FakeClock clock_;
  FakeContainerizer containerizer_;
  MemoryAgentDisk disk_;
  Random random_{7};
  FakeHealthProber prober_;
  FakeFetcher fetcher_;
  std::unique_ptr<ScriptedLink> link_;
  std::unique_ptr<AgentCore> core_;
};

TEST_F(AgentCoreTest, RegistersAndCheckpointsItsId) {
  start_registered();
  EXPECT_EQ(core_->agent_id(), "agent-1");
  EXPECT_EQ(link_->polling.session, "s1");
  ASSERT_TRUE(disk_.checkpoints.count("agent"));
  EXPECT_NE(disk_.checkpoints["agent"].find("agent-1"), std::string::npos);
}

TEST_F(AgentCoreTest, RegistrationRetriesWithBackoff) {
  start_agent();
  auto done = std::move(link_->register_done);
  done(unavailable("connection refused"));
  EXPECT_EQ(link_->registrations.size(), 1u);
  clock_.advance(milliseconds(199));
  EXPECT_EQ(link_->registrations.size(), 1u);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(link_->registrations.size(), 2u);
  done = std::move(link_->register_done);
  done(unavailable("connection refused"));
  clock_.advance(milliseconds(399));
  EXPECT_EQ(link_->registrations.size(), 2u) << "the delay doubled";
  clock_.advance(milliseconds(1));
  EXPECT_EQ(link_->registrations.size(), 3u);
}

TEST_F(AgentCoreTest, LaunchCheckpointsThenRunsAndReports) {
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("t1"))});
  ASSERT_TRUE(containerizer_.launched.count("t1"));
  const ContainerSpec& launched = containerizer_.launched["t1"];
  EXPECT_EQ(launched.environment.at("MESOS_TASK_ID"), "t1");
  EXPECT_EQ(launched.environment.at("MESOS_SANDBOX"), "/sandboxes/t1");
  EXPECT_EQ(launched.mem_mb, 64u);
  EXPECT_EQ(last_sent_state(), TaskState::kRunning);
  EXPECT_TRUE(disk_.checkpoints.count("tasks/t1"));
  link_->ack_all();
  EXPECT_EQ(core_->pending_updates(), 0u);
}

TEST_F(AgentCoreTest, ExitCodesMapToTaskStates) {
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("ok")), AgentCommand::launch(spec("bad")),
                      AgentCommand::launch(spec("oom"))});
  containerizer_.finish("ok", {"", ContainerExit::Kind::kExited, 0, 0, ""});
  containerizer_.finish("bad", {"", ContainerExit::Kind::kExited, 3, 0, ""});
  containerizer_.finish("oom", {"", ContainerExit::Kind::kMemoryLimit, 0, 9, "over 64 MB"});
  link_->ack_until_idle();
  EXPECT_EQ(link_->last_for("ok").state, TaskState::kFinished);
  EXPECT_EQ(link_->last_for("bad").state, TaskState::kFailed);
  EXPECT_EQ(link_->last_for("bad").message, "Command exited with status 3");
  EXPECT_EQ(link_->last_for("oom").state, TaskState::kFailed);
  EXPECT_EQ(link_->last_for("oom").reason, "REASON_CONTAINER_LIMITATION_MEMORY");
  EXPECT_TRUE(core_->tasks().empty()) << "acknowledged terminal tasks are forgotten";
  EXPECT_FALSE(disk_.checkpoints.count("tasks/ok"));
  EXPECT_TRUE(containerizer_.destroyed.count("oom"));
}

TEST_F(AgentCoreTest, KillSendsTermThenKillAfterGracePeriod) {
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("t1"))});
  link_->ack_all();
  link_->on_commands({AgentCommand::kill("t1", 2000)});
  EXPECT_EQ(last_sent_state(), TaskState::kKilling);
  ASSERT_EQ(containerizer_.signals.size(), 1u);
  EXPECT_EQ(containerizer_.signals[0].second, SIGTERM);
  clock_.advance(milliseconds(1999));
  EXPECT_EQ(containerizer_.signals.size(), 1u);
  clock_.advance(milliseconds(1));
  ASSERT_EQ(containerizer_.signals.size(), 2u);
  EXPECT_EQ(containerizer_.signals[1].second, SIGKILL);
  link_->ack_all();
  EXPECT_EQ(last_sent_state(), TaskState::kKilled);
}

TEST_F(AgentCoreTest, TaskThatStopsOnSigtermIsKilledWithoutSigkill) {
  containerizer_.exit_on_sigterm = true;
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("t1"))});
  link_->ack_all();
  link_->on_commands({AgentCommand::kill("t1", 2000)});
  link_->ack_all();
  EXPECT_EQ(last_sent_state(), TaskState::kKilled);
  clock_.advance(milliseconds(5000));
  EXPECT_EQ(containerizer_.signals.size(), 1u) << "no SIGKILL after the task ended";
}

TEST_F(AgentCoreTest, UnacknowledgedUpdatesAreRetriedInOrder) {
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("t1"))});
  link_->fail_status(unavailable("master down"));
  containerizer_.finish("t1", {"", ContainerExit::Kind::kExited, 0, 0, ""});
  EXPECT_EQ(link_->sent.size(), 1u) << "waits for the retry timer";
  clock_.advance(milliseconds(200));
  ASSERT_EQ(link_->sent.size(), 2u);
  ASSERT_EQ(link_->sent[1].size(), 2u);
  EXPECT_EQ(link_->sent[1][0].state, TaskState::kRunning);
  EXPECT_EQ(link_->sent[1][1].state, TaskState::kFinished);
  EXPECT_LT(link_->sent[1][0].seq, link_->sent[1][1].seq);
  link_->ack_all();
  EXPECT_EQ(core_->pending_updates(), 0u);
}

TEST_F(AgentCoreTest, RestartReadoptsRunningAndReportsEndedTasks) {
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("alive")), AgentCommand::launch(spec("died"))});
  link_->ack_all();

  // The agent process dies; while it is away one task exits with status 4.
  core_.reset();
  containerizer_.wipe();
  containerizer_.launch(containerizer_.launched["alive"]).ok();
  containerizer_.ended_while_away["died"] = {"died", ContainerExit::Kind::kExited, 4, 0, ""};
  start_agent();

  ASSERT_EQ(link_->registrations.size(), 1u);
  EXPECT_EQ(link_->registrations[0].agent_id, "agent-1");
  std::map<std::string, TaskState> reported;
  for (const auto& task : link_->registrations[0].tasks) reported[task.task_id] = task.state;
  EXPECT_EQ(reported["alive"], TaskState::kRunning);
  EXPECT_EQ(reported["died"], TaskState::kFailed);
  link_->accept("agent-1", "s2");
  ASSERT_FALSE(link_->sent.empty());
  EXPECT_EQ(last_sent_state(), TaskState::kFailed);
  EXPECT_EQ(link_->sent.back().back().message, "Command exited with status 4");
}

TEST_F(AgentCoreTest, LostSessionLeadsToRegistrationWithPendingUpdatesKept) {
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("t1"))});
  link_->fail_status(not_found("no session s1"));
  ASSERT_EQ(link_->registrations.size(), 2u);
  link_->accept("agent-1", "s2");
  ASSERT_EQ(link_->sent.size(), 2u);
  EXPECT_EQ(last_sent_state(), TaskState::kRunning);
}

TEST_F(AgentCoreTest, KillOfUnknownTaskReportsIt) {
  start_registered();
  link_->on_commands({AgentCommand::kill("ghost", 1000)});
  EXPECT_EQ(last_sent_state(), TaskState::kKilled);
  EXPECT_TRUE(containerizer_.signals.empty());
}

TEST_F(AgentCoreTest, FailedLaunchIsReported) {
  containerizer_.fail_launches = true;
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("t1"))});
  EXPECT_EQ(last_sent_state(), TaskState::kFailed);
  EXPECT_EQ(link_->sent.back().back().reason, "REASON_CONTAINER_LAUNCH_FAILED");
}

TEST_F(AgentCoreTest, RepeatedLaunchIsIgnored) {
  start_registered();
  link_->on_commands({AgentCommand::launch(spec("t1")), AgentCommand::launch(spec("t1"))});
  EXPECT_EQ(containerizer_.launched.size(), 1u);
}

TEST_F(AgentCoreTest, HealthChangesAreReportedAsUpdatesWithTheSameState) {
  start_registered();
  link_->on_commands({AgentCommand::launch(checked_spec("t1"))});
  const StatusUpdate running = link_->sent.back().back();
  EXPECT_EQ(running.state, TaskState::kRunning);
  ASSERT_EQ(running.health_results.size(), 1u) << "RUNNING already carries the checks";
  EXPECT_FALSE(running.healthy.has_value());
  link_->ack_all();

  clock_.advance(milliseconds(1000));
  ASSERT_EQ(prober_.pending.size(), 1u);
  EXPECT_EQ(prober_.pending[0].first.port, 31000);
  prober_.answer(FakeHealthProber::connected());
  StatusUpdate healthy = link_->sent.back().back();
  EXPECT_EQ(healthy.state, TaskState::kRunning);
  EXPECT_EQ(healthy.reason, kReasonHealthUpdated);
  EXPECT_EQ(healthy.healthy, std::optional<bool>(true));
  EXPECT_GT(healthy.seq, running.seq);
  link_->ack_all();

  clock_.advance(milliseconds(2000));
  prober_.answer(FakeHealthProber::refused());
  StatusUpdate failed = link_->sent.back().back();
  EXPECT_EQ(failed.healthy, std::optional<bool>(false));
  EXPECT_EQ(failed.health_results[0].consecutive_failures, 1u);
  EXPECT_EQ(failed.health_results[0].last_failure_cause, "connection refused");
  EXPECT_EQ(failed.message,
            "health check 0 (TCP) failed: connection refused; 1 consecutive failure");
  // The health update is checkpointed like any other.
  EXPECT_NE(disk_.checkpoints["tasks/t1"].find(kReasonHealthUpdated), std::string::npos);
}

TEST_F(AgentCoreTest, AnUnacknowledgedHealthUpdateIsReplacedByTheNext) {
  start_registered();
  link_->on_commands({AgentCommand::launch(checked_spec("t1"))});  // RUNNING in flight
  for (int i = 0; i < 3; ++i) {
    clock_.advance(milliseconds(i == 0 ? 1000 : 2000));
    prober_.answer(FakeHealthProber::refused());
  }
  EXPECT_EQ(core_->pending_updates(), 2u) << "RUNNING and only the newest health update";
  link_->ack_all();
  ASSERT_EQ(link_->sent.back().size(), 1u);
  EXPECT_EQ(link_->sent.back()[0].health_results[0].consecutive_failures, 3u);
  link_->ack_all();
  EXPECT_EQ(core_->pending_updates(), 0u);
}

TEST_F(AgentCoreTest, KillStopsHealthChecksAndTheAgentNeverKillsOnHealthByItself) {
  start_registered();
  link_->on_commands({AgentCommand::launch(checked_spec("t1"))});
  link_->ack_all();
  for (int i = 0; i < 10; ++i) {
    clock_.advance(milliseconds(i == 0 ? 1000 : 2000));
    prober_.answer(FakeHealthProber::refused());
    link_->ack_until_idle();
  }
  EXPECT_TRUE(containerizer_.signals.empty()) << "killing is the master's decision";
  EXPECT_EQ(link_->last_for("t1").health_results[0].consecutive_failures, 10u);
  link_->on_commands({AgentCommand::kill("t1", 2000)});
  const auto probes = prober_.requests.size();
  clock_.advance(milliseconds(10000));
  EXPECT_EQ(prober_.requests.size(), probes);
}

TEST_F(AgentCoreTest, HealthChecksStartOverAfterAnAgentRestart) {
  start_registered();
  link_->on_commands({AgentCommand::launch(checked_spec("t1"))});
  link_->ack_all();
  core_.reset();
  start_agent();
  link_->accept("agent-1", "s2");
  clock_.advance(milliseconds(1000));
  ASSERT_EQ(prober_.pending.size(), 1u);
  prober_.answer(FakeHealthProber::connected());
  link_->ack_until_idle();
  EXPECT_EQ(link_->last_for("t1").healthy, std::optional<bool>(true));
}

TEST_F(AgentCoreTest, UrisAreFetchedIntoTheSandboxBeforeTheLaunch) {
  start_registered();
  TaskSpec task = spec("t1");
  task.fetch = {{"file:///srv/app.tgz", true, false, ""}};
  link_->on_commands({AgentCommand::launch(task)});
  EXPECT_TRUE(containerizer_.launched.empty());
  ASSERT_EQ(fetcher_.calls.size(), 1u);
  EXPECT_EQ(fetcher_.calls[0].second, "/sandboxes/t1");
  EXPECT_EQ(fetcher_.calls[0].first[0].uri, "file:///srv/app.tgz");
  EXPECT_NE(disk_.checkpoints["tasks/t1"].find("TASK_STARTING"), std::string::npos)
      << "checkpointed before the fetch";
  fetcher_.finish({});
  EXPECT_TRUE(containerizer_.launched.count("t1"));
  EXPECT_EQ(containerizer_.launched["t1"].sandbox_dir, "/sandboxes/t1");
  EXPECT_EQ(last_sent_state(), TaskState::kRunning);
}

TEST_F(AgentCoreTest, AFailedFetchFailsTheTaskAsMesosDoes) {
  start_registered();
  TaskSpec task = spec("t1");
  task.fetch = {{"http://example.com/app.tgz", true, false, ""}};
  link_->on_commands({AgentCommand::launch(task)});
  fetcher_.finish(invalid_argument("Failed to fetch 'http://example.com/app.tgz': no downloads"));
  EXPECT_TRUE(containerizer_.launched.empty());
  const StatusUpdate failed = link_->sent.back().back();
  EXPECT_EQ(failed.state, TaskState::kFailed);
  EXPECT_EQ(failed.reason, "REASON_CONTAINER_LAUNCH_FAILED");
  EXPECT_EQ(failed.message,
            "Failed to launch container: Failed to fetch 'http://example.com/app.tgz': "
            "no downloads");
}

TEST_F(AgentCoreTest, AKillDuringTheFetchEndsTheTaskWithoutLaunchingIt) {
  start_registered();
  TaskSpec task = spec("t1");
  task.fetch = {{"/srv/big.tar", true, false, ""}};
  link_->on_commands({AgentCommand::launch(task)});
  link_->on_commands({AgentCommand::kill("t1", 2000)});
  fetcher_.finish({});
  link_->ack_until_idle();
  EXPECT_TRUE(containerizer_.launched.empty());
  EXPECT_EQ(link_->last_for("t1").state, TaskState::kKilled);
  clock_.advance(milliseconds(5000));
  EXPECT_EQ(clock_.pending_timers(), 0u) << "the kill's SIGKILL timer is gone";
}

TEST_F(AgentCoreTest, AFetchAnsweringAfterTheAgentIsGoneIsHarmless) {
  start_registered();
  TaskSpec task = spec("t1");
  task.fetch = {{"/srv/app", false, true, ""}};
  link_->on_commands({AgentCommand::launch(task)});
  core_.reset();
  fetcher_.finish({});
  EXPECT_TRUE(containerizer_.launched.empty());
}

// ---- Volumes ---------------------------------------------------------------------------------

class AgentVolumesTest : public AgentCoreTest {
 protected:
  void start_agent_with_volumes() {
    link_ = std::make_unique<ScriptedLink>();
    core_ = std::make_unique<AgentCore>(config_, clock_, containerizer_, disk_, *link_, random_,
                                        AgentServices{&prober_, &fetcher_, &volumes_});
    ASSERT_TRUE(core_->start().ok());
    volumes_.answer_all();  // recover
  }
  void start_registered_with_volumes() {
    start_agent_with_volumes();
    link_->accept();
  }
  static TaskVolume volume(const std::string& name, const std::string& driver = "blockpool",
                           std::uint64_t epoch = 1) {
    TaskVolume v;
    v.volume.name = name;
    v.volume.driver = driver;
    v.volume.epoch = epoch;
    v.volume.external = driver != "local";
    v.container_path = "/data/" + name;
    return v;
  }
  TaskSpec spec_with(const std::string& id, std::vector<TaskVolume> volumes) {
    TaskSpec task = spec(id);
    task.volumes = std::move(volumes);
    return task;
  }

  TaskState state_of(const std::string& id) const { return core_->tasks().at(id).state; }
  std::string message_of(const std::string& id) const {
    return core_->tasks().at(id).pending.back().message;
  }

  FakeVolumeService volumes_{disk_, containerizer_};
};

TEST_F(AgentVolumesTest, VolumesArePublishedAfterTheCheckpointAndMountedIntoTheContainer) {
  start_registered_with_volumes();
  auto ro = volume("logs");
  ro.read_only = true;
  link_->on_commands({AgentCommand::launch(spec_with("t1", {volume("pgdata"), ro}))});
  EXPECT_TRUE(volumes_.called("publish t1"));
  EXPECT_FALSE(containerizer_.launched.count("t1")) << "no container before the volumes";
  volumes_.answer_all();
  ASSERT_TRUE(containerizer_.launched.count("t1"));
  const auto& mounts = containerizer_.launched["t1"].mounts;
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0], (ContainerMount{"/mnt/pgdata/tasks/t1", "/data/pgdata", false}));
  EXPECT_EQ(mounts[1], (ContainerMount{"/mnt/logs/tasks/t1", "/data/logs", true}));
  EXPECT_EQ(last_sent_state(), TaskState::kRunning);
  // The checkpoint keeps the volumes, so a restarted agent knows what the task held.
  EXPECT_NE(disk_.checkpoints["tasks/t1"].find("pgdata"), std::string::npos);
}

TEST_F(AgentVolumesTest, TasksWithoutVolumesNeverReachTheVolumeService) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec("plain"))});
  ASSERT_TRUE(containerizer_.launched.count("plain"));
  EXPECT_TRUE(containerizer_.launched["plain"].mounts.empty());
  containerizer_.finish("plain", {"", ContainerExit::Kind::kExited, 0, 0, ""});
  EXPECT_EQ(volumes_.calls, std::vector<std::string>{"recover"});
}

TEST_F(AgentVolumesTest, AFailedPublishFailsTheTaskNamingTheVolumeAndReleasesIt) {
  start_registered_with_volumes();
  volumes_.publish_error = "volume pgdata (blockpool) at /data/pgdata: epoch 1 is stale";
  link_->on_commands({AgentCommand::launch(spec_with("t1", {volume("pgdata")}))});
  volumes_.answer_all();
  EXPECT_FALSE(containerizer_.launched.count("t1"));
  link_->ack_until_idle();
  StatusUpdate last = link_->last_for("t1");
  EXPECT_EQ(last.state, TaskState::kFailed);
  EXPECT_EQ(last.reason, "REASON_CONTAINER_LAUNCH_FAILED");
  EXPECT_NE(last.message.find("volume pgdata"), std::string::npos) << last.message;
  EXPECT_TRUE(volumes_.called("release t1"));
}

TEST_F(AgentVolumesTest, VolumesAreReleasedOnlyAfterTheContainerIsDestroyed) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec_with("t1", {volume("pgdata")}))});
  volumes_.answer_all();
  EXPECT_FALSE(volumes_.called("release t1"));
  link_->on_commands({AgentCommand::kill("t1", 2000)});
  EXPECT_FALSE(volumes_.called("release t1")) << "SIGTERM sent, the task still runs";
  containerizer_.finish("t1", {"", ContainerExit::Kind::kSignaled, 0, SIGTERM, ""});
  EXPECT_TRUE(containerizer_.destroyed.count("t1"));
  EXPECT_TRUE(volumes_.called("release t1"));  // the fake checks the order
  volumes_.answer_all();
  EXPECT_TRUE(volumes_.claims.empty());
}

TEST_F(AgentVolumesTest, AKillDuringThePublishEndsTheTaskAndReleasesItsVolumes) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec_with("t1", {volume("pgdata")}))});
  link_->on_commands({AgentCommand::kill("t1", 2000)});
  volumes_.answer_all();
  EXPECT_FALSE(containerizer_.launched.count("t1"));
  EXPECT_EQ(state_of("t1"), TaskState::kKilled);
  EXPECT_TRUE(volumes_.called("release t1"));
}

TEST_F(AgentVolumesTest, LeaseExpiryKillsExternalVolumeTasksAndFencesExactlyAfterTheLease) {
  start_agent_with_volumes();
  link_->accept();  // the registration was sent at t0: the lease runs from there
  link_->on_commands({AgentCommand::launch(spec_with("db", {volume("pgdata")})),
                      AgentCommand::launch(spec_with("cache", {volume("scratch", "local")})),
                      AgentCommand::launch(spec("web"))});
  volumes_.answer_all();
  ASSERT_EQ(containerizer_.running().size(), 3u);

  // A poll sent at t0+1s is answered (held a while by the master): the lease runs from t0+1s.
  const Instant t0 = clock_.now();
  clock_.advance(milliseconds(1000));
  link_->on_answered(clock_.now());
  clock_.advance(milliseconds(700));
  // The master goes silent. Not a millisecond early:
  clock_.advance(t0 + milliseconds(1000) + config_.volume_lease - milliseconds(1) - clock_.now());
  EXPECT_TRUE(containerizer_.signals.empty());
  EXPECT_FALSE(core_->lease_expired());
  clock_.advance(milliseconds(1));
  EXPECT_TRUE(core_->lease_expired());
  // Only the task on an external volume is killed, with SIGKILL: the lease is the deadline.
  ASSERT_EQ(containerizer_.signals.size(), 1u);
  EXPECT_EQ(containerizer_.signals[0], std::make_pair(std::string("db"), SIGKILL));
  EXPECT_EQ(containerizer_.running().size(), 2u);
  // Its exit came first, then its release, then the fence.
  auto release = std::find(volumes_.calls.begin(), volumes_.calls.end(), "release db");
  auto fence = std::find(volumes_.calls.begin(), volumes_.calls.end(), "fence");
  ASSERT_NE(release, volumes_.calls.end());
  ASSERT_NE(fence, volumes_.calls.end());
  EXPECT_LT(release, fence);
  volumes_.answer_all();
  EXPECT_TRUE(core_->fenced());
  EXPECT_EQ(state_of("db"), TaskState::kKilled);

  // Without a lease, no new external volume is mounted.
  link_->on_commands({AgentCommand::launch(spec_with("db2", {volume("pgdata", "blockpool", 2)}))});
  EXPECT_FALSE(volumes_.called("publish db2"));
  EXPECT_EQ(state_of("db2"), TaskState::kFailed);
  EXPECT_NE(message_of("db2").find("lease"), std::string::npos);
  // Fencing happens once per expiry.
  clock_.advance(std::chrono::seconds(10));
  EXPECT_EQ(std::count(volumes_.calls.begin(), volumes_.calls.end(), "fence"), 1);

  // The master answers again: the lease is renewed and volumes may be mounted.
  link_->on_answered(clock_.now());
  EXPECT_FALSE(core_->lease_expired());
  EXPECT_FALSE(core_->fenced());
  link_->on_commands({AgentCommand::launch(spec_with("db3", {volume("pgdata", "blockpool", 3)}))});
  EXPECT_TRUE(volumes_.called("publish db3"));
}

TEST_F(AgentVolumesTest, ALeaseRenewedInTimeFencesNothing) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec_with("db", {volume("pgdata")}))});
  volumes_.answer_all();
  for (int i = 0; i < 20; ++i) {
    const Instant sent = clock_.now();
    clock_.advance(milliseconds(1000));  // the master holds each poll up to 1 s
    link_->on_answered(sent);
  }
  EXPECT_TRUE(containerizer_.signals.empty());
  EXPECT_FALSE(volumes_.called("fence"));
}

// Simulator seed 157: the lease ran out and a fence began; the master answered while the killed
// task's release was still under way, and a new task on an external volume was launched. The
// fence then waited for that task to end, and kept any later expiry from fencing: the task ran
// on past its lease while the master gave its volume to another node.
TEST_F(AgentVolumesTest, ATaskLaunchedDuringAFenceStopsWhenTheRenewedLeaseRunsOut) {
  start_registered_with_volumes();
  // The lease runs out while db's volume is still being published: killed, db ends only once
  // the publish returns, and the fence waits for it.
  link_->on_commands({AgentCommand::launch(spec_with("db", {volume("pgdata")}))});
  clock_.advance(config_.volume_lease);
  ASSERT_TRUE(core_->tasks().at("db").kill_requested);

  link_->on_answered(clock_.now());
  link_->on_commands({AgentCommand::launch(spec_with("db2", {volume("pgdata", "blockpool", 2)}))});
  volumes_.answer_all();  // db's publish (it ends), db2's publish, db's release
  ASSERT_EQ(state_of("db"), TaskState::kKilled);
  ASSERT_EQ(state_of("db2"), TaskState::kRunning);
  EXPECT_FALSE(volumes_.called("fence"));

  clock_.advance(config_.volume_lease + config_.volume_retry);
  EXPECT_EQ(state_of("db2"), TaskState::kKilled);
  volumes_.answer_all();  // db2's release, then the fence
  EXPECT_TRUE(volumes_.called("fence"));
  volumes_.answer_all();
  EXPECT_TRUE(core_->fenced());
}

TEST_F(AgentVolumesTest, TheLeaseRunsOutEvenIfTheMasterWasNeverReached) {
  start_agent_with_volumes();  // registration never answered
  clock_.advance(config_.volume_lease);
  EXPECT_TRUE(core_->lease_expired());
  EXPECT_TRUE(core_->fenced()) << "nothing mounted: fenced at once";
}

TEST_F(AgentVolumesTest, RestartRecoversVolumesFirstAndReleasesClaimsOfEndedTasks) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec_with("alive", {volume("a")})),
                      AgentCommand::launch(spec_with("died", {volume("b")}))});
  volumes_.answer_all();
  link_->ack_all();
  ASSERT_EQ(volumes_.claims.size(), 2u);

  core_.reset();
  containerizer_.wipe();
  containerizer_.launch(containerizer_.launched["alive"]).ok();
  containerizer_.ended_while_away["died"] = {"died", ContainerExit::Kind::kExited, 0, 0, ""};
  volumes_.calls.clear();
  volumes_.mounted_now = {{"a", 1, {"alive"}}};
  link_ = std::make_unique<ScriptedLink>();
  core_ = std::make_unique<AgentCore>(config_, clock_, containerizer_, disk_, *link_, random_,
                                      AgentServices{&prober_, &fetcher_, &volumes_});
  ASSERT_TRUE(core_->start().ok());
  EXPECT_EQ(volumes_.calls.front(), "recover");
  EXPECT_TRUE(link_->registrations.empty()) << "volumes recover before the agent reports";
  volumes_.answer_all();
  EXPECT_TRUE(volumes_.called("release died"));
  EXPECT_FALSE(volumes_.called("release alive"));
  ASSERT_EQ(link_->registrations.size(), 1u);
  EXPECT_EQ(link_->registrations[0].volumes, volumes_.mounted_now);
  EXPECT_EQ(volumes_.claims, std::set<std::string>{"alive"});
}

TEST_F(AgentVolumesTest, RevokeKillsTheTasksOnThatEpochAndRefusesItAfterwards) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec_with("db", {volume("pgdata", "blockpool", 4)})),
                      AgentCommand::launch(spec_with("other", {volume("x", "blockpool", 4)}))});
  volumes_.answer_all();
  link_->on_commands({AgentCommand::volume_order(AgentCommand::Kind::kRevokeVolume, "pgdata", 4, {},
                                                 "agent came back after its lease")});
  EXPECT_EQ(containerizer_.signals, (std::vector<std::pair<std::string, int>>{{"db", SIGKILL}}));
  EXPECT_TRUE(volumes_.called("release db"));
  link_->on_commands({AgentCommand::launch(spec_with("db2", {volume("pgdata", "blockpool", 4)}))});
  EXPECT_EQ(state_of("db2"), TaskState::kFailed);
  EXPECT_NE(message_of("db2").find("revoked"), std::string::npos);
  link_->on_commands({AgentCommand::launch(spec_with("db3", {volume("pgdata", "blockpool", 5)}))});
  EXPECT_TRUE(volumes_.called("publish db3"));
}

TEST_F(AgentVolumesTest, UnmountStopsTheNamedTasksGracefully) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec_with("db", {volume("pgdata")}))});
  volumes_.answer_all();
  link_->on_commands({AgentCommand::volume_order(AgentCommand::Kind::kUnmountVolume, "pgdata", 1,
                                                 {"db", "gone"})});
  EXPECT_EQ(containerizer_.signals, (std::vector<std::pair<std::string, int>>{{"db", SIGTERM}}));
  clock_.advance(milliseconds(2000));
  EXPECT_TRUE(volumes_.called("release db"));
  EXPECT_FALSE(core_->tasks().count("gone")) << "an unknown task is not reported";
}

TEST_F(AgentVolumesTest, EveryPollCarriesTheMountsAsTheyAreWhenItIsSent) {
  start_registered_with_volumes();
  ASSERT_TRUE(link_->poll_mounts);
  EXPECT_TRUE(link_->poll_mounts().empty());
  volumes_.mounted_now = {{"pgdata", 3, {"db"}}};
  EXPECT_EQ(link_->poll_mounts(), volumes_.mounted_now);
  volumes_.mounted_now.clear();
  EXPECT_TRUE(link_->poll_mounts().empty());
}

TEST_F(AgentVolumesTest, TheLeaseIsTheShorterOfTheAgentsAndTheMasters) {
  config_.volume_lease = std::chrono::seconds(5);
  start_agent_with_volumes();
  link_->accept("agent-1", "s1", 3000);  // sent at t0
  const Instant t0 = clock_.now();
  ASSERT_EQ(containerizer_.lease_deadlines.size(), 1u);
  EXPECT_EQ(containerizer_.lease_deadlines.back(), t0 + milliseconds(3000));
  clock_.advance(milliseconds(2999));
  EXPECT_FALSE(core_->lease_expired());
  clock_.advance(milliseconds(1));
  EXPECT_TRUE(core_->lease_expired()) << "the master's shorter lease is in force";
  EXPECT_TRUE(core_->fenced());

  // A longer lease from the master does not lengthen ours; none at all leaves ours.
  link_->on_lost(not_found("session gone"));
  link_->accept("agent-1", "s2", 9000);
  EXPECT_EQ(containerizer_.lease_deadlines.back(), clock_.now() + milliseconds(5000));
  link_->on_lost(not_found("session gone"));
  link_->accept("agent-1", "s3");
  EXPECT_EQ(containerizer_.lease_deadlines.back(), clock_.now() + milliseconds(5000));
  clock_.advance(milliseconds(4999));
  EXPECT_FALSE(core_->lease_expired());
}

TEST_F(AgentVolumesTest, EveryRenewalPublishesTheDeadlineForTheSupervisors) {
  start_agent_with_volumes();
  EXPECT_TRUE(containerizer_.lease_deadlines.empty())
      << "a restarted agent vouches for nothing before the master answers";
  const Instant registered = clock_.now();
  link_->accept();
  ASSERT_EQ(containerizer_.lease_deadlines.size(), 1u);
  EXPECT_EQ(containerizer_.lease_deadlines.back(), registered + config_.volume_lease);
  clock_.advance(milliseconds(300));
  const Instant sent = clock_.now();
  clock_.advance(milliseconds(900));
  link_->on_answered(sent);
  ASSERT_EQ(containerizer_.lease_deadlines.size(), 2u);
  EXPECT_EQ(containerizer_.lease_deadlines.back(), sent + config_.volume_lease);
  link_->on_answered(registered - milliseconds(1));  // an older answer renews nothing
  EXPECT_EQ(containerizer_.lease_deadlines.size(), 2u);

  // A publication that fails does not stop the agent: the tasks stop at the last deadline.
  containerizer_.fail_lease_publication = true;
  link_->on_answered(clock_.now());
  EXPECT_FALSE(core_->lease_expired());
}

TEST_F(AgentCoreTest, WithoutVolumeSupportNoLeaseIsPublished) {
  start_registered();
  link_->on_answered(clock_.now());
  EXPECT_TRUE(containerizer_.lease_deadlines.empty());
}

TEST_F(AgentVolumesTest, OnlyTasksWithExternalVolumesAreLaunchedWatchingTheLease) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec_with("db", {volume("pgdata"), volume("wal")})),
                      AgentCommand::launch(spec_with("cache", {volume("scratch", "local")})),
                      AgentCommand::launch(spec("web"))});
  volumes_.answer_all();
  EXPECT_EQ(containerizer_.launched["db"].lease_volumes,
            (std::vector<std::string>{"pgdata", "wal"}));
  EXPECT_TRUE(containerizer_.launched["cache"].lease_volumes.empty());
  EXPECT_TRUE(containerizer_.launched["web"].lease_volumes.empty());
}

TEST_F(AgentVolumesTest, ATaskItsSupervisorStoppedForTheLeaseWhileTheAgentWasDownFailsNamingIt) {
  start_registered_with_volumes();
  link_->on_commands({AgentCommand::launch(spec_with("db", {volume("pgdata")}))});
  volumes_.answer_all();
  link_->ack_all();

  // The agent dies; its lease runs out and the supervisor kills the task; the agent comes back.
  core_.reset();
  containerizer_.wipe();
  const std::string why =
      "this node's lease on volume pgdata expired 120 ms ago and no agent renewed it (is the "
      "agent running?); killed the task so that its volumes can move to another node";
  containerizer_.ended_while_away["db"] = {"db", ContainerExit::Kind::kLeaseExpired, 0, SIGKILL,
                                           why};
  volumes_.mounted_now = {{"pgdata", 1, {"db"}}};
  link_ = std::make_unique<ScriptedLink>();
  core_ = std::make_unique<AgentCore>(config_, clock_, containerizer_, disk_, *link_, random_,
                                      AgentServices{&prober_, &fetcher_, &volumes_});
  ASSERT_TRUE(core_->start().ok());
  volumes_.answer_all();
  EXPECT_TRUE(volumes_.called("release db"));
  link_->accept();
  link_->ack_until_idle();
  StatusUpdate last = link_->last_for("db");
  EXPECT_EQ(last.state, TaskState::kFailed);
  EXPECT_EQ(last.reason, "REASON_AGENT_DISCONNECTED");
  EXPECT_EQ(last.message, why);
}

TEST_F(AgentVolumesTest, DvdiEnvironmentNamesVolumesWhenTheSpecHasNone) {
  start_registered_with_volumes();
  TaskSpec task = spec("t1");
  task.environment = {{"DVDI_VOLUME_NAME", "pgdata"},
                      {"DVDI_VOLUME_CONTAINERPATH", "/var/lib/postgresql"}};
  link_->on_commands({AgentCommand::launch(task)});
  volumes_.answer_all();
  ASSERT_TRUE(containerizer_.launched.count("t1"));
  ASSERT_EQ(containerizer_.launched["t1"].mounts.size(), 1u);
  EXPECT_EQ(containerizer_.launched["t1"].mounts[0].target, "/var/lib/postgresql");
  ASSERT_EQ(core_->tasks().at("t1").spec.volumes.size(), 1u);
  EXPECT_EQ(core_->tasks().at("t1").spec.volumes[0].volume.driver, "blockpool");
}

}  // namespace
}  // namespace berth
