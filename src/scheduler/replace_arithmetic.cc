// Rolling-upgrade arithmetic: capacities, the deadlock breaker and the step function.
#include "scheduler/replace_arithmetic.h"

#include <algorithm>
#include <cmath>

namespace berth::scheduler {
namespace {

// Snaps a product to the nearest integer when it is within rounding error of it, so that
// ceil/floor see 7 and 157 rather than 7.000000000000001 or 156.99999999999997.
double snap(double product) {
  double nearest = std::round(product);
  double tolerance = 1e-9 * std::max(1.0, std::fabs(product));
  return std::fabs(product - nearest) <= tolerance ? nearest : product;
}

}  // namespace

std::int64_t min_healthy_count(std::int64_t target_instances, double minimum_health_capacity) {
  if (target_instances <= 0) return 0;
  double m = std::clamp(minimum_health_capacity, 0.0, 1.0);
  return static_cast<std::int64_t>(std::ceil(snap(static_cast<double>(target_instances) * m)));
}

std::int64_t max_capacity_count(std::int64_t target_instances, double maximum_over_capacity) {
  if (target_instances <= 0) return 0;
  double o = std::clamp(maximum_over_capacity, 0.0, 1.0);
  return static_cast<std::int64_t>(
      std::floor(snap(static_cast<double>(target_instances) * (1.0 + o))));
}

ReplacePlan plan_replacement(std::int64_t target_instances,
                             const marathon::UpgradeStrategy& strategy, bool resident,
                             std::int64_t old_healthy_at_start) {
  ReplacePlan plan;
  plan.target_instances = std::max<std::int64_t>(0, target_instances);
  old_healthy_at_start = std::max<std::int64_t>(0, old_healthy_at_start);
  plan.min_healthy = min_healthy_count(plan.target_instances, strategy.minimum_health_capacity);
  plan.max_capacity = max_capacity_count(plan.target_instances, strategy.maximum_over_capacity);
  plan.healthy_floor = std::min(plan.min_healthy, old_healthy_at_start);

  if (plan.target_instances > 0 && plan.min_healthy == plan.max_capacity &&
      plan.max_capacity <= old_healthy_at_start) {
    plan.deadlock_breaker = true;
    if (resident) {
      plan.healthy_floor = plan.min_healthy - 1;
    } else {
      plan.max_capacity += 1;
    }
  }
  plan.kill_immediately = std::max<std::int64_t>(0, old_healthy_at_start - plan.healthy_floor);
  return plan;
}

ReplaceStep next_replace_step(const ReplacePlan& plan, const ReplaceCounts& counts) {
  const std::int64_t old_running = std::max<std::int64_t>(0, counts.old_running);
  const std::int64_t old_healthy = std::clamp<std::int64_t>(counts.old_healthy, 0, old_running);
  const std::int64_t old_killing = std::max<std::int64_t>(0, counts.old_killing);
  const std::int64_t new_started = std::max<std::int64_t>(0, counts.new_started);
  const std::int64_t new_ready = std::clamp<std::int64_t>(counts.new_ready, 0, new_started);

  ReplaceStep step;
  // Unhealthy old instances add nothing to availability; healthy ones go while enough remain.
  const std::int64_t spare_healthy =
      std::clamp<std::int64_t>(old_healthy + new_ready - plan.healthy_floor, 0, old_healthy);
  step.kill_old = (old_running - old_healthy) + spare_healthy;

  // Killing does not free capacity until the instance is gone: a dying instance may still hold
  // the ports, the memory or (resident apps) the reservation the new one needs.
  const std::int64_t alive = old_running + old_killing + new_started;
  const std::int64_t room = plan.max_capacity - alive;
  const std::int64_t missing = plan.target_instances - new_started;
  step.start_new = std::max<std::int64_t>(0, std::min(room, missing));

  step.done = old_running == 0 && old_killing == 0 && new_ready >= plan.target_instances;
  return step;
}

}  // namespace berth::scheduler
