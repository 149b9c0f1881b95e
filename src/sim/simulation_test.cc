// The simulator as CI runs it: one seed replays byte for byte and a fixed set of seeds holds every
// invariant. Fresh seeds (printed, so a failure replays with `berth sim run --seed N`) run only
// with BERTH_SIM_FRESH=1 while about 2% of random seeds still find the open bugs listed in
// docs/simulator.md: a change must not fail CI by the luck of the draw.
#include "sim/simulation.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

namespace berth::sim {
namespace {

using std::chrono::seconds;

SimOptions short_run(std::uint64_t seed) {
  SimOptions options;
  options.seed = seed;
  options.nodes = 4;
  options.chaos_time = seconds(120);
  options.quiet_time = seconds(150);
  // BERTH_SIM_TRACE=1: every trace line to stderr, to study a failure.
  options.echo_trace = std::getenv("BERTH_SIM_TRACE") != nullptr;
  return options;
}

void expect_passes(const SimOptions& options) {
  SimReport report = run_simulation(options);
  EXPECT_TRUE(report.passed) << "seed " << options.seed << " broke " << report.invariant << ": "
                             << report.detail << "\nreplay: berth sim run --seed " << options.seed
                             << "\n"
                             << report.trace_tail;
  EXPECT_GT(report.faults, 0u);
  EXPECT_GT(report.tasks, 0u);
}

TEST(Simulation, OneSeedReplaysByteForByte) {
  SimReport first = run_simulation(short_run(42));
  SimReport second = run_simulation(short_run(42));
  EXPECT_EQ(first.trace_hash, second.trace_hash);
  EXPECT_EQ(first.trace_lines, second.trace_lines);
  EXPECT_EQ(first.trace_tail, second.trace_tail);
  SimReport other = run_simulation(short_run(43));
  EXPECT_NE(first.trace_hash, other.trace_hash);
}

TEST(Simulation, FixedSeedsHoldEveryInvariant) {
  for (std::uint64_t seed : {1, 2, 3, 4, 5, 6}) expect_passes(short_run(seed));
}

TEST(Simulation, FreshSeedsHoldEveryInvariant) {
  if (std::getenv("BERTH_SIM_FRESH") == nullptr && std::getenv("BERTH_SIM_SEED") == nullptr) {
    GTEST_SKIP() << "fresh seeds run with BERTH_SIM_FRESH=1 (open bugs: docs/simulator.md)";
  }
  std::uint64_t base = std::random_device{}();
  if (const char* fixed = std::getenv("BERTH_SIM_SEED")) base = std::strtoull(fixed, nullptr, 10);
  for (std::uint64_t i = 0; i < 3; ++i) {
    const std::uint64_t seed = base + i;
    std::printf("fresh seed %llu\n", static_cast<unsigned long long>(seed));
    expect_passes(short_run(seed));
  }
}

// Regression seeds of bugs the simulator found and that are fixed (docs/simulator.md).
TEST(Simulation, RegressionSeeds) {
  // 348: an agent whose lease was renewed while its fence was running still said fenced() once
  // the fence finished, beside a task launched after the renewal (agent_core.cc).
  for (std::uint64_t seed : {348}) expect_passes(short_run(seed));
}

// Bug found by the simulator, not fixed (docs/simulator.md, "Bugs found"): an agent process that
// is down cannot fence, so a task on an external volume keeps writing after the master's lease
// and margin have passed and the volume is attached elsewhere. Seed 6 crashes the agent of
// /db/pg-1's node for 8.8 s at 14.5 s; the master fences at 20.0 s and node-3 stages epoch 8
// while the old task still runs at epoch 1. Enable once the lease is enforced outside the agent.
TEST(Simulation, DISABLED_AgentCrashLeavesExternalVolumeTaskUnfenced) {
  SimOptions options = short_run(6);
  options.crash_agents_with_external_volumes = true;
  expect_passes(options);
}

}  // namespace
}  // namespace berth::sim
