// The scale benchmarks: a cluster of registered agents that never answer (launch commands are
// dropped, as the benchmark times the master's decisions, not the agents'), apps deployed through
// the real scheduler, and wall-clock timing around the core's calls.
#include "sim/benchmarks.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/fake_clock.h"
#include "common/metrics.h"
#include "master/event_bus.h"
#include "master/master_stack.h"
#include "state/memory_state_store.h"
#include "state/sqlite_state_store.h"

namespace berth::sim {
namespace {

using marathon::AppDefinition;
using marathon::Constraint;
using Wall = std::chrono::steady_clock;

class DroppingChannel final : public AgentChannel {
 public:
  // Launches only: kills of launches that no agent confirms come later, and are not placements.
  void send(const std::string&, const std::string&, AgentCommand command) override {
    if (command.kind == AgentCommand::Kind::kLaunch) ++sent;
  }
  void close_session(const std::string&, const std::string&) override {}
  std::uint64_t sent = 0;
};

constexpr int kRacks = 100;

std::size_t heap_in_use() {
  struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

// A master on a fake clock with `agents` registered agents.
struct BenchCluster {
  explicit BenchCluster(std::uint64_t agents, StateStore* external_store = nullptr)
      : store(external_store != nullptr ? external_store : &memory) {
    stack = std::make_unique<MasterStack>(MasterStackConfig{}, clock, *store, channel, random, bus,
                                          metrics);
    auto recovered = stack->recover({});
    if (!recovered.ok()) std::abort();
    for (std::uint64_t i = 0; i < agents; ++i) add_agent(i);
  }

  void add_agent(std::uint64_t i) {
    RegisterAgent message;
    message.hostname = "host-" + std::to_string(i);
    message.port = 5051;
    message.resources = *Resources::parse("cpus:16;mem:65536;ports:[31000-31999]");
    message.attributes = *parse_attributes("rack:r" + std::to_string(i % kRacks));
    auto reply = stack->core().register_agent(message);
    if (!reply.ok()) std::abort();
    sessions.push_back({reply->agent_id, reply->session});
  }

  // Keeps every agent alive (a heartbeat each) and lets timers run for `d`. Returns the wall
  // time the timers took (the scheduler's reconciles, where placements happen): the heartbeats
  // are the agents' load on the master, which grows with the cluster whether or not anything is
  // placed, so they are not counted in a placement's cost.
  Wall::duration advance(Duration d) {
    for (const auto& ref : sessions) (void)stack->core().heartbeat(ref);
    const auto started = Wall::now();
    clock.advance(d);
    return Wall::now() - started;
  }

  FakeClock clock;
  MemoryStateStore memory;
  StateStore* store;
  DroppingChannel channel;
  Random random{1};
  EventBus bus{clock};
  MetricsRegistry metrics;
  std::unique_ptr<MasterStack> stack;
  std::vector<SessionRef> sessions;
};

AppDefinition bench_app(int index, std::int64_t instances, std::uint64_t agents) {
  AppDefinition app;
  app.id = "/bench/app-" + std::to_string(index);
  app.cmd = "sleep 100000";
  app.cpus = 0.01;
  app.mem = 8;
  app.instances = instances;
  switch (index % 4) {
    case 0:
      if (static_cast<std::uint64_t>(instances) <= agents) {
        app.constraints.push_back({"hostname", Constraint::Operator::kUnique, std::nullopt});
      }
      break;
    case 1:
      app.constraints.push_back(
          {"rack", Constraint::Operator::kCluster, "r" + std::to_string(index % kRacks)});
      break;
    case 2:
      app.constraints.push_back({"rack", Constraint::Operator::kGroupBy, std::nullopt});
      break;
    default:
      app.constraints.push_back(
          {"rack", Constraint::Operator::kMaxPer, std::to_string(instances / kRacks + 1)});
      break;
  }
  return app;
}

struct PlacementFigures {
  std::uint64_t placed = 0;
  double seconds = 0;
  double per_second() const { return seconds > 0 ? static_cast<double>(placed) / seconds : 0; }
  double micros_each() const {
    return placed > 0 ? seconds * 1e6 / static_cast<double>(placed) : 0;
  }
};

// Deploys apps totalling `tasks` instances and drives the scheduler until all are launched.
PlacementFigures place(BenchCluster& cluster, std::uint64_t tasks, std::uint64_t agents) {
  const std::int64_t per_app = 1000;
  scheduler::Root target = cluster.stack->scheduler().root();
  int apps = static_cast<int>((tasks + per_app - 1) / per_app);
  std::uint64_t left = tasks;
  for (int i = 0; i < apps; ++i) {
    auto instances = static_cast<std::int64_t>(std::min<std::uint64_t>(left, per_app));
    left -= static_cast<std::uint64_t>(instances);
    AppDefinition app = bench_app(i, instances, agents);
    target.apps.emplace(app.id, app);
  }
  const std::uint64_t before = cluster.channel.sent;
  const auto started = Wall::now();
  auto deployed = cluster.stack->scheduler().deploy(std::move(target), false);
  if (!deployed.ok()) std::abort();
  Wall::duration spent = Wall::now() - started;
  for (int round = 0; round < 10000 && cluster.channel.sent - before < tasks; ++round) {
    spent += cluster.advance(std::chrono::milliseconds(100));
  }
  PlacementFigures figures;
  figures.seconds = std::chrono::duration<double>(spent).count();
  figures.placed = cluster.channel.sent - before;
  return figures;
}

Status placement(const BenchOptions& options, std::ostream& out) {
  BenchCluster cluster(options.agents);
  PlacementFigures figures = place(cluster, options.tasks, options.agents);
  out << "placement: " << figures.placed << " tasks on " << options.agents << " agents in "
      << figures.seconds << " s: " << figures.per_second() << " placements/s ("
      << figures.micros_each() << " us each; target >= 20000/s)\n";
  if (options.json) {
    out << "{\"benchmark\":\"placement\",\"agents\":" << options.agents
        << ",\"tasks\":" << figures.placed << ",\"seconds\":" << figures.seconds
        << ",\"placements_per_second\":" << figures.per_second() << "}\n";
  }
  if (figures.placed < options.tasks) return internal_error("not every task was placed");
  return {};
}

Status scaling(const BenchOptions& options, std::ostream& out) {
  const std::uint64_t sizes[] = {1000, 10000, 50000};
  const std::uint64_t tasks = std::min<std::uint64_t>(options.tasks, 10000);
  double micros[3] = {};
  for (int i = 0; i < 3; ++i) {
    BenchCluster cluster(sizes[i]);
    PlacementFigures figures = place(cluster, tasks, sizes[i]);
    micros[i] = figures.micros_each();
    out << "scaling: " << sizes[i] << " agents: " << micros[i] << " us per placement ("
        << figures.placed << " tasks)\n";
  }
  const double growth = micros[1] > 0 ? micros[2] / micros[1] : 0;
  out << "scaling: 10k -> 50k agents: x" << growth << " per placement (target <= 1.5)\n";
  if (options.json) {
    out << "{\"benchmark\":\"scaling\",\"tasks\":" << tasks << ",\"us_1k\":" << micros[0]
        << ",\"us_10k\":" << micros[1] << ",\"us_50k\":" << micros[2]
        << ",\"growth_10k_50k\":" << growth << "}\n";
  }
  return {};
}

Status memory(const BenchOptions& options, std::ostream& out) {
  const std::size_t start = heap_in_use();
  BenchCluster cluster(options.agents);
  const std::size_t with_agents = heap_in_use();
  PlacementFigures figures = place(cluster, options.tasks, options.agents);
  const std::size_t with_tasks = heap_in_use();
  // The store is the master's too, but in a real master it is SQLite's (on disk, with its own
  // page cache); the memory store's copy of every record is taken out of the per-task figure.
  std::size_t stored = 0;
  for (const char* prefix : {"tasks/", "apps/", "deployments/", "root/"}) {
    auto entries = cluster.memory.list(prefix);
    if (entries.ok()) {
      for (const auto& entry : *entries)
        stored += entry.key.size() + entry.stored.value.size() + 64;
    }
  }
  const double per_agent =
      static_cast<double>(with_agents - start) / static_cast<double>(options.agents);
  const double per_task =
      (static_cast<double>(with_tasks - with_agents) - static_cast<double>(stored)) /
      static_cast<double>(std::max<std::uint64_t>(figures.placed, 1));
  out << "memory: " << per_agent << " bytes per agent (" << options.agents << " agents, store "
      << "included), " << per_task << " bytes per task (" << figures.placed
      << " tasks, memory store's copies excluded; target <= 2048)\n";
  if (options.json) {
    out << "{\"benchmark\":\"memory\",\"agents\":" << options.agents
        << ",\"tasks\":" << figures.placed << ",\"bytes_per_agent\":" << per_agent
        << ",\"bytes_per_task\":" << per_task << "}\n";
  }
  return {};
}

Status recovery(const BenchOptions& options, std::ostream& out) {
  const std::string dir = std::filesystem::temp_directory_path() / "berth-recovery-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/state.db";
  const std::uint64_t agents = std::max<std::uint64_t>(options.tasks / 50, 1);
  {
    auto store = SqliteStateStore::open(path);
    if (!store.ok()) return store.error();
    BenchCluster cluster(agents, store->get());
    PlacementFigures figures = place(cluster, options.tasks, agents);
    if (figures.placed < options.tasks) return internal_error("not every task was placed");
  }
  auto store = SqliteStateStore::open(path);
  if (!store.ok()) return store.error();
  FakeClock clock;
  DroppingChannel channel;
  Random random(2);
  EventBus bus(clock);
  MetricsRegistry metrics;
  const auto started = Wall::now();
  MasterStack stack(MasterStackConfig{}, clock, **store, channel, random, bus, metrics);
  auto recovered = stack.recover({});
  const double seconds = std::chrono::duration<double>(Wall::now() - started).count();
  if (!recovered.ok()) return recovered.error();
  const std::size_t tasks = stack.core().tasks().size();
  out << "recovery: " << tasks << " tasks on " << agents << " agents from SQLite in " << seconds
      << " s (target <= 2 s)\n";
  if (options.json) {
    out << "{\"benchmark\":\"recovery\",\"tasks\":" << tasks << ",\"agents\":" << agents
        << ",\"seconds\":" << seconds << "}\n";
  }
  std::filesystem::remove_all(dir);
  return {};
}

}  // namespace

Status run_benchmark(const std::string& name, const BenchOptions& options, std::ostream& out) {
  spdlog::set_level(spdlog::level::warn);
  if (name == "placement") return placement(options, out);
  if (name == "scaling") return scaling(options, out);
  if (name == "memory") return memory(options, out);
  if (name == "recovery") return recovery(options, out);
  return invalid_argument("unknown benchmark " + name);
}

}  // namespace berth::sim
