// `berth sim`: flags, the run and sweep reports, and the benchmarks' dispatch.
#include "cli/sim_command.h"

#include <CLI/CLI.hpp>
#include <chrono>

#include "sim/benchmarks.h"
#include "sim/simulation.h"

namespace berth {
namespace {

sim::SimOptions options_for(const SimCommand& command, std::uint64_t seed) {
  sim::SimOptions options;
  options.seed = seed;
  options.nodes = command.nodes;
  options.chaos_time =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(command.chaos_seconds));
  options.quiet_time =
      std::chrono::duration_cast<Duration>(std::chrono::duration<double>(command.quiet_seconds));
  options.faults = !command.no_faults;
  options.sqlite_path = command.sqlite;
  options.echo_trace = command.trace;
  return options;
}

void print_failure(const sim::SimReport& report, std::ostream& out) {
  out << "seed " << report.seed << ": VIOLATION of " << report.invariant << ": " << report.detail
      << "\n--- trace tail ---\n"
      << report.trace_tail << "--- replay: berth sim run --seed " << report.seed
      << " --trace ---\n";
}

int run(const SimCommand& command, std::ostream& out) {
  const sim::SimReport report = sim::run_simulation(options_for(command, command.seed));
  if (report.passed) {
    out << "seed " << report.seed << ": every invariant held over " << report.virtual_seconds
        << " virtual seconds (" << report.steps << " steps, " << report.faults << " faults, "
        << report.actions << " user actions, " << report.tasks << " tasks); trace "
        << report.trace_lines << " lines\n";
  } else {
    print_failure(report, out);
  }
  if (command.json) out << report.json() << "\n";
  return report.passed ? 0 : 1;
}

int sweep(const SimCommand& command, std::ostream& out) {
  std::uint64_t failed = 0;
  const auto started = std::chrono::steady_clock::now();
  for (std::uint64_t seed = command.seed; seed < command.seed + command.seeds; ++seed) {
    const sim::SimReport report = sim::run_simulation(options_for(command, seed));
    if (report.passed) continue;
    ++failed;
    print_failure(report, out);
  }
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  out << command.seeds - failed << " of " << command.seeds << " seeds held every invariant ("
      << took << " s)\n";
  if (command.json) {
    out << "{\"seeds\":" << command.seeds << ",\"first_seed\":" << command.seed
        << ",\"failed\":" << failed << ",\"seconds\":" << took << "}\n";
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

CLI::App* add_sim_command(CLI::App& app, SimCommand& command) {
  CLI::App* sim = app.add_subcommand(
      "sim", "the deterministic cluster simulator and the scale benchmarks (docs/simulator.md)");
  sim->require_subcommand(1);
  auto common = [&command](CLI::App* verb) {
    verb->add_option("--nodes", command.nodes, "simulated nodes")
        ->check(CLI::Range(1, 1000))
        ->capture_default_str();
    verb->add_option("--chaos_seconds,--chaos-seconds", command.chaos_seconds,
                     "virtual seconds of workload and faults")
        ->capture_default_str();
    verb->add_option("--quiet_seconds,--quiet-seconds", command.quiet_seconds,
                     "virtual seconds after the faults stop, within which every app must "
                     "converge")
        ->capture_default_str();
    verb->add_flag("--no_faults,--no-faults", command.no_faults, "the workload alone");
    verb->add_option("--sqlite", command.sqlite,
                     "keep the master's state in this SQLite file (recreated) instead of memory");
    verb->add_flag("--json", command.json, "a JSON object on the last line");
  };
  CLI::App* run_cmd = sim->add_subcommand("run", "one seed; replays byte for byte");
  run_cmd->add_option("--seed", command.seed, "the seed")->capture_default_str();
  run_cmd->add_flag("--trace", command.trace, "print every trace line to stderr");
  common(run_cmd);
  run_cmd->callback([&command] { command.verb = SimCommand::Verb::kRun; });
  CLI::App* sweep_cmd = sim->add_subcommand("sweep", "many seeds; prints each failure");
  sweep_cmd->add_option("--seeds", command.seeds, "how many seeds")->capture_default_str();
  sweep_cmd->add_option("--start", command.seed, "the first seed")->capture_default_str();
  common(sweep_cmd);
  sweep_cmd->callback([&command] { command.verb = SimCommand::Verb::kSweep; });
  CLI::App* bench_cmd = sim->add_subcommand(
      "bench", "scale benchmarks on the master's core: placement, scaling, memory, recovery");
  bench_cmd->add_option("benchmark", command.benchmark, "which one")
      ->required()
      ->check(CLI::IsMember({"placement", "scaling", "memory", "recovery"}));
  bench_cmd->add_option("--agents", command.agents, "agents (placement, memory)")
      ->capture_default_str();
  bench_cmd->add_option("--tasks", command.tasks, "tasks (placement, memory, recovery)")
      ->capture_default_str();
  bench_cmd->add_flag("--json", command.json, "a JSON object on the last line");
  bench_cmd->callback([&command] { command.verb = SimCommand::Verb::kBench; });
  return sim;
}

int run_sim_command(const SimCommand& command, std::ostream& out, std::ostream& err) {
  switch (command.verb) {
    case SimCommand::Verb::kRun:
      return run(command, out);
    case SimCommand::Verb::kSweep:
      return sweep(command, out);
    case SimCommand::Verb::kBench: {
      sim::BenchOptions options{command.agents, command.tasks, command.json};
      auto status = sim::run_benchmark(command.benchmark, options, out);
      if (!status.ok()) {
        err << "berth sim bench " << command.benchmark << ": " << status.error().message << "\n";
        return 1;
      }
      return 0;
    }
  }
  return 1;
}

}  // namespace berth
