// VolumeController and the mount reports agents send with every poll: a report is a snapshot
// from when the poll was sent, so one that predates a launch must neither fail nor revoke
// anything, and a poll repeating what the master already acted on must not act again.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/volume_controller.h"
#include "storage/volume_test_fixture.h"

namespace berth::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(VolumeControllerTest, PollsFromBeforeTheLaunchArrivedLeaveAttachingAlone) {
  ASSERT_TRUE(claim_on("pg.1", "a-1").ok());
  const auto before = stored();
  for (int i = 0; i < 3; ++i) {
    clock_.advance(milliseconds(200));
    EXPECT_TRUE(poll("a-1", {}).empty());
  }
  EXPECT_EQ(state(), VolumeState::kAttaching);
  EXPECT_FALSE(c().find("pgdata")->last_error.has_value());
  EXPECT_EQ(stored(), before) << "nothing to persist";
  EXPECT_THAT(event_types(), ElementsAre("volume_created", "volume_attaching"));

  // The first poll after the mount ends ATTACHING, long before the attach timeout.
  EXPECT_TRUE(poll("a-1", {mount("pgdata", 1, {"pg.1"})}).empty());
  EXPECT_EQ(state(), VolumeState::kAttached);
  EXPECT_EQ(last_event(VolumeEventType::kAttached)->took, milliseconds(600));
}

TEST_F(VolumeControllerTest, AReplacementWhoseLaunchIsOnItsWayIsNotAnError) {
  const std::uint64_t epoch = attach("pg.1", "a-1");
  ASSERT_TRUE(c().release("pg.1").ok());
  // The replacement lands where the data is: ATTACHED at once, same epoch.
  ASSERT_TRUE(claim_on("pg.2", "a-1").ok());
  ASSERT_EQ(state(), VolumeState::kAttached);
  // Meanwhile the agent unmounted after pg.1 ended, and polled before pg.2's launch arrived.
  EXPECT_TRUE(poll("a-1", {}).empty());
  EXPECT_EQ(state(), VolumeState::kAttaching);
  EXPECT_FALSE(c().find("pgdata")->last_error.has_value());
  EXPECT_EQ(last_event(VolumeEventType::kError), nullptr);
  EXPECT_EQ(c().find("pgdata")->attachment->epoch, epoch);
  EXPECT_TRUE(poll("a-1", {mount("pgdata", epoch, {"pg.2"})}).empty());
  EXPECT_EQ(state(), VolumeState::kAttached);
}

TEST_F(VolumeControllerTest, AMountGoneFromUnderItsTaskIsStillAnError) {
  attach("pg.1", "a-1");
  EXPECT_TRUE(poll("a-1", {}).empty());
  EXPECT_EQ(state(), VolumeState::kAttaching);
  ASSERT_TRUE(c().find("pgdata")->last_error.has_value());
  EXPECT_THAT(c().find("pgdata")->last_error->message,
              HasSubstr("agent a-1 reports volume pgdata not mounted while task pg.1 holds it"));
  EXPECT_EQ(event_types().back(), "volume_error");
}

TEST_F(VolumeControllerTest, PollsDoNotRepeatARevocationButANewSessionDoes) {
  attach("pg.1", "a-1");
  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  clock_.advance(config_.lease + config_.drift_margin);
  ASSERT_EQ(state(), VolumeState::kAvailable);
  const std::vector<MountedVolume> stale = {mount("pgdata", 1, {"pg.1"}), mount("ghost", 1)};

  auto orders = report("a-1", stale);
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[0].kind, VolumeOrder::Kind::kRevoke);
  // The agent stops and unmounts in its own time; its polls meanwhile say the same.
  EXPECT_TRUE(poll("a-1", stale).empty());
  EXPECT_TRUE(poll("a-1", stale).empty());
  EXPECT_EQ(c().stats().revocations, 2u);

  // A registration is a new session: what was ordered on the old one may be lost.
  EXPECT_EQ(report("a-1", stale).size(), 2u);
  // Unmounted and mounted again (a stale epoch is refused by storage, but if): ordered anew.
  EXPECT_TRUE(poll("a-1", {mount("ghost", 1)}).empty());
  orders = poll("a-1", stale);
  ASSERT_EQ(orders.size(), 1u);
  EXPECT_EQ(orders[0].volume, "pgdata");
  // Orders are repeated; the revocations they carry are the same two.
  EXPECT_EQ(c().stats().revocations, 2u);
}

TEST_F(VolumeControllerTest, AnAgentsPollIsNoConcernOfAnotherAgentsVolumes) {
  attach("pg.1", "a-1");
  ASSERT_TRUE(claim_on("x.1", "a-1", "other").ok());
  const auto events = events_.size();
  // a-2 reports nothing: a-1's volumes are neither detached nor touched.
  EXPECT_TRUE(poll("a-2", {}).empty());
  EXPECT_EQ(state(), VolumeState::kAttached);
  EXPECT_EQ(state("other"), VolumeState::kAttaching);
  EXPECT_EQ(events_.size(), events);
}

}  // namespace
}  // namespace berth::testing
