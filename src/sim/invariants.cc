// The invariants' checks. Each reads the master's view and the machines' and says what is wrong.
#include "sim/invariants.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "master/master_stack.h"
#include "sim/sim_node.h"

namespace berth::sim {
namespace {

constexpr double kEpsilon = 1e-6;

// "/sim/node-1/volume_mounts/pg3/tasks/t" -> "pg3"; empty when it is not a volume mount.
std::string volume_of_mount(const std::string& source, const std::string& node) {
  const std::string root = "/sim/" + node + "/volume_mounts/";
  if (source.rfind(root, 0) != 0) return {};
  const auto end = source.find('/', root.size());
  return source.substr(root.size(),
                       end == std::string::npos ? std::string::npos : end - root.size());
}

// "/sim/node-1/volume_mounts/pg3/tasks/t" -> "t"; empty when it is no task's mount.
std::string task_of_mount(const std::string& target) {
  const std::string marker = "/tasks/";
  const auto at = target.rfind(marker);
  return at == std::string::npos ? std::string() : target.substr(at + marker.size());
}

// Whether `task_id` may still write on `node`: its container runs, or its agent is starting
// it. A bind mount left behind by a task that has ended (its unmount failed, or waits for the
// next agent) gives no one a way to write.
bool task_alive(const SimNode& node, const std::string& task_id) {
  const auto running = node.containers().running();
  if (std::find(running.begin(), running.end(), task_id) != running.end()) return true;
  const AgentCore* agent = node.agent();
  if (agent == nullptr) return false;
  auto task = agent->tasks().find(task_id);
  return task != agent->tasks().end() && !is_terminal(task->second.state);
}

std::string staging_of(const std::string& node, const std::string& volume) {
  return "/sim/" + node + "/volume_mounts/" + volume + "/staging";
}

// Volumes the running containers of `node` use: volume -> task ids.
std::map<std::string, std::vector<std::string>> used_volumes(const SimNode& node) {
  std::map<std::string, std::vector<std::string>> used;
  for (const auto& task_id : node.containers().running()) {
    auto spec = node.containers().launched.find(task_id);
    if (spec == node.containers().launched.end()) continue;
    for (const auto& mount : spec->second.mounts) {
      std::string volume = volume_of_mount(mount.source, node.name());
      if (!volume.empty()) used[volume].push_back(task_id);
    }
  }
  return used;
}

}  // namespace

std::string check_resources(MasterStack& master) {
  std::map<std::string, Resources> sums;
  for (const auto& [id, task] : master.core().tasks()) {
    if (!is_terminal(task.state)) sums[task.agent_id] += task.spec.resources;
  }
  if (!master.core().agents().rankings_consistent()) {
    return "the agents' placement rankings disagree with their records";
  }
  for (const auto& [id, agent] : master.core().agents().all()) {
    for (const auto& [name, used] : agent.used.scalars()) {
      if (used < -kEpsilon) {
        return "agent " + id + " uses a negative amount of " + name + ": " + std::to_string(used);
      }
      if (used > agent.total.scalar(name) + kEpsilon) {
        return "agent " + id + " is over-committed on " + name + ": " + agent.used.to_string() +
               " of " + agent.total.to_string();
      }
    }
    if (!agent.total.ports().contains(agent.used.ports())) {
      return "agent " + id + " uses ports it does not have: " + agent.used.ports().to_string();
    }
    const Resources& expected = sums[id];
    for (const auto& [name, used] : agent.used.scalars()) {
      if (std::abs(used - expected.scalar(name)) > kEpsilon) {
        return "agent " + id + " accounts " + agent.used.to_string() + " but its live tasks hold " +
               expected.to_string();
      }
    }
  }
  return {};
}

std::string check_volumes(const std::vector<std::unique_ptr<SimNode>>& nodes,
                          const std::map<std::string, std::uint64_t>& pool) {
  std::map<std::string, std::set<std::string>> writers;  // volume -> nodes with running users
  std::map<std::string, std::set<std::string>> leased;   // volume -> nodes, published + lease
  for (const auto& node : nodes) {
    if (!node->powered()) continue;
    for (const auto& [volume, tasks] : used_volumes(*node)) {
      auto newest = pool.find(volume);
      if (newest == pool.end()) continue;  // a local volume
      writers[volume].insert(node->name());
      const auto& staged = node->external_driver().staged;
      auto here = staged.find(staging_of(node->name(), volume));
      if (here == staged.end()) {
        return "task " + tasks.front() + " on " + node->name() + " runs on volume " + volume +
               ", which is no longer staged there";
      }
      if (here->second.epoch < newest->second) {
        return "stale epoch: task " + tasks.front() + " on " + node->name() + " writes to " +
               volume + " at epoch " + std::to_string(here->second.epoch) +
               " while the storage has accepted epoch " + std::to_string(newest->second);
      }
      const AgentCore* agent = node->agent();
      if (agent != nullptr && agent->fenced()) {
        return "agent on " + node->name() + " has fenced, but task " + tasks.front() +
               " still runs on external volume " + volume;
      }
    }
    // The lease the node enforces is the last one published to its supervisors: a restarted
    // agent counts a lease from its own start, but has been granted nothing yet.
    if (!node->holds_lease()) continue;
    for (const auto& [target, published] : node->external_driver().published) {
      std::string volume = volume_of_mount(target, node->name());
      if (!pool.contains(volume) || !task_alive(*node, task_of_mount(target))) continue;
      leased[volume].insert(node->name());
    }
  }
  for (const auto& [volume, where] : writers) {
    if (where.size() > 1) {
      return "two writers: volume " + volume + " has running tasks on " + *where.begin() + " and " +
             *std::next(where.begin());
    }
  }
  for (const auto& [volume, where] : leased) {
    if (where.size() > 1) {
      return "volume " + volume + " is mounted on " + *where.begin() + " and " +
             *std::next(where.begin()) + ", both with live leases";
    }
  }
  return {};
}

AcknowledgedState acknowledged_state(MasterStack& master) {
  AcknowledgedState state;
  for (const auto& [id, task] : master.core().tasks()) {
    state.tasks[id] = std::string(to_string(task.state)) + " on " + task.agent_id;
  }
  for (const auto& volume : master.volumes().list()) {
    state.volumes[volume.name] = volume.attachment ? volume.attachment->agent_id + " epoch " +
                                                         std::to_string(volume.attachment->epoch)
                                                   : "detached";
  }
  for (const auto& [id, app] : master.scheduler().root().apps) {
    state.apps[id] = std::to_string(app.instances) + " instances, version " +
                     std::to_string(app.version.time_since_epoch().count());
  }
  return state;
}

std::string check_nothing_lost(const AcknowledgedState& before, MasterStack& after) {
  const AcknowledgedState now = acknowledged_state(after);
  auto compare = [](const char* what, const std::map<std::string, std::string>& old,
                    const std::map<std::string, std::string>& recovered) -> std::string {
    for (const auto& [key, value] : old) {
      auto it = recovered.find(key);
      if (it == recovered.end()) return std::string(what) + " " + key + " (" + value + ") is gone";
      if (it->second != value) {
        return std::string(what) + " " + key + " was " + value + ", recovered as " + it->second;
      }
    }
    return {};
  };
  for (auto problem :
       {compare("task", before.tasks, now.tasks), compare("volume", before.volumes, now.volumes),
        compare("app", before.apps, now.apps)}) {
    if (!problem.empty()) return problem;
  }
  return {};
}

std::string check_converged(MasterStack& master,
                            const std::vector<std::unique_ptr<SimNode>>& nodes) {
  auto& scheduler = master.scheduler();
  auto& core = master.core();
  if (!scheduler.deployments().empty()) {
    // Enough to see what it waits for without replaying: its step, and each app's tasks.
    const auto& [id, deployment] = *scheduler.deployments().begin();
    std::string detail = "deployment " + id + " has not ended: step " +
                         std::to_string(deployment.current_step + 1) + " of " +
                         std::to_string(deployment.plan.steps.size());
    for (const auto& app_id : deployment.plan.affected_apps) {
      detail += "; " + app_id;
      if (auto target = deployment.target.find(app_id); target != deployment.target.end()) {
        detail += " wants " + std::to_string(target->second.instances) + " of version " +
                  std::to_string(target->second.version.time_since_epoch().count());
      }
      for (const TaskRecord* task : core.live_tasks_of(app_id)) {
        detail += ", " + task->id() + " " + std::string(to_string(task->state)) + " v" +
                  task->spec.app_version + (task->kill_requested ? " (kill requested)" : "");
      }
      for (const auto& entry : scheduler.queue()) {
        if (entry.app_id == app_id)
          detail += ", queued " + std::to_string(entry.count) + ": " + entry.message;
      }
    }
    return detail;
  }
  for (const auto& [id, app] : scheduler.root().apps) {
    std::int64_t running = 0;
    for (const TaskRecord* task : core.live_tasks_of(id)) {
      if (task->state == TaskState::kRunning && !task->kill_requested) ++running;
    }
    if (running != app.instances) {
      return "app " + id + " runs " + std::to_string(running) + " of " +
             std::to_string(app.instances) + " instances";
    }
  }
  std::map<std::string, const SimNode*> by_host;
  for (const auto& node : nodes) by_host[node->name()] = node.get();
  std::set<std::pair<std::string, std::string>> live;  // (host, task)
  for (const auto& [id, task] : core.tasks()) {
    if (is_terminal(task.state)) continue;
    if (task.state != TaskState::kRunning) {
      return "task " + id + " is still " + std::string(to_string(task.state));
    }
    live.emplace(task.hostname, id);
    auto node = by_host.find(task.hostname);
    const auto running = node->second->containers().running();
    if (std::find(running.begin(), running.end(), id) == running.end()) {
      return "task " + id + " is RUNNING for the master but has no container on " + task.hostname;
    }
  }
  for (const auto& node : nodes) {
    for (const auto& id : node->containers().running()) {
      if (!live.contains({node->name(), id})) {
        return "orphan: container " + id + " runs on " + node->name() +
               " without a live task of the master";
      }
    }
  }
  return {};
}

}  // namespace berth::sim
