// VolumeWiring on a fake clock: MasterCore's agent events reach the VolumeController (reports at
// registration, acknowledged heartbeats, unreachability), its orders reach the agent's session as
// volume commands, its events reach only the event-stream subscribers that ask for them, and its
// latencies and counters reach the metrics.
#include "master/volume_wiring.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/fake_clock.h"
#include "common/metrics.h"
#include "master/event_bus.h"
#include "master/master_core.h"
#include "state/memory_state_store.h"

namespace berth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class RecordingChannel : public AgentChannel {
 public:
  void send(const std::string& agent_id, const std::string&, AgentCommand command) override {
    sent.emplace_back(agent_id, std::move(command));
  }
  void close_session(const std::string&, const std::string&) override {}
  std::vector<std::pair<std::string, AgentCommand>> sent;
};

class VolumeWiringTest : public ::testing::Test {
 protected:
  VolumeWiringTest() {
    config_.drift_margin = seconds(3);
    start();
  }

  // A (new) master on the store; without volumes, the controller hears nothing.
  void start(bool with_volumes = true) {
    wiring_.reset();
    volumes_.reset();
    core_ = std::make_unique<MasterCore>(MasterConfig{}, clock_, store_, channel_, random_);
    ASSERT_TRUE(core_->recover().ok());
    if (!with_volumes) return;
    volumes_ = std::make_unique<VolumeController>(clock_, store_, config_);
    wiring_ = std::make_unique<VolumeWiring>(*volumes_, *core_, bus_, metrics_);
    ASSERT_TRUE(volumes_->recover().ok());
    wiring_->recovered();
  }

  std::string register_agent(const std::string& id, std::vector<MountedVolume> mounts = {}) {
    RegisterAgent message;
    message.agent_id = id;
    message.hostname = "10.0.0.1";
    message.port = 5051;
    message.resources = *Resources::parse("cpus:2;mem:1024");
    message.volumes = std::move(mounts);
    auto reply = core_->register_agent(message);
    EXPECT_TRUE(reply.ok()) << reply.error().message;
    session_ = reply.ok() ? reply->session : "";
    return reply.ok() ? reply->agent_id : "";
  }

  // pgdata attached to `agent` with the epoch of a claim by task db.1, as the agent reports it.
  std::uint64_t attach_pgdata(const std::string& agent) {
    VolumeCreateRequest create;
    create.name = "pgdata";
    create.size_mib = 64;
    EXPECT_TRUE(volumes_->create(create).ok());
    VolumeLaunchClaim claim;
    claim.task_id = "db.1";
    claim.agent_id = agent;
    claim.app_id = "/db";
    claim.spec.name = "pgdata";
    auto spec = volumes_->claim_for_launch(claim);
    EXPECT_TRUE(spec.ok()) << spec.error().message;
    register_agent(agent, {{"pgdata", spec->epoch, {"db.1"}}});
    return spec->epoch;
  }

  SubscriberId subscribe(std::set<std::string> types) {
    Subscription subscription;
    subscription.remote_address = "127.0.0.1";
    subscription.event_types = std::move(types);
    return bus_.attach(std::move(subscription));
  }
  std::vector<std::string> drained(SubscriberId id) {
    std::vector<std::string> types;
    while (auto event = bus_.next(id)) types.push_back(event->type);
    return types;
  }

  FakeClock clock_;
  MemoryStateStore store_;
  VolumeControllerConfig config_;  // lease 5 s, drift margin 3 s
  RecordingChannel channel_;
  Random random_{7};
  EventBus bus_{clock_};
  MetricsRegistry metrics_;
  std::unique_ptr<MasterCore> core_;
  std::unique_ptr<VolumeController> volumes_;
  std::unique_ptr<VolumeWiring> wiring_;
  std::string session_;
};

TEST_F(VolumeWiringTest, TheMountReportedAtRegistrationAttachesTheVolume) {
  const std::string agent = register_agent("");
  attach_pgdata(agent);
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kAttached);
}

TEST_F(VolumeWiringTest, AnUnreachableAgentIsFencedAfterTheLeaseAndItsOldEpochRevoked) {
  const std::string agent = register_agent("");
  const std::uint64_t epoch = attach_pgdata(agent);
  // Heartbeats keep the lease: no fence however long they go on.
  for (int i = 0; i < 20; ++i) {
    clock_.advance(milliseconds(500));
    ASSERT_TRUE(core_->heartbeat({agent, session_}).ok());
  }
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kAttached);

  // Silence from t=10 s: the core declares the agent unreachable after 5 missed beats (its
  // check runs every second: at t=16 s); the controller releases the volume at last ack + lease
  // (5 s) + drift margin (3 s) = 18 s, not before.
  clock_.advance(milliseconds(5500));
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kAttached);
  clock_.advance(seconds(1));
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kFencing);
  clock_.advance(milliseconds(1400));
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kFencing);
  clock_.advance(milliseconds(200));
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kAvailable);

  // The agent comes back still holding the old epoch: it is told to stop and unmount.
  channel_.sent.clear();
  register_agent(agent, {{"pgdata", epoch, {"db.1"}}});
  ASSERT_EQ(channel_.sent.size(), 1u);
  const AgentCommand& order = channel_.sent[0].second;
  EXPECT_EQ(channel_.sent[0].first, agent);
  EXPECT_EQ(order.kind, AgentCommand::Kind::kRevokeVolume);
  EXPECT_EQ(order.volume, "pgdata");
  EXPECT_EQ(order.epoch, epoch);
  EXPECT_EQ(order.kill_task_ids, std::vector<std::string>{"db.1"});
}

