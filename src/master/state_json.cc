// Rendering the master's registry and tasks in Mesos' JSON shapes.
#include "master/state_json.h"

#include <nlohmann/json.hpp>

#include "api/resources_json.h"
#include "common/time_format.h"
#include "master/master_core.h"

namespace berth {
namespace {

using nlohmann::json;

constexpr char kFrameworkId[] = "berth";

json slave_json(const AgentRecord& agent) {
  Resources unreserved = agent.total;
  json zero = resources_to_json(Resources());
  return json{{"id", agent.id},
              {"pid", "slave(1)@" + agent.address()},
              {"hostname", agent.hostname},
              {"port", agent.port},
              {"resources", resources_to_json(agent.total)},
              {"used_resources", resources_to_json(agent.used)},
              {"offered_resources", zero},
              {"reserved_resources", json::object()},
              {"unreserved_resources", resources_to_json(unreserved)},
              {"attributes", attributes_to_json(agent.attributes)},
              {"active", agent.status == AgentRecord::Status::kActive},
              {"status", to_string(agent.status)},
              {"registered_time", to_epoch_seconds(agent.registered_time)},
              {"version", agent.version},
              {"capabilities", json::array()}};
}

// Marathon's healthCheckResults, one per check, with ISO timestamps or null.
json health_results_json(const TaskRecord& task) {
  auto stamp = [](const std::optional<std::int64_t>& ms) {
    return ms ? json(format_timestamp(from_epoch_millis(*ms))) : json();
  };
  json results = json::array();
  for (const auto& result : task.health_results) {
    results.push_back({{"alive", result.alive},
                       {"consecutive_failures", result.consecutive_failures},
                       {"first_success", stamp(result.first_success_ms)},
                       {"last_success", stamp(result.last_success_ms)},
                       {"last_failure", stamp(result.last_failure_ms)},
                       {"last_failure_cause", result.last_failure_cause}});
  }
  return results;
}

json mesos_task_json(const TaskRecord& task) {
  json statuses = json::array();
  statuses.push_back({{"state", to_string(task.state)},
                      {"timestamp", to_epoch_seconds(task.updated_at)},
                      {"message", task.message},
                      {"reason", task.reason}});
  // Mesos sets `healthy` on a status once the task's health check has a result.
  if (task.healthy) statuses.back()["healthy"] = *task.healthy;
  json doc{{"id", task.id()},
           {"name", task.spec.name},
           {"framework_id", kFrameworkId},
           {"executor_id", ""},
           {"slave_id", task.agent_id},
           {"agent_hostname", task.hostname},
           {"state", to_string(task.state)},
           {"resources", resources_to_json(task.spec.resources)},
           {"ports", task.ports},
           {"command", task.spec.command},
           {"kill_requested", task.kill_requested},
           {"staged_at", format_timestamp(task.staged_at)},
           {"started_at", task.started_at ? json(format_timestamp(*task.started_at)) : json()},
           {"statuses", statuses}};
  // Berth's additions: the per-check results and readiness, when the task has checks.
  if (task.healthy) doc["healthy"] = *task.healthy;
  if (!task.health_results.empty()) doc["health_check_results"] = health_results_json(task);
  if (task.ready) doc["ready"] = *task.ready;
  return doc;
}

json slaves_array(const MasterCore& core) {
  json slaves = json::array();
  for (const auto& [id, agent] : core.agents().all()) slaves.push_back(slave_json(agent));
  return slaves;
}

}  // namespace

std::string master_state_json(const MasterCore& core, const MasterIdentity& identity) {
  int active = 0;
  int unreachable = 0;
  for (const auto& [id, agent] : core.agents().all()) {
    if (agent.status == AgentRecord::Status::kActive) ++active;
    if (agent.status == AgentRecord::Status::kUnreachable) ++unreachable;
  }
  json tasks = json::array();
  json completed = json::array();
  for (const auto& [id, task] : core.tasks()) {
    (is_terminal(task.state) ? completed : tasks).push_back(mesos_task_json(task));
  }
  json framework{{"id", kFrameworkId},
                 {"name", "berth"},
                 {"active", true},
                 {"tasks", tasks},
                 {"completed_tasks", completed}};
  const std::string pid = "master@" + identity.hostname + ":" + std::to_string(identity.port);
  return json{{"version", identity.version},
              {"hostname", identity.hostname},
              {"pid", pid},
              {"leader", pid},  // one master: always itself
              {"flags", identity.flags},
              {"start_time", to_epoch_seconds(core.start_time())},
              {"activated_slaves", active},
              {"deactivated_slaves", static_cast<int>(core.agents().size()) - active},
              {"unreachable_slaves", unreachable},
              {"slaves", slaves_array(core)},
              {"frameworks", json::array({framework})}}
      .dump();
}

std::string master_slaves_json(const MasterCore& core) {
  return json{{"slaves", slaves_array(core)}, {"recovered_slaves", json::array()}}.dump();
}

std::string master_tasks_json(const MasterCore& core) {
  json tasks = json::array();
  for (const auto& [id, task] : core.tasks()) tasks.push_back(mesos_task_json(task));
  return json{{"tasks", tasks}}.dump();
}

std::string task_json(const MasterCore& core, const std::string& task_id) {
  const TaskRecord* task = core.find_task(task_id);
  return task == nullptr ? "" : mesos_task_json(*task).dump();
}

}  // namespace berth
