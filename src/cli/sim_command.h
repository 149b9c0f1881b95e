// `berth sim run|sweep|bench`: the deterministic cluster simulator (src/sim, docs/simulator.md)
// and the scale benchmarks that run on the same core. Output for people on stdout; with --json
// the last line is one JSON object for scripts.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

namespace CLI {
class App;
}

namespace berth {

struct SimCommand {
  enum class Verb { kRun, kSweep, kBench };
  Verb verb = Verb::kRun;
  std::uint64_t seed = 1;     // run; sweep: the first seed
  std::uint64_t seeds = 100;  // sweep
  int nodes = 5;
  double chaos_seconds = 240;  // faults and workload
  double quiet_seconds = 180;  // faults stopped: the convergence bound
  bool no_faults = false;
  std::string sqlite;  // the master's store as a SQLite file instead of memory
  bool trace = false;  // every trace line to stderr
  bool json = false;
  std::string benchmark;  // bench: placement, scaling, memory, recovery
  std::uint64_t agents = 10000;
  std::uint64_t tasks = 100000;
};

// Declares the subcommand and its flags on `app`; `command` receives them and its verb.
CLI::App* add_sim_command(CLI::App& app, SimCommand& command);
// 0: every invariant held (or the benchmark ran); 1: a violation (or a failed benchmark).
int run_sim_command(const SimCommand& command, std::ostream& out, std::ostream& err);

}  // namespace berth