TEST_F(VolumeWiringTest, PollsReportMountsAndTheirOrdersGoOutOnce) {
  const std::string agent = register_agent("");
  VolumeLaunchClaim claim;
  claim.task_id = "db.1";
  claim.agent_id = agent;
  claim.spec.name = "pgdata";
  auto spec = volumes_->claim_for_launch(claim);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  wiring_->agent_polled(agent, {});
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kAttaching);
  // Mounted: known with the next poll, not the next registration.
  wiring_->agent_polled(agent, {{"pgdata", spec->epoch, {"db.1"}}});
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kAttached);

  // A mount of an epoch that was never this agent's is revoked on the session, once.
  wiring_->agent_polled(agent, {{"pgdata", spec->epoch, {"db.1"}}, {"ghost", 1, {"x.1"}}});
  ASSERT_EQ(channel_.sent.size(), 1u);
  EXPECT_EQ(channel_.sent[0].second.kind, AgentCommand::Kind::kRevokeVolume);
  EXPECT_EQ(channel_.sent[0].second.volume, "ghost");
  wiring_->agent_polled(agent, {{"pgdata", spec->epoch, {"db.1"}}, {"ghost", 1, {"x.1"}}});
  EXPECT_EQ(channel_.sent.size(), 1u);
}

TEST_F(VolumeWiringTest, VolumeEventsReachOnlySubscribersThatNameThem) {
  const SubscriberId marathon_client = subscribe({});
  const SubscriberId operator_tool = subscribe({"volume_created", "volume_attached"});
  drained(marathon_client);
  attach_pgdata(register_agent(""));
  for (const auto& type : drained(marathon_client)) {
    EXPECT_EQ(type.rfind("volume_", 0), std::string::npos) << type;
  }
  EXPECT_EQ(drained(operator_tool),
            (std::vector<std::string>{"volume_created", "volume_attached"}));
}

TEST_F(VolumeWiringTest, EventJsonCarriesTypeTimestampAndDuration) {
  VolumeEvent event;
  event.type = VolumeEventType::kFailedOver;
  event.volume = "pgdata";
  event.agent_id = "a-2";
  event.epoch = 3;
  event.at = clock_.wall();
  event.took = milliseconds(6500);
  auto doc = nlohmann::json::parse(volume_event_json(event));
  EXPECT_EQ(doc["eventType"], "volume_failed_over");
  EXPECT_EQ(doc["volume"], "pgdata");
  EXPECT_EQ(doc["agentId"], "a-2");
  EXPECT_EQ(doc["epoch"], 3);
  EXPECT_DOUBLE_EQ(doc["durationSeconds"].get<double>(), 6.5);
  EXPECT_TRUE(doc["timestamp"].is_string());
  EXPECT_FALSE(doc.contains("message"));
}

TEST_F(VolumeWiringTest, AgentUnreachableInTheStoreIsFencedAfterARestart) {
  const std::string agent = register_agent("");
  attach_pgdata(agent);
  // A master that ran without volumes declared the agent unreachable (it did not register
  // again within 10 s of that master's start); the volume is still ATTACHED in the store.
  start(/*with_volumes=*/false);
  clock_.advance(seconds(11));
  ASSERT_EQ(core_->agents().find(agent)->status, AgentRecord::Status::kUnreachable);
  // The next master never declares it unreachable again: the wiring fences it after recovery,
  // counting the lease from the recovery.
  start();
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kFencing);
  clock_.advance(milliseconds(7900));
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kFencing);
  clock_.advance(milliseconds(200));
  EXPECT_EQ(volumes_->find("pgdata")->state, VolumeState::kAvailable);
}

TEST_F(VolumeWiringTest, MetricsShowStatesAttachmentsAndLatencies) {
  attach_pgdata(register_agent(""));
  const std::string text = metrics_.render();
  EXPECT_NE(text.find(R"(berth_volumes{state="ATTACHED"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find("berth_volume_attachments 1"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(berth_volume_operations_total{operation="created"} 1)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(berth_volume_operation_duration_seconds_count{operation="attached"} 1)"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace berth
