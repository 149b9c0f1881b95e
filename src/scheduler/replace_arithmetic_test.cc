// The upgradeStrategy arithmetic of marathon-api.md §10, its examples, and whole rolling
// upgrades played step by step.
#include "scheduler/replace_arithmetic.h"

#include <gtest/gtest.h>

namespace berth::scheduler {
namespace {

marathon::UpgradeStrategy strategy(double m, double o) { return {m, o}; }

TEST(ReplaceArithmetic, MinHealthyAndMaxCapacity) {
  EXPECT_EQ(min_healthy_count(3, 0.7), 3);      // ceil(2.1): the docs' example
  EXPECT_EQ(min_healthy_count(25, 0.28), 7);    // 7.000000000000001 in binary
  EXPECT_EQ(min_healthy_count(100, 0.56), 56);  // 56.00000000000001 in binary
  EXPECT_EQ(min_healthy_count(10, 0.3), 3);
  EXPECT_EQ(min_healthy_count(100, 0.29), 29);  // 28.999999999999996 in binary
  EXPECT_EQ(min_healthy_count(2, 0.5), 1);
  EXPECT_EQ(min_healthy_count(3, 0.5), 2);
  EXPECT_EQ(min_healthy_count(5, 0.0), 0);
  EXPECT_EQ(min_healthy_count(5, 1.0), 5);
  EXPECT_EQ(min_healthy_count(0, 1.0), 0);

  EXPECT_EQ(max_capacity_count(3, 1.0), 6);
  EXPECT_EQ(max_capacity_count(3, 0.0), 3);
  EXPECT_EQ(max_capacity_count(3, 0.5), 4);  // floor(4.5)
  EXPECT_EQ(max_capacity_count(10, 0.1), 11);
  EXPECT_EQ(max_capacity_count(100, 0.07), 107);
  EXPECT_EQ(max_capacity_count(100, 0.57), 157);  // 156.99999999999997 in binary
  EXPECT_EQ(max_capacity_count(25, 0.16), 29);    // 28.999999999999996 in binary
  EXPECT_EQ(max_capacity_count(10, 0.3), 13);
  EXPECT_EQ(max_capacity_count(0, 1.0), 0);
}

TEST(ReplaceArithmetic, DocsExampleThreeInstancesSeventyPercent) {
  // n=3, m=0.7, o=1 (default o): 3 must stay healthy, up to 6 may run.
  auto plan = plan_replacement(3, strategy(0.7, 1.0), false, 3);
  EXPECT_EQ(plan.min_healthy, 3);
  EXPECT_EQ(plan.max_capacity, 6);
  EXPECT_EQ(plan.kill_immediately, 0);
  EXPECT_FALSE(plan.deadlock_breaker);
  EXPECT_EQ(next_replace_step(plan, {3, 3, 0, 0, 0}), (ReplaceStep{0, 3, false}));
}

TEST(ReplaceArithmetic, DefaultStrategyStartsAllThenStopsOld) {
  auto plan = plan_replacement(3, strategy(1.0, 1.0), false, 3);
  EXPECT_EQ(plan.min_healthy, 3);
  EXPECT_EQ(plan.max_capacity, 6);
  EXPECT_EQ(plan.kill_immediately, 0);
  EXPECT_EQ(next_replace_step(plan, {3, 3, 0, 0, 0}), (ReplaceStep{0, 3, false}));
  // Launched, not ready: wait.
  EXPECT_EQ(next_replace_step(plan, {3, 3, 0, 3, 0}), (ReplaceStep{0, 0, false}));
  // Each ready new instance releases one old one.
  EXPECT_EQ(next_replace_step(plan, {3, 3, 0, 3, 1}), (ReplaceStep{1, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {2, 2, 1, 3, 3}), (ReplaceStep{2, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {0, 0, 2, 3, 3}), (ReplaceStep{0, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {0, 0, 0, 3, 3}), (ReplaceStep{0, 0, true}));
}

TEST(ReplaceArithmetic, ZeroZeroIsStopThenStart) {
  auto plan = plan_replacement(3, strategy(0.0, 0.0), false, 3);
  EXPECT_EQ(plan.min_healthy, 0);
  EXPECT_EQ(plan.max_capacity, 3);
  EXPECT_EQ(plan.kill_immediately, 3);
  EXPECT_FALSE(plan.deadlock_breaker);
  EXPECT_EQ(next_replace_step(plan, {3, 3, 0, 0, 0}), (ReplaceStep{3, 0, false}));
  // The old ones are dying: nothing new starts while they hold their resources.
  EXPECT_EQ(next_replace_step(plan, {0, 0, 3, 0, 0}), (ReplaceStep{0, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {0, 0, 1, 0, 0}), (ReplaceStep{0, 2, false}));
  EXPECT_EQ(next_replace_step(plan, {0, 0, 0, 2, 0}), (ReplaceStep{0, 1, false}));
  EXPECT_EQ(next_replace_step(plan, {0, 0, 0, 3, 3}), (ReplaceStep{0, 0, true}));
}

TEST(ReplaceArithmetic, ResidentHalfZeroWithTwoReplacesOneAtATime) {
  auto plan = plan_replacement(2, strategy(0.5, 0.0), true, 2);
  EXPECT_EQ(plan.min_healthy, 1);
  EXPECT_EQ(plan.max_capacity, 2);
  EXPECT_EQ(plan.kill_immediately, 1);
  EXPECT_FALSE(plan.deadlock_breaker);
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 0, 0}), (ReplaceStep{1, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {1, 1, 1, 0, 0}), (ReplaceStep{0, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {1, 1, 0, 0, 0}), (ReplaceStep{0, 1, false}));
  EXPECT_EQ(next_replace_step(plan, {1, 1, 0, 1, 0}), (ReplaceStep{0, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {1, 1, 0, 1, 1}), (ReplaceStep{1, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {0, 0, 0, 1, 1}), (ReplaceStep{0, 1, false}));
  EXPECT_EQ(next_replace_step(plan, {0, 0, 0, 2, 2}), (ReplaceStep{0, 0, true}));
}

TEST(ReplaceArithmetic, DeadlockBreakerNonResidentRunsOneOver) {
  auto plan = plan_replacement(3, strategy(1.0, 0.0), false, 3);
  EXPECT_EQ(plan.min_healthy, 3);
  EXPECT_EQ(plan.max_capacity, 4);
  EXPECT_TRUE(plan.deadlock_breaker);
  EXPECT_EQ(plan.kill_immediately, 0);
  EXPECT_EQ(next_replace_step(plan, {3, 3, 0, 0, 0}), (ReplaceStep{0, 1, false}));
  EXPECT_EQ(next_replace_step(plan, {3, 3, 0, 1, 1}), (ReplaceStep{1, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {2, 2, 1, 1, 1}), (ReplaceStep{0, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 1, 1}), (ReplaceStep{0, 1, false}));
}

TEST(ReplaceArithmetic, DeadlockBreakerResidentKillsOneMore) {
  auto plan = plan_replacement(3, strategy(1.0, 0.0), true, 3);
  EXPECT_EQ(plan.min_healthy, 3);
  EXPECT_EQ(plan.max_capacity, 3);
  EXPECT_TRUE(plan.deadlock_breaker);
  EXPECT_EQ(plan.healthy_floor, 2);
  EXPECT_EQ(plan.kill_immediately, 1);
  EXPECT_EQ(next_replace_step(plan, {3, 3, 0, 0, 0}), (ReplaceStep{1, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 0, 0}), (ReplaceStep{0, 1, false}));
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 1, 1}), (ReplaceStep{1, 0, false}));

  // A single resident instance with {1, 0}: stop, then start.
  auto single = plan_replacement(1, strategy(1.0, 0.0), true, 1);
  EXPECT_EQ(single.kill_immediately, 1);
  EXPECT_EQ(next_replace_step(single, {1, 1, 0, 0, 0}), (ReplaceStep{1, 0, false}));
}

TEST(ReplaceArithmetic, NoBreakerWhenCapacityIsNotFull) {
  // Only two of three old instances are healthy: there is room to start, no breaker needed.
  auto plan = plan_replacement(3, strategy(1.0, 0.0), false, 2);
  EXPECT_FALSE(plan.deadlock_breaker);
  EXPECT_EQ(plan.max_capacity, 3);
  EXPECT_EQ(plan.healthy_floor, 2);
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 0, 0}), (ReplaceStep{0, 1, false}));
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 1, 1}), (ReplaceStep{1, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {1, 1, 0, 1, 1}), (ReplaceStep{0, 1, false}));
}

