// FakeClock: a Clock whose time moves only when a test or the simulator says so. Timers fire in
// deadline order (ties in scheduling order) during advance(), so runs are reproducible.
#pragma once

#include <map>
#include <utility>

#include "common/clock.h"

namespace berth {

class FakeClock final : public Clock {
 public:
  // Starts at an arbitrary but fixed point so that wall timestamps are stable in tests.
  FakeClock();

  Instant now() const override { return now_; }
  WallTime wall() const override { return wall_start_ + (now_ - start_); }
  TimerId schedule(Duration after, std::function<void()> fn) override;
  void cancel(TimerId id) override;

  // Moves time forward by `d`, firing every timer that falls due, each at its own deadline.
  void advance(Duration d);
  // Fires timers due now (those scheduled with a zero delay).
  void run_due() { advance(Duration::zero()); }
  // The deadline of the next pending timer, if any.
  bool next_deadline(Instant* out) const;
  std::size_t pending_timers() const { return timers_.size(); }

 private:
  Instant start_;
  Instant now_;
  WallTime wall_start_;
  TimerId next_id_ = 1;
  // (deadline, id) -> callback; the id breaks ties in scheduling order.
  std::map<std::pair<Instant, TimerId>, std::function<void()>> timers_;
  std::map<TimerId, Instant> deadlines_;
};

}  // namespace berth
