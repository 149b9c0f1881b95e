// Launch backoff: how long an app waits before its next launch after instances failed to start
// or crashed (Marathon's rate limiter; fields backoffSeconds, backoffFactor,
// maxLaunchDelaySeconds of marathon-api.md §4.1).
//
// After k consecutive failures the delay is min(backoff · factor^(k-1), maxLaunchDelay), counted
// from the time of the k-th failure: the first failure delays by backoffSeconds, each further
// one multiplies the last delay by the factor, up to the cap.
//
//   no delay --failure--> delayed (deadline = failure time + delay) --failure--> longer delay
//      ^                     |
//      +-- reset() ----------+   a config change, DELETE /v2/queue/{app}/delay
//      +-- quiet for maxLaunchDelay after the last failure (the next failure starts over)
//
// A pure value: the scheduler keeps one per app, passes the time in, and owns the timer.
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "marathon/app_definition.h"

namespace berth::scheduler {

struct BackoffStrategy {
  Duration backoff = std::chrono::seconds(1);
  double factor = 1.15;
  Duration max_launch_delay = std::chrono::seconds(300);

  static BackoffStrategy of(const marathon::AppDefinition& app);
  bool operator==(const BackoffStrategy&) const = default;
};

// The delay after `failures` consecutive failures; zero for none.
Duration launch_delay(const BackoffStrategy& strategy, std::int64_t failures);

class LaunchBackoff {
 public:
  explicit LaunchBackoff(BackoffStrategy strategy = {}) : strategy_(strategy) {}

  // A launch failed (or an instance of the app failed) at `now`. Returns the new deadline.
  Instant record_failure(Instant now);
  // Back to no delay: the app's config changed, or an operator asked for it.
  void reset();
  // Forgets the delay once nothing failed for maxLaunchDelay after the last failure, so that a
  // failure weeks later starts again at backoffSeconds. Returns whether it forgot.
  bool expire(Instant now);

  // Whether a launch must still wait at `now`.
  bool delayed(Instant now) const { return failures_ > 0 && now < deadline_; }
  Duration time_left(Instant now) const;
  // The queue's {"timeLeftSeconds", "overdue"}: whole seconds left (rounded up, so a delay still
  // running never shows 0), and whether the app may launch now.
  std::int64_t time_left_seconds(Instant now) const;
  bool overdue(Instant now) const { return !delayed(now); }

  std::int64_t failures() const { return failures_; }
  Duration current_delay() const { return delay_; }
  Instant deadline() const { return deadline_; }
  const BackoffStrategy& strategy() const { return strategy_; }

 private:
  BackoffStrategy strategy_;
  std::int64_t failures_ = 0;
  Duration delay_{0};
  Instant last_failure_{};
  Instant deadline_{};
};

// Whether replacing `before` by `after` resets the app's backoff: any change but a pure scale
// (marathon-api.md §4.4: the delay belongs to the app's last config change), including a
// restart, which sets a new lastConfigChangeAt. On true, replace the app's LaunchBackoff with
// LaunchBackoff(BackoffStrategy::of(after)): the backoff fields may have changed too.
bool update_resets_backoff(const marathon::AppDefinition& before,
                           const marathon::AppDefinition& after);

}  // namespace berth::scheduler
