// JSON encoding of the master <-> agent protocol. nlohmann's exceptions stop here: every parser
// returns kInvalidArgument with the field that was wrong.
#include "api/agent_protocol.h"

#include <nlohmann/json.hpp>

#include "api/resources_json.h"
#include "api/task_spec_json.h"
#include "api/volume_json.h"

namespace berth {
namespace {

using nlohmann::json;

// Parses `text` and runs `read` on it, turning any JSON exception into an error for `what`.
template <typename T, typename Read>
Result<T> parse_with(std::string_view text, const char* what, Read read) {
  try {
    json doc = json::parse(text);
    return read(doc);
  } catch (const json::exception& e) {
    return invalid_argument(std::string("invalid ") + what + ": " + e.what());
  }
}

// Optional values are written only when set, and read back as unset when absent or null, so
// that messages from before a field existed still parse.
template <typename T>
void put_optional(json& doc, const char* key, const std::optional<T>& value) {
  if (value) doc[key] = *value;
}

template <typename T>
std::optional<T> get_optional(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

json health_check_to(const HealthCheckSpec& check) {
  return json{{"kind", to_string(check.kind)},
              {"port", check.port},
              {"port_index", check.port_index},
              {"path", check.path},
              {"command", check.command},
              {"grace_period_ms", check.grace_period_ms},
              {"interval_ms", check.interval_ms},
              {"timeout_ms", check.timeout_ms},
              {"delay_ms", check.delay_ms},
              {"max_consecutive_failures", check.max_consecutive_failures},
              {"ignore_http1xx", check.ignore_http1xx}};
}

Result<HealthCheckSpec> health_check_from(const json& doc) {
  HealthCheckSpec check;
  auto kind = parse_health_check_protocol(doc.at("kind").get<std::string>());
  if (!kind) return invalid_argument("health check: unknown kind " + doc.at("kind").dump());
  check.kind = *kind;
  check.port = doc.value("port", std::uint16_t{0});
  check.port_index = doc.value("port_index", std::uint32_t{0});
  check.path = doc.value("path", "/");
  check.command = doc.value("command", "");
  check.grace_period_ms = doc.value("grace_period_ms", check.grace_period_ms);
  check.interval_ms = doc.value("interval_ms", check.interval_ms);
  check.timeout_ms = doc.value("timeout_ms", check.timeout_ms);
  check.delay_ms = doc.value("delay_ms", check.delay_ms);
  check.max_consecutive_failures =
      doc.value("max_consecutive_failures", check.max_consecutive_failures);
  check.ignore_http1xx = doc.value("ignore_http1xx", false);
  if (check.interval_ms <= 0 || check.timeout_ms <= 0) {
    return invalid_argument("health check: interval_ms and timeout_ms must be positive");
  }
  if (check.kind == HealthCheckKind::kCommand && check.command.empty()) {
    return invalid_argument("health check: COMMAND without a command");
  }
  return check;
}

json readiness_to(const ReadinessCheckSpec& check) {
  return json{{"name", check.name},
              {"https", check.https},
              {"port", check.port},
              {"port_index", check.port_index},
              {"path", check.path},
              {"interval_ms", check.interval_ms},
              {"timeout_ms", check.timeout_ms},
              {"http_status_codes_for_ready", check.http_status_codes_for_ready}};
}

Result<ReadinessCheckSpec> readiness_from(const json& doc) {
  ReadinessCheckSpec check;
  check.name = doc.value("name", check.name);
  check.https = doc.value("https", false);
  check.port = doc.value("port", std::uint16_t{0});
  check.port_index = doc.value("port_index", std::uint32_t{0});
  check.path = doc.value("path", "/");
  check.interval_ms = doc.value("interval_ms", check.interval_ms);
  check.timeout_ms = doc.value("timeout_ms", check.timeout_ms);
  check.http_status_codes_for_ready =
      doc.value("http_status_codes_for_ready", check.http_status_codes_for_ready);
  if (check.interval_ms <= 0 || check.timeout_ms <= 0) {
    return invalid_argument("readiness check: interval_ms and timeout_ms must be positive");
  }
  return check;
}

json fetch_to(const FetchSpec& fetch) {
  return json{{"uri", fetch.uri},
              {"extract", fetch.extract},
              {"executable", fetch.executable},
              {"dest_path", fetch.dest_path}};
}

Result<FetchSpec> fetch_from(const json& doc) {
  FetchSpec fetch;
  fetch.uri = doc.at("uri").get<std::string>();
  if (fetch.uri.empty()) return invalid_argument("fetch: uri is empty");
  fetch.extract = doc.value("extract", true);
  fetch.executable = doc.value("executable", false);
  fetch.dest_path = doc.value("dest_path", "");
  return fetch;
}

json health_result_to(const HealthCheckResult& result) {
  json doc{{"alive", result.alive},
           {"consecutive_failures", result.consecutive_failures},
           {"last_failure_cause", result.last_failure_cause}};
  put_optional(doc, "first_success_ms", result.first_success_ms);
  put_optional(doc, "last_success_ms", result.last_success_ms);
  put_optional(doc, "last_failure_ms", result.last_failure_ms);
  return doc;
}

HealthCheckResult health_result_from(const json& doc) {
  HealthCheckResult result;
  result.alive = doc.value("alive", false);
  result.consecutive_failures = doc.value("consecutive_failures", std::uint32_t{0});
  result.first_success_ms = get_optional<std::int64_t>(doc, "first_success_ms");
  result.last_success_ms = get_optional<std::int64_t>(doc, "last_success_ms");
  result.last_failure_ms = get_optional<std::int64_t>(doc, "last_failure_ms");
  result.last_failure_cause = doc.value("last_failure_cause", "");
  return result;
}

json spec_to(const TaskSpec& spec) {
  json doc{{"task_id", spec.task_id},
           {"name", spec.name},
           {"app_id", spec.app_id},
           {"app_version", spec.app_version},
           {"shell", spec.shell},
           {"command", spec.command},
           {"arguments", spec.arguments},
           {"environment", spec.environment},
           {"resources", resources_to_json(spec.resources)},
           {"kill_grace_period_ms", spec.kill_grace_period_ms}};
  if (!spec.health_checks.empty()) {
    json checks = json::array();
    for (const auto& check : spec.health_checks) checks.push_back(health_check_to(check));
    doc["health_checks"] = std::move(checks);
  }
  if (spec.readiness_check) doc["readiness_check"] = readiness_to(*spec.readiness_check);
  if (!spec.fetch.empty()) {
    json fetch = json::array();
    for (const auto& item : spec.fetch) fetch.push_back(fetch_to(item));
    doc["fetch"] = std::move(fetch);
  }
  if (!spec.volumes.empty()) {
    json volumes = json::array();
    for (const auto& volume : spec.volumes) volumes.push_back(task_volume_to_json(volume));
    doc["volumes"] = std::move(volumes);
  }
  return doc;
}

Result<TaskSpec> spec_from(const json& doc) {
  TaskSpec spec;
  spec.task_id = doc.at("task_id").get<std::string>();
  if (spec.task_id.empty()) return invalid_argument("task spec: task_id is empty");
  spec.name = doc.value("name", "");
  spec.app_id = doc.value("app_id", "");
  spec.app_version = doc.value("app_version", "");
  spec.shell = doc.value("shell", true);
  spec.command = doc.value("command", "");
  spec.arguments = doc.value("arguments", std::vector<std::string>{});
  spec.environment = doc.value("environment", std::map<std::string, std::string>{});
  if (doc.contains("resources")) {
    auto resources = resources_from_json(doc.at("resources"));
    if (!resources.ok()) return resources.error().context("task spec");
    spec.resources = *resources;
  }
  spec.kill_grace_period_ms = doc.value("kill_grace_period_ms", std::int64_t{3000});
  for (const auto& item : doc.value("health_checks", json::array())) {
    auto check = health_check_from(item);
    if (!check.ok()) return check.error().context("task spec " + spec.task_id);
    spec.health_checks.push_back(std::move(check).value());
  }
  if (auto it = doc.find("readiness_check"); it != doc.end() && !it->is_null()) {
    auto check = readiness_from(*it);
    if (!check.ok()) return check.error().context("task spec " + spec.task_id);
    spec.readiness_check = std::move(check).value();
  }
  for (const auto& item : doc.value("fetch", json::array())) {
    auto fetch = fetch_from(item);
    if (!fetch.ok()) return fetch.error().context("task spec " + spec.task_id);
    spec.fetch.push_back(std::move(fetch).value());
  }
  for (const auto& item : doc.value("volumes", json::array())) {
    auto volume = task_volume_from_json(item);
    if (!volume.ok()) return volume.error().context("task spec " + spec.task_id);
    spec.volumes.push_back(std::move(volume).value());
  }
  return spec;
}

json update_to(const StatusUpdate& update) {
  json doc{{"uuid", update.uuid},
           {"task_id", update.task_id},
           {"seq", update.seq},
           {"state", to_string(update.state)},
           {"reason", update.reason},
           {"message", update.message},
           {"timestamp_ms", update.timestamp_ms}};
  put_optional(doc, "healthy", update.healthy);
  if (!update.health_results.empty()) {
    json results = json::array();
    for (const auto& result : update.health_results) results.push_back(health_result_to(result));
    doc["health_results"] = std::move(results);
  }
  put_optional(doc, "ready", update.ready);
  return doc;
}

Result<StatusUpdate> update_from(const json& doc) {
  StatusUpdate update;
  update.uuid = doc.at("uuid").get<std::string>();
  update.task_id = doc.at("task_id").get<std::string>();
  update.seq = doc.value("seq", std::uint64_t{0});
  auto state = parse_task_state(doc.at("state").get<std::string>());
  if (!state) return invalid_argument("status update: unknown state " + doc.at("state").dump());
  update.state = *state;
  update.reason = doc.value("reason", "");
  update.message = doc.value("message", "");
  update.timestamp_ms = doc.value("timestamp_ms", std::int64_t{0});
  update.healthy = get_optional<bool>(doc, "healthy");
  for (const auto& item : doc.value("health_results", json::array())) {
    update.health_results.push_back(health_result_from(item));
  }
  update.ready = get_optional<bool>(doc, "ready");
  return update;
}

SessionRef ref_from(const json& doc) {
  return {doc.at("agent_id").get<std::string>(), doc.at("session").get<std::string>()};
}

// A mount list under "volumes", written only when non-empty and read back as empty when absent.
void put_mounts(json& doc, const std::vector<MountedVolume>& mounts) {
  if (mounts.empty()) return;
  json volumes = json::array();
  for (const auto& volume : mounts) volumes.push_back(mounted_volume_to_json(volume));
  doc["volumes"] = std::move(volumes);
}

Result<std::vector<MountedVolume>> get_mounts(const json& doc) {
  std::vector<MountedVolume> mounts;
  for (const auto& item : doc.value("volumes", json::array())) {
    auto volume = mounted_volume_from_json(item);
    if (!volume.ok()) return volume.error();
    mounts.push_back(std::move(volume).value());
  }
  return mounts;
}

}  // namespace

std::string_view to_string(HealthCheckKind kind) {
  switch (kind) {
    case HealthCheckKind::kHttp:
      return "HTTP";
    case HealthCheckKind::kHttps:
      return "HTTPS";
    case HealthCheckKind::kTcp:
      return "TCP";
    case HealthCheckKind::kCommand:
      return "COMMAND";
  }
  return "HTTP";
}

std::optional<HealthCheckKind> parse_health_check_protocol(std::string_view protocol) {
  if (protocol.starts_with("MESOS_")) protocol.remove_prefix(6);
  if (protocol == "HTTP") return HealthCheckKind::kHttp;
  if (protocol == "HTTPS") return HealthCheckKind::kHttps;
  if (protocol == "TCP") return HealthCheckKind::kTcp;
  if (protocol == "COMMAND") return HealthCheckKind::kCommand;
  return std::nullopt;
}

std::string to_json(const TaskSpec& spec) { return spec_to(spec).dump(); }

nlohmann::json task_spec_to_json(const TaskSpec& spec) { return spec_to(spec); }
Result<TaskSpec> task_spec_from_json(const nlohmann::json& doc) { return spec_from(doc); }

Result<TaskSpec> parse_task_spec(std::string_view text) {
  return parse_with<TaskSpec>(text, "task spec", spec_from);
}

std::string to_json(const StatusUpdate& update) { return update_to(update).dump(); }

Result<StatusUpdate> parse_status_update(std::string_view text) {
  return parse_with<StatusUpdate>(text, "status update", update_from);
}

std::string to_json(const RegisterAgent& message) {
  json tasks = json::array();
  for (const auto& task : message.tasks) {
    tasks.push_back({{"task_id", task.task_id}, {"state", to_string(task.state)}});
  }
  json doc{{"agent_id", message.agent_id},
           {"hostname", message.hostname},
           {"port", message.port},
           {"resources", resources_to_json(message.resources)},
           {"attributes", attributes_to_string(message.attributes)},
           {"boot_id", message.boot_id},
           {"version", message.version},
           {"tasks", tasks}};
  put_mounts(doc, message.volumes);
  put_optional(doc, "volume_drivers", message.volume_drivers);
  return doc.dump();
}

Result<RegisterAgent> parse_register_agent(std::string_view text) {
  return parse_with<RegisterAgent>(
      text, "registration", [](const json& doc) -> Result<RegisterAgent> {
        RegisterAgent message;
        message.agent_id = doc.value("agent_id", "");
        message.hostname = doc.at("hostname").get<std::string>();
        if (message.hostname.empty()) return invalid_argument("registration: hostname is empty");
        message.port = doc.at("port").get<std::uint16_t>();
        auto resources = resources_from_json(doc.at("resources"));
        if (!resources.ok()) return resources.error().context("registration");
        message.resources = *resources;
        auto attributes = attributes_from_text_json(doc.value("attributes", json("")));
        if (!attributes.ok()) return attributes.error().context("registration");
        message.attributes = *attributes;
        message.boot_id = doc.value("boot_id", "");
        message.version = doc.value("version", "");
        for (const auto& task : doc.value("tasks", json::array())) {
          auto state = parse_task_state(task.at("state").get<std::string>());
          if (!state) return invalid_argument("registration: unknown task state");
          message.tasks.push_back({task.at("task_id").get<std::string>(), *state});
        }
        auto volumes = get_mounts(doc);
        if (!volumes.ok()) return volumes.error().context("registration");
        message.volumes = std::move(volumes).value();
        message.volume_drivers = get_optional<std::vector<std::string>>(doc, "volume_drivers");
        return message;
      });
}

std::string to_json(const RegisterReply& message) {
  json doc{{"agent_id", message.agent_id},
           {"session", message.session},
           {"heartbeat_interval_ms", message.heartbeat_interval_ms},
           {"poll_timeout_ms", message.poll_timeout_ms}};
  put_optional(doc, "volume_lease_ms", message.volume_lease_ms);
  return doc.dump();
}

Result<RegisterReply> parse_register_reply(std::string_view text) {
  return parse_with<RegisterReply>(text, "registration reply", [](const json& doc) {
    RegisterReply reply;
    reply.agent_id = doc.at("agent_id").get<std::string>();
    reply.session = doc.at("session").get<std::string>();
    reply.heartbeat_interval_ms = doc.at("heartbeat_interval_ms").get<std::int64_t>();
    reply.poll_timeout_ms = doc.at("poll_timeout_ms").get<std::int64_t>();
    reply.volume_lease_ms = get_optional<std::int64_t>(doc, "volume_lease_ms");
    if (reply.volume_lease_ms && *reply.volume_lease_ms <= 0) {
      return Result<RegisterReply>(
          invalid_argument("registration reply: volume_lease_ms must be positive"));
    }
    return Result<RegisterReply>(reply);
  });
}

std::string poll_request_json(const PollRequest& poll) {
  json doc{{"agent_id", poll.ref.agent_id}, {"session", poll.ref.session}};
  put_mounts(doc, poll.volumes);
  return doc.dump();
}

Result<PollRequest> parse_poll_request(std::string_view text) {
  return parse_with<PollRequest>(text, "poll", [](const json& doc) -> Result<PollRequest> {
    PollRequest poll{ref_from(doc), {}};
    auto volumes = get_mounts(doc);
    if (!volumes.ok()) return volumes.error().context("poll");
    poll.volumes = std::move(volumes).value();
    return poll;
  });
}

std::string commands_json(const std::vector<AgentCommand>& commands) {
  json list = json::array();
  for (const auto& command : commands) {
    switch (command.kind) {
      case AgentCommand::Kind::kLaunch:
        list.push_back({{"type", "LAUNCH"}, {"task", spec_to(command.task)}});
        break;
      case AgentCommand::Kind::kKill:
        list.push_back({{"type", "KILL"},
                        {"task_id", command.task_id},
                        {"grace_period_ms", command.grace_period_ms}});
        break;
      case AgentCommand::Kind::kUnmountVolume:
      case AgentCommand::Kind::kRevokeVolume:
        list.push_back(
            {{"type", command.kind == AgentCommand::Kind::kUnmountVolume ? "UNMOUNT_VOLUME"
                                                                         : "REVOKE_VOLUME"},
             {"volume", command.volume},
             {"epoch", command.epoch},
             {"kill_task_ids", command.kill_task_ids},
             {"reason", command.reason}});
        break;
    }
  }
  return json{{"commands", list}}.dump();
}

Result<std::vector<AgentCommand>> parse_commands(std::string_view text) {
  return parse_with<std::vector<AgentCommand>>(
      text, "commands", [](const json& doc) -> Result<std::vector<AgentCommand>> {
        std::vector<AgentCommand> commands;
        for (const auto& item : doc.at("commands")) {
          std::string type = item.at("type").get<std::string>();
          if (type == "LAUNCH") {
            auto spec = spec_from(item.at("task"));
            if (!spec.ok()) return spec.error();
            commands.push_back(AgentCommand::launch(std::move(spec).value()));
          } else if (type == "KILL") {
            commands.push_back(AgentCommand::kill(item.at("task_id").get<std::string>(),
                                                  item.value("grace_period_ms", 3000)));
          } else if (type == "UNMOUNT_VOLUME" || type == "REVOKE_VOLUME") {
            auto volume = item.at("volume").get<std::string>();
            auto valid = validate_volume_name(volume);
            if (!valid.ok()) return valid.error().context("commands: " + type);
            commands.push_back(AgentCommand::volume_order(
                type == "UNMOUNT_VOLUME" ? AgentCommand::Kind::kUnmountVolume
                                         : AgentCommand::Kind::kRevokeVolume,
                std::move(volume), item.value("epoch", std::uint64_t{0}),
                item.value("kill_task_ids", std::vector<std::string>{}),
                item.value("reason", std::string())));
          } else {
            return invalid_argument("commands: unknown type '" + type + "'");
          }
        }
        return commands;
      });
}

std::string status_request_json(const SessionRef& ref, const std::vector<StatusUpdate>& updates) {
  json list = json::array();
  for (const auto& update : updates) list.push_back(update_to(update));
  return json{{"agent_id", ref.agent_id}, {"session", ref.session}, {"updates", list}}.dump();
}

Result<std::pair<SessionRef, std::vector<StatusUpdate>>> parse_status_request(
    std::string_view text) {
  using Parsed = std::pair<SessionRef, std::vector<StatusUpdate>>;
  return parse_with<Parsed>(text, "status updates", [](const json& doc) -> Result<Parsed> {
    Parsed parsed{ref_from(doc), {}};
    for (const auto& item : doc.at("updates")) {
      auto update = update_from(item);
      if (!update.ok()) return update.error();
      parsed.second.push_back(std::move(update).value());
    }
    return parsed;
  });
}

std::string acks_json(const std::vector<std::string>& uuids) {
  return json{{"acks", uuids}}.dump();
}

Result<std::vector<std::string>> parse_acks(std::string_view text) {
  return parse_with<std::vector<std::string>>(text, "acks", [](const json& doc) {
    return Result<std::vector<std::string>>(doc.at("acks").get<std::vector<std::string>>());
  });
}

}  // namespace berth
