// Tests of EventLoop: the real clock's timers, posting from threads, signal and fd watches, and
// the worker pool. Each test drives the loop until its event happens, with a deadline.
#include "http/event_loop.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

namespace berth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(EventLoopTest, TimersFireInDeadlineOrderAndNeverInsideSchedule) {
  EventLoop loop;
  std::vector<int> fired;
  const Instant start = loop.clock().now();
  loop.clock().schedule(milliseconds(30), [&] { fired.push_back(3); });
  loop.clock().schedule(milliseconds(10), [&] { fired.push_back(1); });
  loop.clock().schedule(milliseconds(0), [&] { fired.push_back(0); });
  loop.clock().schedule(milliseconds(20), [&] { fired.push_back(2); });
  EXPECT_TRUE(fired.empty());  // not even the zero-delay timer ran inside schedule()

  ASSERT_TRUE(loop.run_until([&] { return fired.size() == 4; }, seconds(5)));
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_GE(loop.clock().now() - start, milliseconds(30));
}

TEST(EventLoopTest, CancelledTimerNeverFires) {
  EventLoop loop;
  bool cancelled_fired = false;
  bool later_fired = false;
  const TimerId id = loop.clock().schedule(milliseconds(5), [&] { cancelled_fired = true; });
  loop.clock().schedule(milliseconds(30), [&] { later_fired = true; });
  loop.clock().cancel(id);
  loop.clock().cancel(id);      // twice: does nothing
  loop.clock().cancel(123456);  // unknown: does nothing
  ASSERT_TRUE(loop.run_until([&] { return later_fired; }, seconds(5)));
  EXPECT_FALSE(cancelled_fired);
}

TEST(EventLoopTest, TimerCancelledAfterFallingDueDoesNotRun) {
  EventLoop loop;
  bool a_fired = false;
  bool b_fired = false;
  TimerId b = 0;
  // Both fall due together; whichever runs first cancels the other, which must then not run.
  const TimerId a = loop.clock().schedule(milliseconds(1), [&] {
    a_fired = true;
    loop.clock().cancel(b);
  });
  b = loop.clock().schedule(milliseconds(1), [&] {
    b_fired = true;
    loop.clock().cancel(a);
  });
  bool done = false;
  loop.clock().schedule(milliseconds(20), [&] { done = true; });
  ASSERT_TRUE(loop.run_until([&] { return done; }, seconds(5)));
  EXPECT_NE(a_fired, b_fired);
}

TEST(EventLoopTest, WallClockIsCalendarTime) {
  EventLoop loop;
  const auto diff = loop.clock().wall() - std::chrono::system_clock::now();
  EXPECT_LT(std::chrono::abs(diff), seconds(1));
}

TEST(EventLoopTest, PostFromAnotherThreadAndStop) {
  EventLoop loop;
  std::thread::id ran_on;
  std::thread poster([&] {
    loop.post([&] {
      ran_on = std::this_thread::get_id();
      loop.stop();
    });
  });
  loop.run();  // returns only through the posted stop()
  poster.join();
  EXPECT_EQ(ran_on, std::this_thread::get_id());

  // The loop can run again after stop().
  bool again = false;
  loop.post([&] { again = true; });
  EXPECT_TRUE(loop.run_until([&] { return again; }, seconds(5)));
}

TEST(EventLoopTest, WatchReadableFiresOnPipeAndLeavesTheFdOpen) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  bool readable = false;
  loop.watch_readable(fds[0], [&] { readable = true; });
  EXPECT_FALSE(loop.run_until([&] { return readable; }, milliseconds(20)));

  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  ASSERT_TRUE(loop.run_until([&] { return readable; }, seconds(5)));
  // The watch did not own the descriptor: it is still open and still holds the byte.
  EXPECT_NE(::fcntl(fds[0], F_GETFD), -1);
  char byte = 0;
  EXPECT_EQ(::read(fds[0], &byte, 1), 1);
  EXPECT_EQ(byte, 'x');
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(EventLoopTest, UnwatchStopsTheWatchWithoutClosingTheFd) {
  EventLoop loop;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  bool readable = false;
  const auto id = loop.watch_readable(fds[0], [&] { readable = true; });
  loop.unwatch(id);
  ASSERT_EQ(::write(fds[1], "x", 1), 1);
  EXPECT_FALSE(loop.run_until([&] { return readable; }, milliseconds(50)));
  EXPECT_NE(::fcntl(fds[0], F_GETFD), -1);

  // The same descriptor can be watched again afterwards.
  loop.watch_readable(fds[0], [&] { readable = true; });
  EXPECT_TRUE(loop.run_until([&] { return readable; }, seconds(5)));
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(EventLoopTest, RunBlockingRunsWorkOnAWorkerAndDoneOnTheLoop) {
  EventLoop loop;
  std::atomic<std::thread::id> worker_thread;
  std::thread::id done_thread;
  int results = 0;
  for (int i = 0; i < 4; ++i) {
    loop.run_blocking([&] { worker_thread = std::this_thread::get_id(); },
                      [&] {
                        done_thread = std::this_thread::get_id();
                        ++results;
                      });
  }
  ASSERT_TRUE(loop.run_until([&] { return results == 4; }, seconds(5)));
  EXPECT_NE(worker_thread.load(), std::this_thread::get_id());
  EXPECT_EQ(done_thread, std::this_thread::get_id());
}

TEST(EventLoopTest, OnSignalsDeliversEachSignalOnTheLoop) {
  EventLoop loop;
  std::vector<int> received;
  loop.on_signals({SIGUSR1, SIGUSR2}, [&](int signal) { received.push_back(signal); });
  ASSERT_EQ(::raise(SIGUSR1), 0);
  ASSERT_TRUE(loop.run_until([&] { return received.size() == 1; }, seconds(5)));
  ASSERT_EQ(::raise(SIGUSR2), 0);
  ASSERT_TRUE(loop.run_until([&] { return received.size() == 2; }, seconds(5)));
  EXPECT_EQ(received, (std::vector<int>{SIGUSR1, SIGUSR2}));
}

}  // namespace
}  // namespace berth
