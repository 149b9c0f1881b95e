// VolumeController recovery: a master restarted in each state finishes or resumes what was in
// flight, from what the store holds, and never gives a volume away early.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/volume_controller.h"
#include "storage/volume_test_fixture.h"

namespace berth::testing {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

TEST_F(VolumeControllerTest, RestartWhileAttachingFinishesWhenTheAgentReportsTheMount) {
  auto spec = claim_on("pg.1", "a-1");
  ASSERT_TRUE(spec.ok());
  restart();
  EXPECT_EQ(state(), VolumeState::kAttaching);
  // The scheduler asks again for the same task: same answer, no second epoch.
  auto again = claim_on("pg.1", "a-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->epoch, spec->epoch);
  EXPECT_FALSE(claim_on("pg.2", "a-2").ok());
  report("a-1", {mount("pgdata", spec->epoch, {"pg.1"})});
  EXPECT_EQ(state(), VolumeState::kAttached);
}

TEST_F(VolumeControllerTest, RestartWhileAttachingRestartsItsDeadline) {
  ASSERT_TRUE(claim_on("pg.1", "a-1").ok());
  clock_.advance(config_.attach_timeout - seconds(1));
  restart();
  clock_.advance(seconds(1));
  EXPECT_EQ(state(), VolumeState::kAttaching);  // the deadline counts from the recovery
  clock_.advance(config_.attach_timeout - seconds(1));
  EXPECT_EQ(state(), VolumeState::kDetaching);
  ASSERT_EQ(timer_orders_.size(), 1u);
  EXPECT_EQ(timer_orders_[0].kill_task_ids, std::vector<std::string>{"pg.1"});
}

TEST_F(VolumeControllerTest, RestartWhileAttachedKeepsTheHolder) {
  const std::uint64_t epoch = attach("pg.1", "a-1");
  restart();
  EXPECT_EQ(state(), VolumeState::kAttached);
  EXPECT_FALSE(claim_on("pg.2", "a-2").ok());
  // The agent registers again with the mount: nothing to do.
  EXPECT_TRUE(report("a-1", {mount("pgdata", epoch, {"pg.1"})}).empty());
  EXPECT_EQ(state(), VolumeState::kAttached);
}

TEST_F(VolumeControllerTest, RestartWhileDetachingFinishesOnTheAgentsConfirmation) {
  attach("pg.1", "a-1");
  ASSERT_TRUE(c().release("pg.1").ok());
  restart();
  EXPECT_EQ(state(), VolumeState::kDetaching);
  EXPECT_FALSE(claim_on("pg.2", "a-2").ok());
  report("a-1", {});
  EXPECT_EQ(state(), VolumeState::kAvailable);
  auto spec = claim_on("pg.2", "a-2");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->epoch, 2u);
}

TEST_F(VolumeControllerTest, RestartWhileFencingWaitsAFullLeaseFromTheRecovery) {
  attach("pg.1", "a-1");
  const Instant last_ack = clock_.now();
  clock_.advance(seconds(5));
  ASSERT_TRUE(c().agent_unreachable("a-1", last_ack).ok());
  restart();
  const Instant recovered = clock_.now();
  EXPECT_EQ(state(), VolumeState::kFencing);
  // The old fence time has passed, but the new master cannot know what the dead one
  // acknowledged: it waits a whole lease + margin from its own start.
  clock_.advance(config_.lease + config_.drift_margin - nanoseconds(1));
  EXPECT_EQ(state(), VolumeState::kFencing);
  EXPECT_FALSE(claim_on("pg.2", "a-2").ok());
  clock_.advance(nanoseconds(1));
  EXPECT_EQ(state(), VolumeState::kAvailable);
  EXPECT_EQ(clock_.now() - recovered, config_.lease + config_.drift_margin);
  auto spec = claim_on("pg.2", "a-2");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->epoch, 2u);
}

TEST_F(VolumeControllerTest, AfterARestartTheLeaseIsCountedFromTheRecoveryAtTheEarliest) {
  attach("pg.1", "a-1");
  const Instant before_crash = clock_.now();
  clock_.advance(seconds(30));
  restart();
  const Instant recovered = clock_.now();
  // The master gives up on a-1 and passes the last acknowledgement it knows of, from before
  // the crash: by that alone the lease ended long ago. But the dead master may have
  // acknowledged later heartbeats, so the fence ends a lease + margin after the recovery.
  clock_.advance(seconds(2));
  ASSERT_TRUE(c().agent_unreachable("a-1", before_crash).ok());
  clock_.run_due();
  EXPECT_EQ(state(), VolumeState::kFencing);
  clock_.advance(recovered + config_.lease + config_.drift_margin - nanoseconds(1) - clock_.now());
  EXPECT_EQ(state(), VolumeState::kFencing);
  clock_.advance(nanoseconds(1));
  EXPECT_EQ(state(), VolumeState::kAvailable);
}

TEST_F(VolumeControllerTest, EpochsContinueAcrossRestarts) {
  attach("a.1", "a-1", "one");
  attach("b.1", "a-1", "two");
  restart();
  auto spec = claim_on("c.1", "a-2", "three");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->epoch, 3u);
}

TEST_F(ProvisionedVolumeTest, RestartWhileCreatingAsksTheProvisionerAgain) {
  ASSERT_TRUE(c().create({.name = "pgdata"}).ok());
  ASSERT_EQ(provisioner_.calls.size(), 1u);
  provisioner_.calls.clear();  // the answer is lost with the master
  restart();
  EXPECT_EQ(state(), VolumeState::kCreating);
  ASSERT_EQ(provisioner_.calls.size(), 1u);
  EXPECT_EQ(provisioner_.calls[0].op, "create");
  EXPECT_EQ(provisioner_.calls[0].spec.name, "pgdata");
  provisioner_.answer();
  EXPECT_EQ(state(), VolumeState::kAvailable);
  EXPECT_EQ(stored()->state, VolumeState::kAvailable);
}

TEST_F(ProvisionedVolumeTest, RestartWhileDeletingFinishesTheDelete) {
  ASSERT_TRUE(c().create({.name = "pgdata"}).ok());
  provisioner_.answer();
  ASSERT_TRUE(c().remove("pgdata").ok());
  provisioner_.calls.clear();
  restart();
  EXPECT_EQ(state(), VolumeState::kDeleting);
  ASSERT_EQ(provisioner_.calls.size(), 1u);
  EXPECT_EQ(provisioner_.calls[0].op, "remove");
  provisioner_.answer();
  EXPECT_EQ(c().find("pgdata"), nullptr);
  EXPECT_FALSE(stored().has_value());
}

TEST_F(VolumeControllerTest, RecoveryRefusesACorruptRecord) {
  ASSERT_TRUE(store_.commit({Mutation::put("volumes/bad", "{not json")}).ok());
  controller_ = std::make_unique<VolumeController>(clock_, store_, config_);
  auto status = controller_->recover();
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("recover volumes/bad"));
}

}  // namespace
}  // namespace berth::testing
