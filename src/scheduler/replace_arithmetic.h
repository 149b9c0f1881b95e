// The arithmetic of a rolling upgrade (marathon-api.md §10): how many old instances may die and
// how many new ones may start, given the app's upgradeStrategy {minimumHealthCapacity m,
// maximumOverCapacity o} and n target instances.
//
//   minHealthy  = ceil(n·m)       healthy instances kept throughout (counting old and new)
//   maxCapacity = floor(n·(1+o))  instances alive at once, old and new, dying ones included
//
// plan_replacement() fixes these once, when the replacement starts; next_replace_step() is then
// called with fresh counts whenever an instance changes, and answers how many old instances to
// kill and how many new ones to launch now. It is stateless: calling it twice with the same
// counts asks for the same thing, so the caller must move killed instances from old_running to
// old_killing (and launched ones into new_started) before asking again.
//
// When minHealthy == maxCapacity (m = 1, o = 0, or rounding) and every slot is taken by a healthy
// old instance, nothing could ever start. Marathon breaks the tie: a non-resident app may run one
// instance over capacity; a resident app (local volumes: it may not exceed its reservations)
// kills one instance more than minHealthy allows instead.
#pragma once

#include <cstdint>

#include "marathon/app_definition.h"

namespace berth::scheduler {

// ceil(n·m) and floor(n·(1+o)), exact for the decimal fractions people write: 25·0.28 is
// 7.000000000000001 in binary and gives 7, not 8; 100·1.57 is 156.99999999999997 and gives 157.
std::int64_t min_healthy_count(std::int64_t target_instances, double minimum_health_capacity);
std::int64_t max_capacity_count(std::int64_t target_instances, double maximum_over_capacity);

struct ReplacePlan {
  std::int64_t target_instances = 0;  // n
  std::int64_t min_healthy = 0;       // ceil(n·m)
  std::int64_t max_capacity = 0;      // floor(n·(1+o)), +1 when the non-resident breaker applies
  // The healthy instances each step keeps: min_healthy, lowered to the healthy old instances
  // there were at the start (a deployment cannot create health it never had), and by one more
  // for the resident deadlock breaker.
  std::int64_t healthy_floor = 0;
  std::int64_t kill_immediately = 0;  // healthy old instances killed at the start
  bool deadlock_breaker = false;      // minHealthy == maxCapacity was resolved (see above)
};

// `old_healthy_at_start`: old instances running and healthy (and ready) when the replacement
// begins. `resident`: the app has local persistent volumes.
ReplacePlan plan_replacement(std::int64_t target_instances,
                             const marathon::UpgradeStrategy& strategy, bool resident,
                             std::int64_t old_healthy_at_start);

struct ReplaceCounts {
  std::int64_t old_running = 0;  // old instances alive and not yet told to die
  std::int64_t old_healthy = 0;  // of old_running: running and healthy
  std::int64_t old_killing = 0;  // old instances told to die, not yet terminal (hold capacity)
  std::int64_t new_started = 0;  // new instances launched and not terminal
  std::int64_t new_ready = 0;    // of new_started: running, healthy and ready
};

struct ReplaceStep {
  // Old instances to kill now: every unhealthy one, and healthy ones while the healthy total
  // stays at or above the plan's floor. The caller picks which (unhealthy first).
  std::int64_t kill_old = 0;
  std::int64_t start_new = 0;  // new instances to launch now
  // Every new instance is ready and no old one is left (dying included).
  bool done = false;

  bool operator==(const ReplaceStep&) const = default;
};

ReplaceStep next_replace_step(const ReplacePlan& plan, const ReplaceCounts& counts);

}  // namespace berth::scheduler
