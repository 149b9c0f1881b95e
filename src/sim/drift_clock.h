// DriftClock: one node's view of the simulation's clock, running at `rate` times true time
// (0.99: one percent slow). Fencing assumes clocks drift apart by less than the master's
// drift_margin over a lease; the simulator draws rates within that bound and checks that no
// volume ever has two writers anyway.
#pragma once

#include "common/clock.h"

namespace berth::sim {

class DriftClock final : public Clock {
 public:
  DriftClock(Clock& base, double rate) : base_(base), rate_(rate), origin_(base.now()) {}

  Instant now() const override;
  WallTime wall() const override { return base_.wall() + (now() - base_.now()); }
  // `after` on this clock is after / rate on the base clock.
  TimerId schedule(Duration after, std::function<void()> fn) override;
  void cancel(TimerId id) override { base_.cancel(id); }

  double rate() const { return rate_; }

 private:
  Clock& base_;
  double rate_;
  Instant origin_;
};

}  // namespace berth::sim
