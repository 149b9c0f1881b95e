// Launch backoff arithmetic.
#include "scheduler/launch_backoff.h"

#include <algorithm>
#include <cmath>

namespace berth::scheduler {
namespace {

Duration from_seconds(double seconds) {
  if (!(seconds > 0)) return Duration{0};
  // Past ~290 years a nanosecond count overflows; no delay needs to be that long.
  constexpr double kMaxSeconds = 9.0e9;
  return std::chrono::duration_cast<Duration>(
      std::chrono::duration<double>(std::min(seconds, kMaxSeconds)));
}

// One more failure: the last delay times the factor, at most the cap.
Duration grow(const BackoffStrategy& strategy, Duration delay) {
  double next = static_cast<double>(delay.count()) * std::max(1.0, strategy.factor);
  double cap = static_cast<double>(strategy.max_launch_delay.count());
  if (next >= cap) return strategy.max_launch_delay;
  return Duration{static_cast<Duration::rep>(next)};
}

Duration first_delay(const BackoffStrategy& strategy) {
  return std::min(strategy.backoff, strategy.max_launch_delay);
}

}  // namespace

BackoffStrategy BackoffStrategy::of(const marathon::AppDefinition& app) {
  return {from_seconds(app.backoff_seconds), app.backoff_factor,
          from_seconds(app.max_launch_delay_seconds)};
}

Duration launch_delay(const BackoffStrategy& strategy, std::int64_t failures) {
  if (failures <= 0) return Duration{0};
  Duration delay = first_delay(strategy);
  for (std::int64_t k = 1; k < failures && delay < strategy.max_launch_delay; ++k) {
    delay = grow(strategy, delay);
  }
  return delay;
}

Instant LaunchBackoff::record_failure(Instant now) {
  expire(now);
  delay_ = failures_ == 0 ? first_delay(strategy_) : grow(strategy_, delay_);
  ++failures_;
  last_failure_ = now;
  deadline_ = now + delay_;
  return deadline_;
}

void LaunchBackoff::reset() {
  failures_ = 0;
  delay_ = Duration{0};
  last_failure_ = Instant{};
  deadline_ = Instant{};
}

bool LaunchBackoff::expire(Instant now) {
  if (failures_ == 0 || now <= last_failure_ + strategy_.max_launch_delay) return false;
  reset();
  return true;
}

Duration LaunchBackoff::time_left(Instant now) const {
  if (!delayed(now)) return Duration{0};
  return deadline_ - now;
}

std::int64_t LaunchBackoff::time_left_seconds(Instant now) const {
  auto left = time_left(now);
  return std::chrono::ceil<std::chrono::seconds>(left).count();
}

bool update_resets_backoff(const marathon::AppDefinition& before,
                           const marathon::AppDefinition& after) {
  return !before.differs_only_in_instances(after) ||
         before.version_info.last_config_change_at != after.version_info.last_config_change_at;
}

}  // namespace berth::scheduler
