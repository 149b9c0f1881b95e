// VolumeController fencing: a volume on an unreachable agent moves only once that agent's lease
// has certainly expired, with a new epoch, and the old agent is told to stop when it returns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/volume_controller.h"
#include "storage/volume_test_fixture.h"

namespace berth::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

class VolumeFencingTest : public VolumeControllerTest {
 protected:
  Duration fence_delay() const { return config_.lease + config_.drift_margin; }
};

TEST_F(VolumeFencingTest, RefusedUntilExactlyLeasePlusMarginAfterTheLastAckThenNewEpoch) {
  const std::uint64_t epoch = attach("pg.1", "a-1");
  ASSERT_TRUE(c().agent_heartbeat("a-1", clock_.now()).ok());
  const Instant last_ack = clock_.now();
  // Five beats missed: the master gives up on the agent.
  clock_.advance(seconds(5));
  ASSERT_TRUE(c().agent_unreachable("a-1", last_ack).ok());
  EXPECT_EQ(state(), VolumeState::kFencing);
  EXPECT_EQ(stored()->state, VolumeState::kFencing);

  auto refused = claim_on("pg.2", "a-2");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message,
            "volume 'pgdata' is attached to agent a-1, which is unreachable; it can be attached "
            "elsewhere at 2026-01-01T00:00:06.000Z (in 1s), once a-1's lease has certainly "
            "expired");

  clock_.advance(last_ack + fence_delay() - nanoseconds(1) - clock_.now());
  EXPECT_EQ(state(), VolumeState::kFencing);
  EXPECT_FALSE(claim_on("pg.2", "a-2").ok());

  clock_.advance(nanoseconds(1));
  EXPECT_EQ(state(), VolumeState::kAvailable);
  // The dead node's claims went with it.
  EXPECT_TRUE(c().find("pgdata")->claims.empty());
  ASSERT_EQ(c().find("pgdata")->history.back().ended_by, "fenced");
  ASSERT_NE(last_event(VolumeEventType::kFenced), nullptr);
  EXPECT_EQ(last_event(VolumeEventType::kFenced)->took, seconds(1));

  auto granted = claim_on("pg.2", "a-2");
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  EXPECT_EQ(granted->epoch, epoch + 1);

  // Failover: from the old node's last acknowledged heartbeat to the mount on the new one.
  clock_.advance(milliseconds(1500));
  report("a-2", {mount("pgdata", granted->epoch, {"pg.2"})});
  ASSERT_NE(last_event(VolumeEventType::kFailedOver), nullptr);
  EXPECT_EQ(last_event(VolumeEventType::kFailedOver)->took, fence_delay() + milliseconds(1500));
  EXPECT_EQ(c().stats().fences_started, 1u);
  EXPECT_EQ(c().stats().fences_completed, 1u);
  EXPECT_EQ(c().stats().failovers, 1u);
}

TEST_F(VolumeFencingTest, TheLatestKnownAcknowledgementCounts) {
  attach("pg.1", "a-1");
  const Instant told = clock_.now();
  clock_.advance(seconds(2));
  // The controller heard of a later acknowledgement than the one the caller passes.
  ASSERT_TRUE(c().agent_heartbeat("a-1", clock_.now()).ok());
  const Instant later = clock_.now();
  clock_.advance(seconds(5));
  ASSERT_TRUE(c().agent_unreachable("a-1", told).ok());
  clock_.advance(told + fence_delay() - clock_.now());
  EXPECT_EQ(state(), VolumeState::kFencing);
  clock_.advance(later + fence_delay() - clock_.now());
  EXPECT_EQ(state(), VolumeState::kAvailable);
}

TEST_F(VolumeFencingTest, LateNoticeFencesAtOnceButNeverBeforeTheLeaseEnds) {
  attach("pg.1", "a-1");
  const Instant last_ack = clock_.now();
  clock_.advance(seconds(30));  // the notice comes long after the lease ran out
  ASSERT_TRUE(c().agent_unreachable("a-1", last_ack).ok());
  EXPECT_EQ(state(), VolumeState::kFencing);  // persisted first, released on the next turn
  auto granted = claim_on("pg.2", "a-2");     // a claim settles the due fence itself
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(granted->epoch, 2u);
}

TEST_F(VolumeFencingTest, ReturningOldAgentIsToldToStopAndUnmount) {
  const std::uint64_t old_epoch = attach("pg.1", "a-1");
  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  clock_.advance(fence_delay());
  auto granted = claim_on("pg.2", "a-2");
  ASSERT_TRUE(granted.ok());
  report("a-2", {mount("pgdata", granted->epoch, {"pg.2"})});

  // a-1 comes back still claiming the old epoch (it should have fenced itself).
  auto orders = report("a-1", {mount("pgdata", old_epoch, {"pg.1"})});
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].kind, VolumeOrder::Kind::kRevoke);
  EXPECT_EQ(orders[0].agent_id, "a-1");
  EXPECT_EQ(orders[0].volume, "pgdata");
  EXPECT_EQ(orders[0].epoch, old_epoch);
  EXPECT_EQ(orders[0].kill_task_ids, std::vector<std::string>{"pg.1"});
  EXPECT_EQ(orders[0].reason,
            "epoch 1 of volume pgdata is no longer agent a-1's: the volume is attached to agent "
            "a-2 (epoch 2)");
  EXPECT_EQ(last_event(VolumeEventType::kRevoked)->agent_id, "a-1");
  // The new holder is untouched.
  EXPECT_EQ(state(), VolumeState::kAttached);
  EXPECT_EQ(c().find("pgdata")->attachment->agent_id, "a-2");
  EXPECT_EQ(c().stats().revocations, 1u);

  // Releasing the dead task's claim later is harmless.
  auto released = c().release("pg.1");
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(released->empty());
  EXPECT_EQ(state(), VolumeState::kAttached);
}

