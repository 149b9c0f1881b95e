// Simulation: builds the cluster for one seed, runs the workload and the faults on virtual time,
// checks the invariants after every step and reports the first violation with the trace's tail.
#include "sim/simulation.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>

#include "common/fake_clock.h"
#include "master/master_stack.h"
#include "sim/faults.h"
#include "sim/invariants.h"
#include "sim/sim_master.h"
#include "sim/sim_node.h"
#include "sim/trace.h"
#include "sim/workload.h"
#include "state/memory_state_store.h"
#include "state/sqlite_state_store.h"

namespace berth::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// The master's settings in the simulation: the live defaults, except that completed tasks are
// all kept, so that "nothing acknowledged is lost" can be checked for every task.
MasterStackConfig master_config() {
  MasterStackConfig config;
  config.core.max_completed_tasks = 1'000'000;
  config.volumes.attach_timeout = seconds(60);
  config.volumes.detach_timeout = seconds(30);
  return config;
}

class Violation : public std::exception {
 public:
  Violation(std::string which, std::string what)
      : invariant(std::move(which)), detail(std::move(what)) {}
  std::string invariant;
  std::string detail;
};

}  // namespace

std::string SimReport::json() const {
  auto quote = [](const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    return out + "\"";
  };
  char hash[32];
  std::snprintf(hash, sizeof(hash), "%016llx", static_cast<unsigned long long>(trace_hash));
  return "{\"seed\":" + std::to_string(seed) + ",\"passed\":" + (passed ? "true" : "false") +
         ",\"invariant\":" + quote(invariant) + ",\"detail\":" + quote(detail) +
         ",\"trace_hash\":\"" + hash + "\",\"trace_lines\":" + std::to_string(trace_lines) +
         ",\"steps\":" + std::to_string(steps) + ",\"faults\":" + std::to_string(faults) +
         ",\"actions\":" + std::to_string(actions) + ",\"tasks\":" + std::to_string(tasks) +
         ",\"virtual_seconds\":" + std::to_string(virtual_seconds) + "}";
}

class World {
 public:
  explicit World(const SimOptions& options)
      : options_(options), random_(options.seed), trace_(clock_), network_(clock_, random_) {
    if (options.echo_trace) trace_.echo_to(stderr);
    if (options.sqlite_path.empty()) {
      store_ = std::make_unique<MemoryStateStore>();
    } else {
      std::remove(options.sqlite_path.c_str());
      store_ = std::move(SqliteStateStore::open(options.sqlite_path)).value();
    }
    master_ = std::make_unique<SimMaster>(clock_, *store_, master_config(), trace_);
    ClusterShape shape{options.nodes, 2, 4};
    workload_ = std::make_unique<Workload>(random_, shape, trace_);
    for (int i = 1; i <= options.nodes; ++i) {
      NodeSpec spec;
      spec.hostname = "node-" + std::to_string(i);
      spec.attributes = "rack:r" + std::to_string(1 + (i - 1) % shape.racks);
      // Drift within the bound fencing assumes: the agent's lease of 5 s must end, on true
      // time, before the master's lease + margin of 6 s.
      if (options.faults) spec.clock_rate = 0.9 + 0.2 * random_.unit();
      nodes_.push_back(std::make_unique<SimNode>(spec, clock_, random_, network_, *master_,
                                                 volume_chaos_, pool_, trace_));
    }
    faults_ = std::make_unique<Faults>(
        clock_, random_, trace_, network_, volume_chaos_, nodes_, [this] { crash_master(); },
        [this] { start_master(); });
    faults_->set_crash_agents_with_external_volumes(options.crash_agents_with_external_volumes);
  }

  ~World() {
    nodes_.clear();
    master_.reset();
  }

  SimReport run() {
    SimReport report;
    report.seed = options_.seed;
    try {
      start_master();
      for (auto& node : nodes_) node->start_agent();
      const Instant begin = clock_.now();
      const Instant chaos_end = begin + options_.chaos_time;
      schedule_action(chaos_end);
      if (options_.faults) faults_->start(chaos_end);
      run_until(chaos_end, report);
      trace_.add("faults stop; every node, link and the master come back");
      faults_->heal_all();
      if (!master_->up()) start_master();
      run_until(chaos_end + options_.quiet_time, report);
      check("convergence", master_->up() ? check_converged(master_->stack(), nodes_)
                                         : "the master is down at the end");
      report.virtual_seconds = std::chrono::duration<double>(clock_.now() - begin).count();
    } catch (const Violation& violation) {
      report.passed = false;
      report.invariant = violation.invariant;
      report.detail = violation.detail;
      trace_.add("VIOLATION of " + violation.invariant + ": " + violation.detail);
    }
    report.trace_hash = trace_.hash();
    report.trace_lines = trace_.lines();
    report.trace_tail = trace_.tail(60);
    report.faults = faults_->count();
    report.actions = actions_;
    report.tasks = master_->up() ? master_->stack().core().tasks().size() : 0;
    return report;
  }

 private:
  void check(const char* invariant, const std::string& problem) {
    if (!problem.empty()) throw Violation(invariant, problem);
  }

  void run_until(Instant end, SimReport& report) {
    Instant next;
    while (clock_.next_deadline(&next) && next <= end) {
      clock_.advance(next - clock_.now());
      ++report.steps;
      check_step();
    }
    clock_.advance(end - clock_.now());
  }

  void check_step() {
    if (master_->up()) check("resources", check_resources(master_->stack()));
    check("volumes", check_volumes(nodes_, pool_));
  }

  void schedule_action(Instant until) {
    const Duration gap = milliseconds(2000 + random_.below(10000));
    if (clock_.now() + gap >= until) return;
    clock_.schedule(gap, [this, until] {
      if (master_->up()) {
        ++actions_;
        workload_->step(master_->stack().scheduler(), master_->stack().core());
        // A task of some app fails now and then, as programs do.
        if (random_.below(4) == 0) fail_a_task();
      }
      schedule_action(until);
    });
  }

  void fail_a_task() {
    SimNode& node = *nodes_[random_.below(nodes_.size())];
    const auto running = node.containers().running();
    if (running.empty()) return;
    const std::string task_id = running[random_.below(running.size())];
    trace_.add("workload: task " + task_id + " on " + node.name() + " exits with status 1");
    node.exit_task(task_id, 1);
  }

  void crash_master() {
    if (!master_->up()) return;
    acknowledged_ = acknowledged_state(master_->stack());
    master_->crash();
  }

  void start_master() {
    auto started = master_->start(random_.next());
    check("master recovery", started.ok() ? "" : started.error().message);
    if (acknowledged_) {
      check("acknowledged", check_nothing_lost(*acknowledged_, master_->stack()));
      acknowledged_.reset();
    }
  }

  SimOptions options_;
  FakeClock clock_;
  Random random_;
  Trace trace_;
  SimNetwork network_;
  VolumeChaos volume_chaos_;
  std::map<std::string, std::uint64_t> pool_;  // the shared storage's newest epoch per volume
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<SimMaster> master_;
  std::unique_ptr<Workload> workload_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::unique_ptr<Faults> faults_;
  std::optional<AcknowledgedState> acknowledged_;
  std::uint64_t actions_ = 0;
};

SimReport run_simulation(const SimOptions& options) {
  // The core logs every agent registration and fence; thousands of them would bury the report.
  const auto level = spdlog::get_level();
  if (!options.echo_trace) spdlog::set_level(spdlog::level::off);
  World world(options);
  SimReport report = world.run();
  spdlog::set_level(level);
  return report;
}

}  // namespace berth::sim
