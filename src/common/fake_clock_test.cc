// Tests that FakeClock fires timers in deadline order and only when time is advanced.
#include "common/fake_clock.h"

#include <gtest/gtest.h>

#include <vector>

namespace berth {
namespace {

using std::chrono::milliseconds;

TEST(FakeClockTest, FiresInDeadlineOrderAtTheirOwnTime) {
  FakeClock clock;
  std::vector<int> fired;
  std::vector<Instant> times;
  Instant start = clock.now();
  clock.schedule(milliseconds(30), [&] {
    fired.push_back(3);
    times.push_back(clock.now());
  });
  clock.schedule(milliseconds(10), [&] {
    fired.push_back(1);
    times.push_back(clock.now());
  });
  clock.schedule(milliseconds(10), [&] {
    fired.push_back(2);
    times.push_back(clock.now());
  });
  clock.advance(milliseconds(5));
  EXPECT_TRUE(fired.empty());
  clock.advance(milliseconds(100));
  EXPECT_EQ(fired, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(times[0] - start, milliseconds(10));
  EXPECT_EQ(times[2] - start, milliseconds(30));
  EXPECT_EQ(clock.now() - start, milliseconds(105));
}

TEST(FakeClockTest, CancelledTimersDoNotFire) {
  FakeClock clock;
  bool fired = false;
  TimerId id = clock.schedule(milliseconds(1), [&] { fired = true; });
  clock.cancel(id);
  clock.advance(milliseconds(10));
  EXPECT_FALSE(fired);
  EXPECT_EQ(clock.pending_timers(), 0u);
}

TEST(FakeClockTest, TimersScheduledByTimersFireInTheSameAdvance) {
  FakeClock clock;
  int count = 0;
  std::function<void()> tick = [&] {
    if (++count < 5) clock.schedule(milliseconds(10), tick);
  };
  clock.schedule(milliseconds(10), tick);
  clock.advance(milliseconds(45));
  EXPECT_EQ(count, 4);
  clock.advance(milliseconds(5));
  EXPECT_EQ(count, 5);
}

}  // namespace
}  // namespace berth
