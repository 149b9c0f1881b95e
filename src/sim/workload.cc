// Workload: the apps and the actions, and the capacity rule that keeps them satisfiable.
#include "sim/workload.h"

#include "marathon/app_json.h"
#include "master/master_core.h"
#include "scheduler/app_scheduler.h"
#include "sim/trace.h"

namespace berth::sim {
namespace {

using marathon::AppDefinition;
using marathon::Constraint;

// Declared demand stays under this share of the cluster's cpus, leaving room for rolling
// updates (which run old and new tasks side by side) and for one node to be away.
constexpr double kMaxDemandShare = 0.4;

}  // namespace

std::int64_t Workload::max_instances(const AppDefinition& app) const {
  if (app.container && !app.container->volumes.empty() && app.container->volumes.front().external) {
    return 1;  // one writer
  }
  std::int64_t most = 6;
  for (const auto& constraint : app.constraints) {
    if (constraint.field == "hostname" && constraint.op == Constraint::Operator::kUnique) {
      most = std::min<std::int64_t>(most, shape_.nodes - 1);
    }
    if (constraint.op == Constraint::Operator::kMaxPer) {
      most = std::min<std::int64_t>(most, shape_.racks * std::stoll(*constraint.value));
    }
    if (constraint.op == Constraint::Operator::kCluster) most = std::min<std::int64_t>(most, 3);
  }
  return most;
}

AppDefinition Workload::make_app(Kind kind) {
  AppDefinition app;
  const int n = next_app_++;
  app.cmd = "sleep 100000";
  app.cpus = 0.1 * static_cast<double>(1 + random_.below(4));
  app.mem = 32.0 * static_cast<double>(1 + random_.below(4));
  app.instances = 1 + static_cast<std::int64_t>(random_.below(3));
  app.max_launch_delay_seconds = 20;  // so that convergence has a bound after faults stop
  app.env["GENERATION"] = "1";
  switch (kind) {
    case Kind::kPlain:
      app.id = "/web/app-" + std::to_string(n);
      break;
    case Kind::kConstrained: {
      app.id = "/svc/app-" + std::to_string(n);
      switch (random_.below(4)) {
        case 0:
          app.constraints.push_back({"hostname", Constraint::Operator::kUnique, std::nullopt});
          break;
        case 1:
          app.constraints.push_back({"rack", Constraint::Operator::kMaxPer, "2"});
          break;
        case 2:
          app.constraints.push_back({"rack", Constraint::Operator::kGroupBy, std::nullopt});
          break;
        default:
          app.constraints.push_back(
              {"rack", Constraint::Operator::kCluster,
               "r" + std::to_string(1 + random_.below(static_cast<std::uint64_t>(shape_.racks)))});
          break;
      }
      break;
    }
    case Kind::kExternal: {
      app.id = "/db/pg-" + std::to_string(n);
      app.instances = 1;
      app.upgrade_strategy = {0.0, 0.0};
      marathon::Volume volume;
      volume.container_path = "pgdata";
      volume.external = marathon::ExternalVolume{.name = "pg" + std::to_string(n),
                                                 .provider = "dvdi",
                                                 .size = 1,
                                                 .options = {{"dvdi/driver", "rexray"}}};
      app.container = marathon::Container{.type = "MESOS", .volumes = {volume}};
      break;
    }
    case Kind::kResident: {
      app.id = "/kv/kv-" + std::to_string(n);
      app.upgrade_strategy = {0.5, 0.0};
      app.unreachable_strategy.disabled = true;
      marathon::Volume volume;
      volume.container_path = "data";
      volume.persistent = marathon::PersistentVolume{.size = 64};
      app.container = marathon::Container{.type = "MESOS", .volumes = {volume}};
      break;
    }
  }
  app.instances = std::min(app.instances, max_instances(app));
  return app;
}

double Workload::demand(const scheduler::AppScheduler& scheduler) const {
  double cpus = 0;
  for (const auto& [id, app] : scheduler.root().apps) {
    cpus += app.cpus * static_cast<double>(app.instances);
  }
  return cpus;
}

void Workload::deploy(scheduler::AppScheduler& scheduler, const AppDefinition& app,
                      const std::string& what) {
  auto valid = marathon::validate_app(app);
  if (!valid.ok()) {
    trace_.add("workload: invalid app " + app.id + ": " + valid.error().message);
    return;
  }
  scheduler::Root target = scheduler.root();
  target.apps.insert_or_assign(app.id, app);
  const bool force = random_.below(4) == 0;
  auto deployed = scheduler.deploy(std::move(target), force);
  trace_.add("workload: " + what + " " + app.id + (force ? " (force)" : "") + ": " +
             (deployed.ok() ? "deployment " + deployed->id() : deployed.error().message));
}

void Workload::step(scheduler::AppScheduler& scheduler, MasterCore& core) {
  const auto& apps = scheduler.root().apps;
  const double budget = kMaxDemandShare * shape_.cpus_per_node * static_cast<double>(shape_.nodes) -
                        demand(scheduler);
  const auto roll = random_.below(100);
  if (apps.size() < 3 || (roll < 20 && apps.size() < 10)) {
    AppDefinition app = make_app(static_cast<Kind>(random_.below(4)));
    if (app.cpus * static_cast<double>(app.instances) > budget) return;
    return deploy(scheduler, app, "deploy");
  }
  // Everything else acts on an app drawn from those declared.
  auto it = apps.begin();
  std::advance(it, static_cast<long>(random_.below(apps.size())));
  AppDefinition app = it->second;
  if (roll < 45) {
    const std::int64_t most = max_instances(app);
    std::int64_t instances =
        static_cast<std::int64_t>(random_.below(static_cast<std::uint64_t>(most) + 1));
    if (app.cpus * static_cast<double>(instances - app.instances) > budget) return;
    app.instances = instances;
    return deploy(scheduler, app, "scale to " + std::to_string(instances));
  }
  if (roll < 70) {
    app.env["GENERATION"] = std::to_string(std::stoll(app.env["GENERATION"]) + 1);
    return deploy(scheduler, app, "rolling update");
  }
  if (roll < 78) {
    auto restarted = scheduler.restart(app.id, random_.below(2) == 0);
    trace_.add("workload: restart " + app.id + ": " +
               (restarted.ok() ? "deployment " + restarted->id() : restarted.error().message));
    return;
  }
  if (roll < 92) {
    auto tasks = core.live_tasks_of(app.id);
    if (tasks.empty()) return;
    const std::string task_id = tasks[random_.below(tasks.size())]->id();
    const bool scale = random_.below(3) == 0;
    auto killed = scheduler.kill_tasks({task_id}, scale, false);
    trace_.add("workload: kill " + task_id + (scale ? " and scale" : "") + ": " +
               (killed.ok() ? "ok" : killed.error().message));
    return;
  }
  scheduler::Root target = scheduler.root();
  target.apps.erase(app.id);
  auto removed = scheduler.deploy(std::move(target), true);
  trace_.add("workload: remove " + app.id + ": " +
             (removed.ok() ? "deployment " + removed->id() : removed.error().message));
}

}  // namespace berth::sim
