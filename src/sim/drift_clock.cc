// DriftClock: scaled elapsed time; timers are converted to base time, rounded up so that a timer
// never fires before its deadline on the drifting clock.
#include "sim/drift_clock.h"

#include <cmath>

namespace berth::sim {

Instant DriftClock::now() const {
  const auto elapsed = static_cast<double>((base_.now() - origin_).count());
  return origin_ + Duration(static_cast<Duration::rep>(std::floor(elapsed * rate_)));
}

TimerId DriftClock::schedule(Duration after, std::function<void()> fn) {
  const auto base_after = std::ceil(static_cast<double>(after.count()) / rate_);
  return base_.schedule(Duration(static_cast<Duration::rep>(base_after)), std::move(fn));
}

}  // namespace berth::sim
