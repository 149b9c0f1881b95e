// Simulation: one seeded run of the whole cluster on virtual time. One master (SimMaster: the
// real MasterStack) and N nodes (SimNode: the real AgentCore and NodeVolumeManager) talk over
// SimNetwork; a Workload acts as the users; faults are drawn from the same seed. The invariants
// (invariants.h) are checked after every instant at which anything happened.
//
//   [0, chaos_time)                  workload + faults
//   [chaos_time, +quiet_time)        faults healed (partitions, nodes, master back), workload
//                                    stops; every app must converge within this bound
//   end                              convergence, deployments ended, no orphan containers
//
// Everything random comes from one Random seeded with `seed`, and nothing else (no real clock,
// threads or addresses) decides what happens, so one seed replays byte for byte.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/clock.h"

namespace berth::sim {

struct SimOptions {
  std::uint64_t seed = 1;
  int nodes = 5;
  Duration chaos_time = std::chrono::seconds(240);
  Duration quiet_time = std::chrono::seconds(180);
  bool faults = true;
  // Empty: the master's store is in memory. Else a SQLite file, created afresh.
  std::string sqlite_path;
  // Crash agents whose node runs a task on an external volume. Off by default: it trips a known
  // bug (docs/simulator.md, "Bugs found"): while the agent process is down nothing enforces its
  // volume lease, so such tasks outlive the master's fence.
  bool crash_agents_with_external_volumes = false;
  // Every trace line also goes to stderr.
  bool echo_trace = false;
};

struct SimReport {
  bool passed = true;
  std::uint64_t seed = 0;
  std::string invariant;  // the one that broke
  std::string detail;
  std::string trace_tail;
  std::uint64_t trace_hash = 0;
  std::uint64_t trace_lines = 0;
  std::uint64_t steps = 0;
  std::uint64_t faults = 0;
  std::uint64_t actions = 0;
  std::uint64_t tasks = 0;     // tasks the master launched
  double virtual_seconds = 0;  // simulated time covered

  // One line of JSON.
  std::string json() const;
};

SimReport run_simulation(const SimOptions& options);

}  // namespace berth::sim
