// Launch backoff: the delay sequence, its cap, its deadline and what resets it.
#include "scheduler/launch_backoff.h"

#include <gtest/gtest.h>

namespace berth::scheduler {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

BackoffStrategy strategy(double backoff, double factor, double max) {
  marathon::AppDefinition app;
  app.backoff_seconds = backoff;
  app.backoff_factor = factor;
  app.max_launch_delay_seconds = max;
  return BackoffStrategy::of(app);
}

TEST(LaunchBackoff, MarathonDefaults) {
  BackoffStrategy defaults = BackoffStrategy::of(marathon::AppDefinition{});
  EXPECT_EQ(defaults.backoff, seconds(1));
  EXPECT_DOUBLE_EQ(defaults.factor, 1.15);
  EXPECT_EQ(defaults.max_launch_delay, seconds(300));
}

TEST(LaunchBackoff, SequenceStartsAtBackoffAndGrowsByFactorUpToCap) {
  auto s = strategy(1, 2, 10);
  EXPECT_EQ(launch_delay(s, 0), seconds(0));
  EXPECT_EQ(launch_delay(s, 1), seconds(1));
  EXPECT_EQ(launch_delay(s, 2), seconds(2));
  EXPECT_EQ(launch_delay(s, 3), seconds(4));
  EXPECT_EQ(launch_delay(s, 4), seconds(8));
  EXPECT_EQ(launch_delay(s, 5), seconds(10));
  EXPECT_EQ(launch_delay(s, 1000000), seconds(10));
}

TEST(LaunchBackoff, FractionalFactorAndSeconds) {
  auto s = strategy(1, 1.15, 300);
  EXPECT_EQ(launch_delay(s, 2), milliseconds(1150));
  EXPECT_NEAR(std::chrono::duration<double>(launch_delay(s, 3)).count(), 1.3225, 1e-9);
  EXPECT_EQ(launch_delay(strategy(0.5, 1.0, 300), 7), milliseconds(500));
  // backoffSeconds above the cap: the cap wins from the first failure.
  EXPECT_EQ(launch_delay(strategy(600, 2, 300), 1), seconds(300));
  // No backoff at all.
  EXPECT_EQ(launch_delay(strategy(0, 2, 300), 3), seconds(0));
}

TEST(LaunchBackoff, DeadlineCountsFromEachFailure) {
  Instant t0{};
  LaunchBackoff backoff(strategy(1, 2, 10));
  EXPECT_FALSE(backoff.delayed(t0));
  EXPECT_TRUE(backoff.overdue(t0));
  EXPECT_EQ(backoff.time_left_seconds(t0), 0);

  EXPECT_EQ(backoff.record_failure(t0), t0 + seconds(1));
  EXPECT_TRUE(backoff.delayed(t0 + milliseconds(999)));
  EXPECT_FALSE(backoff.delayed(t0 + seconds(1)));

  Instant t1 = t0 + seconds(5);
  EXPECT_EQ(backoff.record_failure(t1), t1 + seconds(2));
  EXPECT_EQ(backoff.failures(), 2);
  EXPECT_EQ(backoff.current_delay(), seconds(2));
  EXPECT_EQ(backoff.time_left(t1 + milliseconds(500)), milliseconds(1500));
  EXPECT_EQ(backoff.time_left_seconds(t1 + milliseconds(500)), 2);  // rounded up
  EXPECT_FALSE(backoff.overdue(t1 + milliseconds(500)));

  for (int i = 0; i < 5; ++i) backoff.record_failure(t1 + seconds(i));
  EXPECT_EQ(backoff.current_delay(), seconds(10));
}

TEST(LaunchBackoff, ResetClearsTheDelay) {
  Instant t0{};
  LaunchBackoff backoff(strategy(1, 2, 10));
  backoff.record_failure(t0);
  backoff.record_failure(t0);
  backoff.reset();
  EXPECT_FALSE(backoff.delayed(t0));
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_EQ(backoff.record_failure(t0), t0 + seconds(1));
}

TEST(LaunchBackoff, QuietForMaxLaunchDelayStartsOver) {
  Instant t0{};
  LaunchBackoff backoff(strategy(1, 2, 10));
  backoff.record_failure(t0);
  backoff.record_failure(t0 + seconds(1));  // 2 s
  EXPECT_FALSE(backoff.expire(t0 + seconds(11)));
  // Failing again within maxLaunchDelay of the last failure keeps growing.
  EXPECT_EQ(backoff.record_failure(t0 + seconds(11)), t0 + seconds(11) + seconds(4));
  // More than maxLaunchDelay later, the next failure starts at backoffSeconds again.
  Instant later = t0 + seconds(11) + seconds(10) + milliseconds(1);
  EXPECT_EQ(backoff.record_failure(later), later + seconds(1));
  EXPECT_EQ(backoff.failures(), 1);
  EXPECT_TRUE(backoff.expire(later + seconds(11)));
  EXPECT_EQ(backoff.failures(), 0);
}

TEST(LaunchBackoff, OnlyConfigChangesReset) {
  marathon::AppDefinition before;
  before.id = "/app";
  before.cmd = "sleep 100";
  marathon::AppDefinition scaled = before;
  scaled.instances = 5;
  scaled.version += seconds(10);
  scaled.version_info.last_scaling_at = scaled.version;
  EXPECT_FALSE(update_resets_backoff(before, scaled));

  marathon::AppDefinition changed = before;
  changed.cmd = "sleep 200";
  EXPECT_TRUE(update_resets_backoff(before, changed));

  marathon::AppDefinition restarted = before;
  restarted.version_info.last_config_change_at += seconds(10);
  EXPECT_TRUE(update_resets_backoff(before, restarted));

  marathon::AppDefinition slower = before;
  slower.backoff_seconds = 5;
  EXPECT_TRUE(update_resets_backoff(before, slower));
}

}  // namespace
}  // namespace berth::scheduler