TEST_F(VolumeFencingTest, StaleMountsOfReleasedOrDeletedVolumesAreRevoked) {
  attach("pg.1", "a-1");
  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  clock_.advance(fence_delay());
  EXPECT_EQ(state(), VolumeState::kAvailable);
  auto orders = report("a-1", {mount("pgdata", 1, {"pg.1"}), mount("ghost", 1)});
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].reason,
            "epoch 1 of volume pgdata is no longer agent a-1's: its attachment was released");
  EXPECT_EQ(orders[1].volume, "ghost");
  EXPECT_EQ(orders[1].reason,
            "epoch 1 of volume ghost is no longer agent a-1's: the volume was deleted");
}

TEST_F(VolumeFencingTest, AnEpochNewerThanAnyGrantedIsNotRevoked) {
  attach("pg.1", "a-1");
  // Only a store that lost commits explains it; stopping that writer could stop the only one.
  auto orders = report("a-2", {mount("pgdata", 99, {"x.1"})});
  EXPECT_TRUE(orders.empty());
}

TEST_F(VolumeFencingTest, AgentBackBeforeItsLeaseRanOutKeepsItsVolume) {
  const std::uint64_t epoch = attach("pg.1", "a-1");
  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  clock_.advance(seconds(3));
  report("a-1", {mount("pgdata", epoch, {"pg.1"})});
  EXPECT_EQ(state(), VolumeState::kAttached);
  EXPECT_EQ(event_types().back(), "volume_unfenced");
  clock_.advance(seconds(60));
  EXPECT_EQ(state(), VolumeState::kAttached);
  EXPECT_EQ(c().find("pgdata")->attachment->epoch, epoch);
  EXPECT_FALSE(claim_on("pg.2", "a-2").ok());
  EXPECT_EQ(c().stats().fences_cancelled, 1u);
}

TEST_F(VolumeFencingTest, AnAcknowledgedHeartbeatEndsTheFence) {
  attach("pg.1", "a-1");
  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  clock_.advance(seconds(2));
  // The master acknowledged a heartbeat: the agent's lease is renewed, the fence must not end.
  ASSERT_TRUE(c().agent_heartbeat("a-1", clock_.now()).ok());
  EXPECT_EQ(state(), VolumeState::kAttaching);  // until it reports what it has mounted
  clock_.advance(fence_delay());
  EXPECT_NE(state(), VolumeState::kAvailable);
  report("a-1", {mount("pgdata", 1, {"pg.1"})});
  EXPECT_EQ(state(), VolumeState::kAttached);
}

TEST_F(VolumeFencingTest, AnIdleAttachmentOfAReturningAgentIsDetached) {
  attach("pg.1", "a-1");
  ASSERT_TRUE(c().release("pg.1").ok());
  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  EXPECT_EQ(state(), VolumeState::kFencing);
  // It comes back with nothing mounted: the volume is free at once, without the lease wait.
  report("a-1", {});
  EXPECT_EQ(state(), VolumeState::kAvailable);
  EXPECT_EQ(c().find("pgdata")->history.back().ended_by, "detached");
}

TEST_F(VolumeFencingTest, AFenceThatCannotBePersistedIsRetried) {
  attach("pg.1", "a-1");
  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  store_.fail_next_commits(1);
  clock_.advance(fence_delay());
  EXPECT_EQ(state(), VolumeState::kFencing);
  EXPECT_EQ(stored()->state, VolumeState::kFencing);
  clock_.advance(config_.retry_backoff_min);
  EXPECT_EQ(state(), VolumeState::kAvailable);
  EXPECT_EQ(stored()->state, VolumeState::kAvailable);
}

TEST_F(VolumeFencingTest, AFailedFenceNoticeLeavesTheAttachmentInPlace) {
  attach("pg.1", "a-1");
  store_.fail_next_commits(1);
  EXPECT_FALSE(c().agent_unreachable("a-1", clock_.now()).ok());
  EXPECT_EQ(state(), VolumeState::kAttached);
  clock_.advance(seconds(60));
  // Without a persisted fence nothing moves: the caller must tell it again.
  EXPECT_FALSE(claim_on("pg.2", "a-2").ok());
}

TEST_F(VolumeFencingTest, OnlyTheUnreachableAgentsVolumesAreFenced) {
  attach("pg.1", "a-1", "one");
  attach("pg.2", "a-2", "two");
  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  EXPECT_EQ(state("one"), VolumeState::kFencing);
  EXPECT_EQ(state("two"), VolumeState::kAttached);
}

}  // namespace
}  // namespace berth::testing
