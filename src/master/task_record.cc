// The persisted form of tasks.
#include "master/task_record.h"

#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace berth {

std::string task_to_json(const TaskRecord& task) {
  nlohmann::json doc{{"spec", nlohmann::json::parse(to_json(task.spec))},
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
  return doc.dump();
}

Result<TaskRecord> task_from_json(std::string_view text) {
  try {
    auto doc = nlohmann::json::parse(text);
    TaskRecord task;
    auto spec = parse_task_spec(doc.at("spec").dump());
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
    return task;
  } catch (const nlohmann::json::exception& e) {
    return internal_error(std::string("corrupt task record: ") + e.what());
  }
}

}  // namespace berth
