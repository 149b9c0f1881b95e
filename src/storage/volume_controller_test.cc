// VolumeController: creation, claims, releases, deletion, deadlines and persistence before
// acting, on a fake clock and an in-memory store.
#include "storage/volume_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/volume_test_fixture.h"

namespace berth::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST_F(VolumeControllerTest, HappyPathFromImplicitCreationToReattachElsewhere) {
  auto spec = claim_on("pg.1", "a-1");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  // Implicit creation with the defaults.
  EXPECT_EQ(spec->name, "pgdata");
  EXPECT_EQ(spec->driver, "blockpool");
  EXPECT_EQ(spec->size_mib, 16 * 1024);
  EXPECT_EQ(spec->fs_type, "ext4");
  EXPECT_TRUE(spec->external);
  EXPECT_EQ(spec->epoch, 1u);
  EXPECT_EQ(state(), VolumeState::kAttaching);
  // Persisted before the spec was handed out.
  ASSERT_TRUE(stored().has_value());
  EXPECT_EQ(stored()->state, VolumeState::kAttaching);
  EXPECT_EQ(stored()->attachment->epoch, 1u);
  EXPECT_EQ(stored()->attachment->agent_id, "a-1");
  EXPECT_EQ(stored()->claims, std::set<std::string>{"pg.1"});

  // A report from before the launch got there says nothing yet.
  EXPECT_TRUE(report("a-1", {}).empty());
  EXPECT_EQ(state(), VolumeState::kAttaching);

  clock_.advance(milliseconds(750));
  EXPECT_TRUE(report("a-1", {mount("pgdata", 1, {"pg.1"})}).empty());
  EXPECT_EQ(state(), VolumeState::kAttached);
  ASSERT_NE(last_event(VolumeEventType::kAttached), nullptr);
  EXPECT_EQ(last_event(VolumeEventType::kAttached)->took, milliseconds(750));

  auto orders = c().release("pg.1");
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->size(), 1u);
  EXPECT_EQ((*orders)[0].kind, VolumeOrder::Kind::kUnmount);
  EXPECT_EQ((*orders)[0].agent_id, "a-1");
  EXPECT_EQ((*orders)[0].epoch, 1u);
  EXPECT_EQ(state(), VolumeState::kDetaching);
  EXPECT_EQ(stored()->state, VolumeState::kDetaching);

  // Still mounted: nothing moves until the agent confirms.
  report("a-1", {mount("pgdata", 1)});
  EXPECT_EQ(state(), VolumeState::kDetaching);
  report("a-1", {});
  EXPECT_EQ(state(), VolumeState::kAvailable);
  const VolumeRecord* v = c().find("pgdata");
  EXPECT_FALSE(v->attachment.has_value());
  ASSERT_EQ(v->history.size(), 1u);
  EXPECT_EQ(v->history[0].agent_id, "a-1");
  EXPECT_EQ(v->history[0].ended_by, "detached");

  auto next = claim_on("pg.2", "a-2");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->epoch, 2u);
  EXPECT_THAT(event_types(),
              ElementsAre("volume_created", "volume_attaching", "volume_attached",
                          "volume_detaching", "volume_detached", "volume_attaching"));
  EXPECT_EQ(c().stats().epochs_granted, 2u);
  EXPECT_EQ(c().stats().attaches_confirmed, 1u);
  EXPECT_EQ(c().stats().detaches_confirmed, 1u);
}