TEST(ReplaceArithmetic, UnhealthyOldInstancesGoAtOnce) {
  auto plan = plan_replacement(3, strategy(1.0, 1.0), false, 1);
  EXPECT_EQ(plan.healthy_floor, 1);
  // Two of three old ones are unhealthy: kill those, keep the healthy one, start three.
  EXPECT_EQ(next_replace_step(plan, {3, 1, 0, 0, 0}), (ReplaceStep{2, 3, false}));
}

TEST(ReplaceArithmetic, FailedNewInstancesAreStartedAgain) {
  auto plan = plan_replacement(2, strategy(1.0, 1.0), false, 2);
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 2, 0}), (ReplaceStep{0, 0, false}));
  // One new instance died: one more is launched.
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 1, 0}), (ReplaceStep{0, 1, false}));
}

TEST(ReplaceArithmetic, NoOldInstancesJustStarts) {
  auto plan = plan_replacement(4, strategy(1.0, 0.0), false, 0);
  EXPECT_FALSE(plan.deadlock_breaker);
  EXPECT_EQ(next_replace_step(plan, {0, 0, 0, 0, 0}), (ReplaceStep{0, 4, false}));
}

TEST(ReplaceArithmetic, ZeroTargetKillsEverything) {
  auto plan = plan_replacement(0, strategy(1.0, 1.0), false, 2);
  EXPECT_EQ(next_replace_step(plan, {2, 2, 0, 0, 0}), (ReplaceStep{2, 0, false}));
  EXPECT_EQ(next_replace_step(plan, {0, 0, 0, 0, 0}), (ReplaceStep{0, 0, true}));
}

