// The persisted form of tasks.
#include "master/task_record.h"

#include <nlohmann/json.hpp>

#include "api/task_spec_json.h"
#include "common/time_format.h"

namespace berth {

void apply_health(TaskRecord& task, const StatusUpdate& update) {
  if (update.healthy || !update.health_results.empty()) {
    task.healthy = update.healthy;
    task.health_results = update.health_results;
  }
  if (update.ready) task.ready = update.ready;
}

std::optional<std::string> health_kill_reason(const TaskRecord& task) {
  const auto& checks = task.spec.health_checks;
  for (std::size_t i = 0; i < checks.size() && i < task.health_results.size(); ++i) {
    const std::uint32_t limit = checks[i].max_consecutive_failures;
    const HealthCheckResult& result = task.health_results[i];
    if (limit > 0 && result.consecutive_failures >= limit) {
      return "health check " + std::to_string(i) + " failed " +
             std::to_string(result.consecutive_failures) + " times in a row (" +
             result.last_failure_cause + ")";
    }
  }
  return std::nullopt;
}

std::string task_to_json(const TaskRecord& task) {
  nlohmann::json doc{{"spec", task_spec_to_json(task.spec)},
                     {"agent_id", task.agent_id},
                     {"hostname", task.hostname},
                     {"ports", task.ports},
                     {"state", to_string(task.state)},
                     {"reason", task.reason},
                     {"message", task.message},
                     {"staged_at_ms", to_epoch_millis(task.staged_at)},
                     {"updated_at_ms", to_epoch_millis(task.updated_at)},
                     {"last_update_seq", task.last_update_seq},
                     {"kill_requested", task.kill_requested}};
  if (task.started_at) doc["started_at_ms"] = to_epoch_millis(*task.started_at);
  // Health travels in the protocol's own encoding: a status update holding only these fields.
  if (task.healthy || !task.health_results.empty() || task.ready) {
    StatusUpdate health;
    health.healthy = task.healthy;
    health.health_results = task.health_results;
    health.ready = task.ready;
    auto encoded = nlohmann::json::parse(to_json(health));
    for (const char* key : {"healthy", "health_results", "ready"}) {
      if (encoded.contains(key)) doc[key] = encoded.at(key);
    }
  }
  return doc.dump();
}

Result<TaskRecord> task_from_json(std::string_view text) {
  try {
    auto doc = nlohmann::json::parse(text);
    TaskRecord task;
    auto spec = task_spec_from_json(doc.at("spec"));
    if (!spec.ok()) return spec.error();
    task.spec = std::move(spec).value();
    task.agent_id = doc.at("agent_id").get<std::string>();
    task.hostname = doc.value("hostname", "");
    task.ports = doc.value("ports", std::vector<std::uint64_t>{});
    auto state = parse_task_state(doc.at("state").get<std::string>());
    if (!state) return internal_error("corrupt task record: bad state");
    task.state = *state;
    task.reason = doc.value("reason", "");
    task.message = doc.value("message", "");
    task.staged_at = from_epoch_millis(doc.value("staged_at_ms", 0LL));
    task.updated_at = from_epoch_millis(doc.value("updated_at_ms", 0LL));
    if (doc.contains("started_at_ms")) {
      task.started_at = from_epoch_millis(doc.at("started_at_ms").get<long long>());
    }
    task.last_update_seq = doc.value("last_update_seq", std::uint64_t{0});
    task.kill_requested = doc.value("kill_requested", false);
    if (doc.contains("healthy") || doc.contains("health_results") || doc.contains("ready")) {
      nlohmann::json health{
          {"uuid", ""}, {"task_id", task.spec.task_id}, {"state", "TASK_RUNNING"}};
      for (const char* key : {"healthy", "health_results", "ready"}) {
        if (doc.contains(key)) health[key] = doc.at(key);
      }
      auto parsed = parse_status_update(health.dump());
      if (!parsed.ok()) return parsed.error().context("corrupt task record");
      task.healthy = parsed->healthy;
      task.health_results = std::move(parsed->health_results);
      task.ready = parsed->ready;
    }
    return task;
  } catch (const nlohmann::json::exception& e) {
    return internal_error(std::string("corrupt task record: ") + e.what());
  }
}

}  // namespace berth