TEST_F(VolumeControllerTest, TwoClaimsOnASingleWriterVolumeNeverBothSucceed) {
  auto first = claim_on("pg.1", "a-1");
  ASSERT_TRUE(first.ok());
  auto elsewhere = claim_on("pg.2", "a-2");
  ASSERT_FALSE(elsewhere.ok());
  EXPECT_EQ(elsewhere.error().code, ErrorCode::kUnavailable);
  EXPECT_THAT(elsewhere.error().message,
              HasSubstr("volume 'pgdata' is being attached to agent a-1 (epoch 1)"));
  auto same_node = claim_on("pg.3", "a-1");
  ASSERT_FALSE(same_node.ok());
  EXPECT_THAT(same_node.error().message,
              HasSubstr("is single-writer and already claimed by task pg.1"));

  report("a-1", {mount("pgdata", 1, {"pg.1"})});
  auto attached_elsewhere = claim_on("pg.2", "a-2");
  ASSERT_FALSE(attached_elsewhere.ok());
  EXPECT_THAT(attached_elsewhere.error().message,
              HasSubstr("attached to agent a-1 (epoch 1); it can move once task pg.1 ends and "
                        "a-1 confirms the unmount"));

  // The holder asking again is not a second claim.
  auto again = claim_on("pg.1", "a-1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->epoch, 1u);
  EXPECT_EQ(c().find("pgdata")->claims, std::set<std::string>{"pg.1"});
  EXPECT_EQ(c().stats().claims_refused, 3u);
}

TEST_F(VolumeControllerTest, ClaimsRaceThroughEveryInterleavingWithOneWinner) {
  // Whatever order claims from different agents arrive in, at most one holds the volume.
  for (int round = 0; round < 20; ++round) {
    const std::string volume = "v" + std::to_string(round);
    int granted = 0;
    for (int agent = 0; agent < 5; ++agent) {
      auto got = claim_on("t" + std::to_string(round) + "." + std::to_string(agent),
                          "a-" + std::to_string((agent + round) % 5), volume);
      if (got.ok()) ++granted;
    }
    EXPECT_EQ(granted, 1) << volume;
    EXPECT_EQ(c().find(volume)->claims.size(), 1u);
  }
}

TEST_F(VolumeControllerTest, SharedVolumeTakesManyTasksOnOneNode) {
  VolumeLaunchClaim one = claim("web.1", "a-1", "assets");
  one.access = VolumeAccess::kShared;
  VolumeLaunchClaim two = one;
  two.task_id = "web.2";
  VolumeLaunchClaim three = one;
  three.task_id = "web.3";
  three.agent_id = "a-2";
  auto a = c().claim_for_launch(one);
  auto b = c().claim_for_launch(two);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->epoch, b->epoch);
  auto c3 = c().claim_for_launch(three);
  ASSERT_FALSE(c3.ok());
  EXPECT_THAT(c3.error().message, HasSubstr("(a shared volume is on one node at a time)"));

  // The volume stays while one task still uses it.
  auto orders = c().release("web.1");
  ASSERT_TRUE(orders.ok());
  EXPECT_TRUE(orders->empty());
  EXPECT_EQ(state("assets"), VolumeState::kAttaching);

  // An app that does not declare it shared may not use it.
  auto exclusive = claim_on("other.1", "a-1", "assets");
  ASSERT_FALSE(exclusive.ok());
  EXPECT_EQ(exclusive.error().code, ErrorCode::kConflict);
  EXPECT_THAT(exclusive.error().message,
              HasSubstr("volume 'assets' is shared; the app declares it not shared"));
}

TEST_F(VolumeControllerTest, NewTaskOnTheSameNodeKeepsTheEpochWhileDetaching) {
  const std::uint64_t epoch = attach("pg.1", "a-1");
  ASSERT_TRUE(c().release("pg.1").ok());
  EXPECT_EQ(state(), VolumeState::kDetaching);
  // The replacement lands where the data still is: no detach, no new epoch.
  auto spec = claim_on("pg.2", "a-1");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->epoch, epoch);
  EXPECT_EQ(state(), VolumeState::kAttached);
  // Elsewhere it still has to wait.
  auto moved = claim_on("pg.3", "a-2");
  ASSERT_FALSE(moved.ok());
}

TEST_F(VolumeControllerTest, DetachingVolumeWaitsForTheAgentNotForAClock) {
  attach("pg.1", "a-1");
  auto released = c().release("pg.1");
  ASSERT_TRUE(released.ok());
  auto refused = claim_on("pg.2", "a-2");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message,
              HasSubstr("detaching from agent a-1 (epoch 1); waiting for a-1 to confirm the "
                        "unmount"));

  // The deadline asks again and shows the error; it never gives the volume away.
  clock_.advance(config_.detach_timeout);
  ASSERT_EQ(timer_orders_.size(), 1u);
  EXPECT_EQ(timer_orders_[0].kind, VolumeOrder::Kind::kUnmount);
  EXPECT_EQ(timer_orders_[0].agent_id, "a-1");
  EXPECT_EQ(state(), VolumeState::kDetaching);
  ASSERT_TRUE(c().find("pgdata")->last_error.has_value());
  EXPECT_THAT(c().find("pgdata")->last_error->message,
              HasSubstr("the unmount is not confirmed after 60s; asking again"));
  EXPECT_EQ(stored()->last_error, c().find("pgdata")->last_error);
  clock_.advance(config_.detach_timeout);
  EXPECT_EQ(timer_orders_.size(), 2u);
  EXPECT_FALSE(claim_on("pg.2", "a-2").ok());

  report("a-1", {});
  EXPECT_TRUE(claim_on("pg.2", "a-2").ok());
  EXPECT_EQ(c().stats().timeouts, 2u);
}