// Plays whole upgrades: kills take effect one event later, launches become ready one event
// later. Checks the invariants at every step and that each upgrade finishes.
struct Simulation {
  std::int64_t old_running, old_killing = 0, new_started = 0, new_ready = 0;
  std::int64_t min_alive_healthy = 1 << 30, max_alive = 0;
};

void play(std::int64_t n, double m, double o, bool resident, Simulation& sim) {
  auto plan = plan_replacement(n, strategy(m, o), resident, sim.old_running);
  for (int round = 0; round < 100; ++round) {
    ReplaceCounts counts{sim.old_running, sim.old_running, sim.old_killing, sim.new_started,
                         sim.new_ready};
    ReplaceStep step = next_replace_step(plan, counts);
    if (step.done) return;
    // Everything started last round becomes ready, everything dying dies.
    sim.old_killing = 0;
    sim.new_ready = sim.new_started;
    sim.old_running -= step.kill_old;
    sim.old_killing += step.kill_old;
    sim.new_started += step.start_new;
    sim.min_alive_healthy = std::min(sim.min_alive_healthy, sim.old_running + sim.new_ready);
    sim.max_alive = std::max(sim.max_alive, sim.old_running + sim.old_killing + sim.new_started);
  }
  ADD_FAILURE() << "upgrade n=" << n << " m=" << m << " o=" << o << " resident=" << resident
                << " did not finish";
}

TEST(ReplaceArithmetic, EveryStrategyFinishesWithinItsBounds) {
  for (std::int64_t n : {1, 2, 3, 5, 10}) {
    for (double m : {0.0, 0.3, 0.5, 0.7, 1.0}) {
      for (double o : {0.0, 0.1, 0.5, 1.0}) {
        for (bool resident : {false, true}) {
          Simulation sim{n};
          play(n, m, o, resident, sim);
          auto plan = plan_replacement(n, strategy(m, o), resident, n);
          EXPECT_GE(sim.min_alive_healthy, plan.healthy_floor)
              << "n=" << n << " m=" << m << " o=" << o << " resident=" << resident;
          EXPECT_LE(sim.max_alive, plan.max_capacity)
              << "n=" << n << " m=" << m << " o=" << o << " resident=" << resident;
          EXPECT_EQ(sim.new_started, n);
        }
      }
    }
  }
}

}  // namespace
}  // namespace berth::scheduler
