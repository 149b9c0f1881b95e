// Task and AppInfo JSON.
#include "marathon_api/task_json.h"

#include <arpa/inet.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "master/master_core.h"
#include "scheduler/app_scheduler.h"
#include "scheduler/app_volumes.h"

namespace berth::marathon_api {
namespace {

using nlohmann::json;

json optional_time(const std::optional<std::int64_t>& millis) {
  if (!millis) return nullptr;
  return format_timestamp(from_epoch_millis(*millis));
}

bool is_ipv4(const std::string& text) {
  in_addr address{};
  return ::inet_pton(AF_INET, text.c_str(), &address) == 1;
}

}  // namespace

TasksByApp tasks_by_app(const MasterCore& master) {
  TasksByApp tasks;
  for (const auto& [app_id, ids] : master.live_tasks_by_app()) {
    tasks.emplace(app_id, master.live_tasks_of(app_id));
  }
  return tasks;
}

std::string task_json(const TaskRecord& task, const marathon::AppDefinition* app) {
  json ports = task.ports;
  // Service ports pair with host ports (clients zip the two lists): the app's declared port
  // numbers, 0 where it asked for any port.
  json service_ports = json::array();
  for (std::size_t i = 0; i < task.ports.size(); ++i) {
    std::uint32_t port = 0;
    if (app != nullptr && i < app->port_definitions.size()) port = app->port_definitions[i].port;
    service_ports.push_back(port);
  }
  json addresses = json::array();
  if (is_ipv4(task.hostname))
    addresses.push_back({{"ipAddress", task.hostname}, {"protocol", "IPv4"}});
  json health = json::array();
  for (const HealthCheckResult& result : task.health_results) {
    health.push_back(
        {{"alive", result.alive},
         {"consecutiveFailures", result.consecutive_failures},
         {"firstSuccess", optional_time(result.first_success_ms)},
         {"lastSuccess", optional_time(result.last_success_ms)},
         {"lastFailure", optional_time(result.last_failure_ms)},
         {"lastFailureCause",
          result.last_failure_cause.empty() ? json(nullptr) : json(result.last_failure_cause)},
         {"taskId", task.id()}});
  }
  // Marathon's {containerPath, persistenceId}; Berth's volume name is the persistence id.
  json local_volumes = json::array();
  for (const scheduler::LocalVolumeRef& volume : scheduler::local_volumes_of(task)) {
    local_volumes.push_back(
        {{"containerPath", volume.container_path}, {"persistenceId", volume.name}});
  }
  json doc{{"id", task.id()},
           {"appId", task.spec.app_id},
           {"host", task.hostname},
           {"slaveId", task.agent_id},
           {"ports", std::move(ports)},
           {"servicePorts", std::move(service_ports)},
           {"stagedAt", format_timestamp(task.staged_at)},
           {"version", task.spec.app_version},
           {"state", std::string(to_string(task.state))},
           {"ipAddresses", std::move(addresses)},
           {"healthCheckResults", std::move(health)},
           {"localVolumes", std::move(local_volumes)}};
  if (task.started_at) doc["startedAt"] = format_timestamp(*task.started_at);
  return doc.dump();
}

std::string tasks_array_json(const std::vector<const TaskRecord*>& tasks,
                             const marathon::AppDefinition* app) {
  std::string out = "[";
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (i > 0) out += ",";
    out += task_json(*tasks[i], app);
  }
  return out + "]";
}

std::string app_info(const ApiContext& context, const marathon::AppDefinition& app,
                     const std::vector<const TaskRecord*>& tasks, const marathon::AppEmbed& embed) {
  marathon::AppInfoExtras extras;
  if (embed.counts) {
    marathon::TaskCounts counts;
    for (const TaskRecord* task : tasks) {
      if (task->state == TaskState::kStaging || task->state == TaskState::kStarting) {
        ++counts.staged;
      }
      if (task->state == TaskState::kRunning) ++counts.running;
      if (!app.health_checks.empty() && task->healthy.has_value()) {
        ++(*task->healthy ? counts.healthy : counts.unhealthy);
      }
    }
    extras.counts = counts;
  }
  if (embed.deployments) {
    std::vector<std::string> ids = context.scheduler.locking_deployments({app.id});
    extras.deployment_ids = std::move(ids);
  }
  if (embed.tasks) extras.tasks_json = tasks_array_json(tasks, &app);
  if (embed.last_task_failure) {
    if (const TaskRecord* failed = context.scheduler.last_failure(app.id)) {
      extras.last_task_failure_json = json{
          {"appId", app.id},
          {"host", failed->hostname},
          {"message", failed->message},
          {"state", std::string(to_string(failed->state))},
          {"taskId", failed->id()},
          {"timestamp", format_timestamp(failed->updated_at)},
          {"version", failed->spec.app_version},
          {"slaveId", failed->agent_id}}.dump();
    }
  }
  if (embed.readiness) extras.readiness_check_results_json = "[]";
  return marathon::app_info_json(app, extras);
}

}  // namespace berth::marathon_api