TEST_F(VolumeControllerTest, AttachThatNeverHappensStopsItsTaskAndShowsWhy) {
  ASSERT_TRUE(claim_on("pg.1", "a-1").ok());
  clock_.advance(config_.attach_timeout - milliseconds(1));
  EXPECT_EQ(state(), VolumeState::kAttaching);
  clock_.advance(milliseconds(1));
  EXPECT_EQ(state(), VolumeState::kDetaching);
  ASSERT_EQ(timer_orders_.size(), 1u);
  EXPECT_EQ(timer_orders_[0].kind, VolumeOrder::Kind::kUnmount);
  EXPECT_EQ(timer_orders_[0].kill_task_ids, std::vector<std::string>{"pg.1"});
  EXPECT_THAT(c().find("pgdata")->last_error->message,
              HasSubstr("attach volume pgdata on agent a-1 (epoch 1): not reported mounted within "
                        "180s; stopping task pg.1"));
  EXPECT_EQ(event_types().back(), "volume_error");

  // The task is killed, its claim released, and the agent confirms nothing is mounted.
  ASSERT_TRUE(c().release("pg.1").ok());
  EXPECT_EQ(state(), VolumeState::kDetaching);
  report("a-1", {});
  EXPECT_EQ(state(), VolumeState::kAvailable);
}

TEST_F(VolumeControllerTest, FailedCommitsLeaveNothingHalfDone) {
  // Implicit creation that cannot be persisted: no volume at all.
  store_.fail_next_commits(1);
  auto spec = claim_on("pg.1", "a-1");
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(c().find("pgdata"), nullptr);
  EXPECT_FALSE(stored().has_value());
  EXPECT_TRUE(events_.empty());

  // The grant that cannot be persisted: no epoch handed out, none used up.
  ASSERT_TRUE(c().create({.name = "pgdata"}).ok());
  store_.fail_next_commits(1);
  ASSERT_FALSE(claim_on("pg.1", "a-1").ok());
  EXPECT_EQ(state(), VolumeState::kAvailable);
  EXPECT_EQ(stored()->state, VolumeState::kAvailable);
  EXPECT_TRUE(c().find("pgdata")->claims.empty());
  auto granted = claim_on("pg.1", "a-1");
  ASSERT_TRUE(granted.ok());
  EXPECT_EQ(granted->epoch, 1u);

  // A report that cannot be persisted changes nothing; the next one does it.
  store_.fail_next_commits(1);
  EXPECT_FALSE(c().agent_reported("a-1", {mount("pgdata", 1, {"pg.1"})}).ok());
  EXPECT_EQ(state(), VolumeState::kAttaching);
  report("a-1", {mount("pgdata", 1, {"pg.1"})});
  EXPECT_EQ(state(), VolumeState::kAttached);

  // A release that cannot be persisted keeps the claim and sends no order.
  store_.fail_next_commits(1);
  auto orders = c().release("pg.1");
  ASSERT_FALSE(orders.ok());
  EXPECT_EQ(c().find("pgdata")->claims, std::set<std::string>{"pg.1"});
  EXPECT_EQ(state(), VolumeState::kAttached);

  // A delete that cannot be persisted keeps the volume.
  ASSERT_TRUE(c().release("pg.1").ok());
  report("a-1", {});
  store_.fail_next_commits(1);
  EXPECT_FALSE(c().remove("pgdata").ok());
  EXPECT_EQ(state(), VolumeState::kAvailable);
  EXPECT_TRUE(stored().has_value());
}

TEST_F(VolumeControllerTest, DeleteIsRefusedWhileAttachedOrClaimed) {
  auto missing = c().remove("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  attach("pg.1", "a-1");
  auto refused = c().remove("pgdata");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(refused.error().message,
            "volume 'pgdata' is attached to agent a-1 (epoch 1); stop the tasks that use it and "
            "wait for it to detach before deleting it");
  ASSERT_TRUE(c().release("pg.1").ok());
  EXPECT_FALSE(c().remove("pgdata").ok());  // detaching: still on a-1
  report("a-1", {});
  ASSERT_TRUE(c().remove("pgdata").ok());
  EXPECT_EQ(c().find("pgdata"), nullptr);
  EXPECT_FALSE(stored().has_value());
  EXPECT_EQ(event_types().back(), "volume_deleted");
}

TEST_F(VolumeControllerTest, EpochsNeverRepeatAcrossDeleteAndRecreate) {
  attach("pg.1", "a-1");
  ASSERT_TRUE(c().release("pg.1").ok());
  report("a-1", {});
  ASSERT_TRUE(c().remove("pgdata").ok());
  // Same name, new volume: a node still holding epoch 1 of the old one can never pass it off
  // as the new one's.
  auto spec = claim_on("pg.2", "a-2");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->epoch, 2u);
}

