// Clock: where the deterministic core gets time and timers from. The core never reads the real
// clock: the live processes pass a clock driven by their event loop, tests and the simulator pass
// FakeClock and move time forward themselves (Mesos' Clock::pause()/advance()).
//
// Threading: a Clock belongs to one event loop; now(), schedule() and cancel() are called on that
// loop, and timer callbacks run on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace berth {

using Duration = std::chrono::nanoseconds;
// Monotonic time: for timeouts, leases and intervals. Never goes backwards.
using Instant = std::chrono::steady_clock::time_point;
// Calendar time: for timestamps shown to users ("2015-09-25T15:13:48.343Z").
using WallTime = std::chrono::system_clock::time_point;

using TimerId = std::uint64_t;

class Clock {
 public:
  virtual ~Clock() = default;

  virtual Instant now() const = 0;
  virtual WallTime wall() const = 0;

  // Runs `fn` once, `after` from now. Returns an id for cancel(). Callbacks never run inside
  // schedule() itself, even when `after` is zero.
  virtual TimerId schedule(Duration after, std::function<void()> fn) = 0;
  // Cancels a pending timer; cancelling a fired or unknown timer does nothing.
  virtual void cancel(TimerId id) = 0;
};

}  // namespace berth
