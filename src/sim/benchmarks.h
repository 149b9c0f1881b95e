// Scale benchmarks on the master's deterministic core (the same MasterStack the simulator and the
// live master run), on a FakeClock so that only the core's own work is timed:
//
//   placement  N agents, M tasks of apps with UNIQUE, CLUSTER, GROUP_BY and MAX_PER constraints,
//              deployed through the AppScheduler: placements per second of one core
//   scaling    the cost of one placement at 1,000, 10,000 and 50,000 agents, and the ratios
//   memory     the master's heap per agent and per task (mallinfo2, bytes in use)
//   recovery   a master whose SQLite store holds M tasks: time to recover the whole stack
//
// Each prints its figures for people and, with --json, one JSON object on its last line.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "common/result.h"

namespace berth::sim {

struct BenchOptions {
  std::uint64_t agents = 10000;
  std::uint64_t tasks = 100000;
  bool json = false;
};

Status run_benchmark(const std::string& name, const BenchOptions& options, std::ostream& out);

}  // namespace berth::sim