TEST_F(VolumeControllerTest, ExplicitCreateValidatesEveryField) {
  auto created = c().create({.name = "data",
                             .driver = "rexray",
                             .size_mib = 1024,
                             .fs_type = "xfs",
                             .options = {{"iops", "150"}}});
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->driver, "blockpool");  // the alias resolved
  EXPECT_EQ(created->state, VolumeState::kAvailable);
  EXPECT_EQ(c().create({.name = "data"}).error().code, ErrorCode::kConflict);

  auto bad = c().create({.name = "../etc",
                         .driver = "ceph",
                         .size_mib = 1LL << 40,
                         .options = {{"x", std::string("a\0b", 3)}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  std::vector<std::string> paths;
  for (const auto& f : bad.error().fields) paths.push_back(f.path);
  EXPECT_THAT(paths, ElementsAre("/name", "/driver", "/size", "/options(\"x\")"));
  EXPECT_EQ(bad.error().fields[1].errors[0],
            "unknown volume driver 'ceph'; known drivers: blockpool, local; aliases: rexray -> "
            "blockpool");

  auto local_external = c().create({.name = "l", .driver = "local"});
  ASSERT_FALSE(local_external.ok());
  EXPECT_EQ(local_external.error().fields[0].errors[0],
            "driver 'local' keeps data on one node; use it for local persistent volumes only");
  auto xfs_small = c().create({.name = "x", .size_mib = 100, .fs_type = "xfs"});
  ASSERT_FALSE(xfs_small.ok());
  EXPECT_EQ(xfs_small.error().fields[0].errors[0], "must be at least 300 MiB for xfs, got 100");
  EXPECT_EQ(c().list().size(), 1u);
}

TEST_F(VolumeControllerTest, ClaimsWithBadVolumesSayWhyInOneLine) {
  auto bad_name = claim_on("t.1", "a-1", "a/b");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(bad_name.error().message, HasSubstr("volume name 'a/b' may contain only"));

  VolumeLaunchClaim tiny = claim("t.1", "a-1", "tiny");
  tiny.spec.size_mib = 1;
  auto refused = c().claim_for_launch(tiny);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "volume 'tiny' cannot be created: /size: must be at least 16 MiB, got 1");

  ASSERT_TRUE(c().create({.name = "pgdata"}).ok());
  VolumeLaunchClaim other_driver = claim("t.1", "a-1");
  other_driver.spec.driver = "local";
  other_driver.spec.external = false;
  auto mismatch = c().claim_for_launch(other_driver);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, ErrorCode::kConflict);
  EXPECT_EQ(mismatch.error().message,
            "volume 'pgdata' exists with driver 'blockpool'; the app asks for driver 'local'");
  // Size and options of an existing volume are its own (Marathon: not changed through the app).
  VolumeLaunchClaim bigger = claim("t.1", "a-1");
  bigger.spec.size_mib = 100000;
  auto spec = c().claim_for_launch(bigger);
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->size_mib, 16 * 1024);
}

TEST_F(VolumeControllerTest, ImplicitCreationCanBeTurnedOff) {
  controller_.reset();
  config_.implicit_create = false;
  start();
  auto refused = claim_on("t.1", "a-1");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(c().find("pgdata"), nullptr);
}

TEST_F(VolumeControllerTest, LocalVolumeIsPinnedToItsFirstAgentAndNeverFenced) {
  VolumeLaunchClaim first = claim("redis.1", "a-1", "redis");
  first.spec.driver = "local";
  first.spec.external = false;
  auto spec = c().claim_for_launch(first);
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_FALSE(spec->external);
  EXPECT_EQ(c().find("redis")->pinned_agent, "a-1");
  report("a-1", {mount("redis", spec->epoch, {"redis.1"})});

  ASSERT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
  clock_.advance(seconds(60));
  EXPECT_EQ(state("redis"), VolumeState::kAttached);
  // Its task was lost with the node; the replacement must wait for that node.
  ASSERT_TRUE(c().release("redis.1").ok());
  report("a-1", {});
  EXPECT_EQ(state("redis"), VolumeState::kAvailable);
  VolumeLaunchClaim elsewhere = first;
  elsewhere.task_id = "redis.2";
  elsewhere.agent_id = "a-2";
  auto refused = c().claim_for_launch(elsewhere);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().message,
            "local volume 'redis' lives on agent a-1; tasks that use it run only there");
  elsewhere.agent_id = "a-1";
  EXPECT_TRUE(c().claim_for_launch(elsewhere).ok());
}

