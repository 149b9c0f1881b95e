// FakeClock: virtual time for tests and the simulator.
#include "common/fake_clock.h"

namespace berth {

FakeClock::FakeClock()
    : start_(Instant(std::chrono::hours(1000))),
      now_(start_),
      // 2026-01-01T00:00:00Z
      wall_start_(WallTime(std::chrono::seconds(1767225600))) {}

TimerId FakeClock::schedule(Duration after, std::function<void()> fn) {
  if (after < Duration::zero()) after = Duration::zero();
  TimerId id = next_id_++;
  Instant deadline = now_ + after;
  timers_.emplace(std::make_pair(deadline, id), std::move(fn));
  deadlines_.emplace(id, deadline);
  return id;
}

void FakeClock::cancel(TimerId id) {
  auto it = deadlines_.find(id);
  if (it == deadlines_.end()) return;
  timers_.erase({it->second, id});
  deadlines_.erase(it);
}

void FakeClock::advance(Duration d) {
  const Instant target = now_ + d;
  while (!timers_.empty() && timers_.begin()->first.first <= target) {
    auto node = timers_.extract(timers_.begin());
    deadlines_.erase(node.key().second);
    if (node.key().first > now_) now_ = node.key().first;
    node.mapped()();
  }
  now_ = target;
}

bool FakeClock::next_deadline(Instant* out) const {
  if (timers_.empty()) return false;
  *out = timers_.begin()->first.first;
  return true;
}

}  // namespace berth
