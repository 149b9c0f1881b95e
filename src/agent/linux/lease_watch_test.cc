// The volume lease file: its format, its publication by the containerizer (CLOCK_BOOTTIME), and
// the supervisor's reading of it, which treats anything it cannot read as an expired lease.
#include "agent/linux/lease_watch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/linux/linux_containerizer.h"
#include "agent/linux/runtime_dir.h"
#include "common/atomic_file.h"
#include "state/test_temp_dir.h"

namespace berth {
namespace {

using ::testing::HasSubstr;

constexpr std::int64_t kSecond = 1'000'000'000;

TEST(VolumeLeaseFileTest, RoundTripsAndRejectsGarbage) {
  auto decoded = decode_volume_lease(encode_volume_lease(123456789012345));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, 123456789012345);
  EXPECT_FALSE(decode_volume_lease("").ok());
  EXPECT_FALSE(decode_volume_lease(R"({"deadline_boottime_ns":"soon"})").ok());
}

TEST(VolumeLeaseFileTest, TheContainerizerPublishesTheDeadlineOnTheBootClock) {
  TestTempDir dir;
  LinuxContainerizer::Options options;
  options.volume_lease_file = dir.file("volume_lease");
  LinuxContainerizer containerizer({}, options);
  const std::int64_t before = boottime_ns();
  ASSERT_TRUE(
      containerizer.publish_volume_lease(std::chrono::steady_clock::now() + std::chrono::seconds(3))
          .ok());
  const std::int64_t after = boottime_ns();
  auto text = read_file(options.volume_lease_file);
  ASSERT_TRUE(text.ok() && text->has_value());
  auto deadline = decode_volume_lease(**text);
  ASSERT_TRUE(deadline.ok());
  EXPECT_GE(*deadline, before + 3 * kSecond - kSecond / 100);
  EXPECT_LE(*deadline, after + 3 * kSecond);

  // Without a file configured nothing is written, and that is no error.
  LinuxContainerizer unwatched({}, LinuxContainerizer::Options{});
  EXPECT_TRUE(unwatched.publish_volume_lease(std::chrono::steady_clock::now()).ok());
}

TEST(LeaseWatchTest, HoldsUntilTheDeadlineThenSaysWhichVolumesAndWhy) {
  TestTempDir dir;
  const std::string file = dir.file("volume_lease");
  ASSERT_TRUE(replace_file(file, encode_volume_lease(10 * kSecond)).ok());
  auto watch = LeaseWatch::open(file, {"pgdata", "wal"});
  ASSERT_TRUE(watch.ok()) << watch.error().message;
  EXPECT_FALSE(watch->check(10 * kSecond - 1).has_value());
  auto expired = watch->check(10 * kSecond + 250'000'000);
  ASSERT_TRUE(expired.has_value());
  EXPECT_THAT(*expired, HasSubstr("lease on volumes pgdata, wal expired 250 ms ago"));

  // Renewed by a new file renamed over the old one: read afresh.
  ASSERT_TRUE(replace_file(file, encode_volume_lease(20 * kSecond)).ok());
  EXPECT_FALSE(watch->check(19 * kSecond).has_value());
}

TEST(LeaseWatchTest, ALeaseThatCannotBeReadHasExpired) {
  TestTempDir dir;
  const std::string file = dir.file("volume_lease");
  auto watch = LeaseWatch::open(file, {"pgdata"});
  ASSERT_TRUE(watch.ok()) << watch.error().message;
  auto missing = watch->check(0);
  ASSERT_TRUE(missing.has_value());
  EXPECT_THAT(*missing, HasSubstr("lease on volume pgdata cannot be read from " + file));
  ASSERT_TRUE(replace_file(file, "{\"deadline").ok());
  EXPECT_TRUE(watch->check(0).has_value());

  EXPECT_FALSE(LeaseWatch::open("relative/lease", {"pgdata"}).ok());
  EXPECT_FALSE(LeaseWatch::open(dir.file("no/such/dir/lease"), {"pgdata"}).ok());
}

TEST(LeaseWatchTest, ExitAndSpecFieldsRoundTrip) {
  ContainerExit fenced;
  fenced.kind = ContainerExit::Kind::kLeaseExpired;
  fenced.signal = 9;
  fenced.message = "this node's lease on volume pgdata expired";
  auto decoded = decode_exit_status(encode_exit_status(fenced));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->kind, ContainerExit::Kind::kLeaseExpired);
  EXPECT_EQ(decoded->signal, 9);
  EXPECT_EQ(decoded->message, fenced.message);

  ContainerSpec spec;
  spec.task_id = "db.1";
  spec.lease_volumes = {"pgdata"};
  spec.lease_file = "/w/volume_lease";
  auto parsed = decode_spec(encode_spec(spec));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->lease_volumes, spec.lease_volumes);
  EXPECT_EQ(parsed->lease_file, spec.lease_file);
  spec.lease_volumes.clear();
  spec.lease_file.clear();
  EXPECT_EQ(encode_spec(spec).find("lease"), std::string::npos) << "nothing for other tasks";
}

}  // namespace
}  // namespace berth