TEST_F(ProvisionedVolumeTest, CreationWaitsForTheProvisionerAndRetriesFailures) {
  auto created = c().create({.name = "pgdata"});
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->state, VolumeState::kCreating);
  // CREATING is on record before the backend is asked.
  EXPECT_EQ(stored()->state, VolumeState::kCreating);
  ASSERT_EQ(provisioner_.calls.size(), 1u);
  EXPECT_EQ(provisioner_.calls[0].op, "create");

  auto waiting = claim_on("pg.1", "a-1");
  ASSERT_FALSE(waiting.ok());
  EXPECT_EQ(waiting.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(waiting.error().message, "volume 'pgdata' is being created");
  EXPECT_EQ(c().remove("pgdata").error().code, ErrorCode::kUnavailable);

  provisioner_.answer(unavailable("backend: quota exceeded"));
  EXPECT_EQ(state(), VolumeState::kCreating);
  EXPECT_EQ(c().find("pgdata")->last_error->message,
            "create volume pgdata (driver blockpool): backend: quota exceeded; retrying in 1s");
  auto shows = claim_on("pg.1", "a-1");
  EXPECT_THAT(shows.error().message, HasSubstr("(create volume pgdata (driver blockpool)"));

  clock_.advance(seconds(1));
  ASSERT_EQ(provisioner_.calls.size(), 1u);  // the retry
  // No answer: the call times out and is retried after a longer backoff.
  clock_.advance(config_.provision_timeout);
  EXPECT_THAT(c().find("pgdata")->last_error->message,
              HasSubstr("no answer from the driver within 120s; retrying in 2s"));
  auto late = std::move(provisioner_.calls.front());
  provisioner_.calls.pop_front();
  late.done({});  // an answer given up on changes nothing
  EXPECT_EQ(state(), VolumeState::kCreating);
  clock_.advance(seconds(2));
  provisioner_.answer();
  EXPECT_EQ(state(), VolumeState::kAvailable);
  EXPECT_FALSE(c().find("pgdata")->last_error.has_value());
  EXPECT_TRUE(claim_on("pg.1", "a-1").ok());
  EXPECT_EQ(c().stats().operation_failures, 2u);
  EXPECT_EQ(c().stats().timeouts, 1u);
}

TEST_F(ProvisionedVolumeTest, DeletionGoesThroughDeletingToGone) {
  ASSERT_TRUE(c().create({.name = "pgdata"}).ok());
  provisioner_.answer();
  ASSERT_TRUE(c().remove("pgdata").ok());
  EXPECT_EQ(state(), VolumeState::kDeleting);
  EXPECT_EQ(stored()->state, VolumeState::kDeleting);
  ASSERT_EQ(provisioner_.calls.size(), 1u);
  EXPECT_EQ(provisioner_.calls[0].op, "remove");
  EXPECT_TRUE(c().remove("pgdata").ok());  // idempotent
  EXPECT_EQ(claim_on("pg.1", "a-1").error().message, "volume 'pgdata' is being deleted");
  provisioner_.answer();
  EXPECT_EQ(c().find("pgdata"), nullptr);
  EXPECT_FALSE(stored().has_value());
  EXPECT_EQ(c().stats().deleted, 1u);
}

TEST(VolumeControllerConfigTest, RefusesSettingsThatCannotWork) {
  VolumeControllerConfig config;
  EXPECT_TRUE(validate(config).ok());
  config.lease = Duration::zero();
  EXPECT_FALSE(validate(config).ok());
  config = {};
  config.default_driver = "ceph";
  EXPECT_EQ(validate(config).error().message,
            "volume controller: default driver 'ceph' is not among the drivers");
  config = {};
  config.default_size_mib = 1;
  EXPECT_FALSE(validate(config).ok());
  config = {};
  config.driver_aliases["rexray"] = "ebs";
  EXPECT_FALSE(validate(config).ok());
}

}  // namespace
}  // namespace berth::testing
