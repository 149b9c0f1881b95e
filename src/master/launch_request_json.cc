// Parsing and validating bare task launch requests.
#include "master/launch_request_json.h"

#include <nlohmann/json.hpp>

#include "http/http_errors.h"

namespace berth {
namespace {

using nlohmann::json;

// Reads an optional non-negative number at `key`; false (with `rejection` set) if invalid.
bool read_amount(const json& doc, const char* key, double fallback, double& out,
                 HttpResponse& rejection) {
  if (!doc.contains(key)) {
    out = fallback;
    return true;
  }
  const json& value = doc.at(key);
  if (!value.is_number()) {
    rejection = validation_error(std::string("/") + key, "error.expected.jsnumber");
    return false;
  }
  out = value.get<double>();
  if (out < 0) {
    rejection =
        validation_error(std::string("/") + key, "got " + value.dump() + ", expected 0.0 or more");
    return false;
  }
  return true;
}

// Seconds (a number >= 0) at `key` of `doc` as milliseconds, or `fallback`.
bool read_ms(const json& doc, const char* key, std::int64_t fallback_seconds,
             const std::string& path, std::int64_t& out, HttpResponse& rejection) {
  out = fallback_seconds * 1000;
  if (!doc.contains(key)) return true;
  const json& value = doc.at(key);
  if (!value.is_number() || value.get<double>() < 0) {
    rejection = validation_error(path + "/" + key, "expected a number of seconds, 0 or more");
    return false;
  }
  out = static_cast<std::int64_t>(value.get<double>() * 1000);
  return true;
}

// Marathon's healthChecks[i], resolved for the agent.
std::optional<HealthCheckSpec> read_health_check(const json& doc, const std::string& path,
                                                 HttpResponse& rejection) {
  if (!doc.is_object()) {
    rejection = validation_error(path, "error.expected.jsobject");
    return std::nullopt;
  }
  HealthCheckSpec check;
  const std::string protocol = doc.value("protocol", "HTTP");
  auto kind = parse_health_check_protocol(protocol);
  if (!kind || protocol == "MESOS_COMMAND") {
    rejection = validation_error(path + "/protocol", "unknown protocol '" + protocol + "'");
    return std::nullopt;
  }
  check.kind = *kind;
  const bool mesos_level = protocol.starts_with("MESOS_") || protocol == "COMMAND";
  check.path = doc.value("path", "/");
  check.port = static_cast<std::uint16_t>(doc.value("port", 0));
  check.port_index = doc.value("portIndex", 0u);
  if (doc.contains("command")) {
    const json& command = doc.at("command");
    check.command = command.is_object() ? command.value("value", "") : command.get<std::string>();
  }
  if (check.kind == HealthCheckKind::kCommand && check.command.empty()) {
    rejection = validation_error(path + "/command", "a COMMAND check needs command.value");
    return std::nullopt;
  }
  std::int64_t max_failures = doc.value("maxConsecutiveFailures", 3);
  if (max_failures < 0) {
    rejection = validation_error(path + "/maxConsecutiveFailures", "must be 0 or more");
    return std::nullopt;
  }
  check.max_consecutive_failures = static_cast<std::uint32_t>(max_failures);
  check.ignore_http1xx = doc.value("ignoreHttp1xx", false);
  if (!read_ms(doc, "gracePeriodSeconds", 300, path, check.grace_period_ms, rejection) ||
      !read_ms(doc, "intervalSeconds", 60, path, check.interval_ms, rejection) ||
      !read_ms(doc, "timeoutSeconds", 20, path, check.timeout_ms, rejection) ||
      !read_ms(doc, "delaySeconds", 15, path, check.delay_ms, rejection)) {
    return std::nullopt;
  }
  if (!mesos_level && !doc.contains("delaySeconds")) check.delay_ms = check.interval_ms;
  if (check.interval_ms <= 0 || check.timeout_ms <= 0) {
    rejection = validation_error(path, "intervalSeconds and timeoutSeconds must be more than 0");
    return std::nullopt;
  }
  return check;
}

std::optional<ReadinessCheckSpec> read_readiness_check(const json& doc, const std::string& path,
                                                       HttpResponse& rejection) {
  if (!doc.is_object()) {
    rejection = validation_error(path, "error.expected.jsobject");
    return std::nullopt;
  }
  ReadinessCheckSpec check;
  check.name = doc.value("name", check.name);
  check.https = doc.value("protocol", "HTTP") == "HTTPS";
  check.path = doc.value("path", "/");
  check.port = static_cast<std::uint16_t>(doc.value("port", 0));
  check.port_index = doc.value("portIndex", 0u);
  check.http_status_codes_for_ready =
      doc.value("httpStatusCodesForReady", check.http_status_codes_for_ready);
  if (!read_ms(doc, "intervalSeconds", 30, path, check.interval_ms, rejection) ||
      !read_ms(doc, "timeoutSeconds", 10, path, check.timeout_ms, rejection)) {
    return std::nullopt;
  }
  if (check.interval_ms <= 0 || check.timeout_ms <= 0) {
    rejection = validation_error(path, "intervalSeconds and timeoutSeconds must be more than 0");
    return std::nullopt;
  }
  return check;
}

// volumes[i]: {name, driver, size_mib, fs_type, container_path, read_only, epoch, external}.
// Bare tasks name their epoch themselves: no volume controller stands between them and the agent.
std::optional<TaskVolume> read_volume(const json& doc, const std::string& path,
                                      HttpResponse& rejection) {
  if (!doc.is_object()) {
    rejection = validation_error(path, "error.expected.jsobject");
    return std::nullopt;
  }
  TaskVolume volume;
  volume.volume.name = doc.at("name").get<std::string>();
  auto valid = validate_volume_name(volume.volume.name);
  if (!valid.ok()) {
    rejection = validation_error(path + "/name", valid.error().message);
    return std::nullopt;
  }
  volume.volume.driver = doc.value("driver", "blockpool");
  volume.volume.size_mib = doc.value("size_mib", std::int64_t{0});
  volume.volume.fs_type = doc.value("fs_type", "ext4");
  volume.volume.epoch = doc.value("epoch", std::uint64_t{0});
  volume.volume.external = doc.value("external", volume.volume.driver != "local");
  volume.container_path = doc.at("container_path").get<std::string>();
  volume.read_only = doc.value("read_only", false);
  if (volume.volume.size_mib < 0) {
    rejection = validation_error(path + "/size_mib", "must be 0 (the default) or more");
    return std::nullopt;
  }
  if (volume.container_path.empty()) {
    rejection = validation_error(path + "/container_path", "must not be empty");
    return std::nullopt;
  }
  return volume;
}

// health_checks, readiness_check, fetch, uris and volumes; false with `rejection` set if invalid.
bool read_task_extras(const json& doc, LaunchRequest& request, HttpResponse& rejection) {
  std::vector<HealthCheckSpec> checks;
  std::optional<ReadinessCheckSpec> readiness;
  std::vector<FetchSpec> fetch;
  std::vector<TaskVolume> volumes;
  try {
    if (doc.contains("volumes")) {
      const json& list = doc.at("volumes");
      if (!list.is_array()) {
        rejection = validation_error("/volumes", "error.expected.jsarray");
        return false;
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto volume = read_volume(list[i], "/volumes(" + std::to_string(i) + ")", rejection);
        if (!volume) return false;
        volumes.push_back(std::move(*volume));
      }
    }
    if (doc.contains("health_checks")) {
      const json& list = doc.at("health_checks");
      if (!list.is_array()) {
        rejection = validation_error("/health_checks", "error.expected.jsarray");
        return false;
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        auto check =
            read_health_check(list[i], "/health_checks(" + std::to_string(i) + ")", rejection);
        if (!check) return false;
        checks.push_back(std::move(*check));
      }
    }
    if (doc.contains("readiness_check")) {
      readiness = read_readiness_check(doc.at("readiness_check"), "/readiness_check", rejection);
      if (!readiness) return false;
    }
    if (doc.contains("fetch") && doc.contains("uris")) {
      rejection = validation_error("/uris", "may not be set in conjunction with fetch");
      return false;
    }
    for (const auto& item : doc.value("fetch", json::array())) {
      FetchSpec spec;
      spec.uri = item.at("uri").get<std::string>();
      spec.extract = item.value("extract", true);
      spec.executable = item.value("executable", false);
      spec.dest_path = item.value("destPath", "");
      fetch.push_back(std::move(spec));
    }
    for (const auto& uri : doc.value("uris", json::array())) {
      fetch.push_back({uri.get<std::string>(), true, false, ""});
    }
  } catch (const json::exception& e) {
    rejection = validation_error("/", std::string("invalid health_checks, readiness_check, fetch, "
                                                  "uris or volumes: ") +
                                          e.what());
    return false;
  }
  if (checks.empty() && !readiness && fetch.empty() && volumes.empty()) return true;
  request.complete_spec = [checks, readiness, fetch, volumes](TaskSpec& spec,
                                                              const AgentRecord&) -> Status {
    spec.health_checks = checks;
    spec.readiness_check = readiness;
    spec.fetch = fetch;
    spec.volumes = volumes;
    return {};
  };
  return true;
}

}  // namespace

std::optional<LaunchRequest> parse_launch_request(const std::string& body,
                                                  HttpResponse& rejection) {
  json doc = json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    rejection = json_response(400, R"({"message":"Invalid JSON","details":"not a JSON document"})");
    return std::nullopt;
  }
  if (!doc.is_object()) {
    rejection = validation_error("/", "error.expected.jsobject");
    return std::nullopt;
  }
  LaunchRequest request;
  auto read_string = [&](const char* key, std::string& out) {
    if (!doc.contains(key)) return true;
    if (!doc.at(key).is_string()) {
      rejection = validation_error(std::string("/") + key, "error.expected.jsstring");
      return false;
    }
    out = doc.at(key).get<std::string>();
    return true;
  };
  if (!read_string("name", request.name) || !read_string("cmd", request.command) ||
      !read_string("agent_id", request.agent_id) || !read_string("hostname", request.hostname)) {
    return std::nullopt;
  }
  if (request.command.empty()) {
    rejection = validation_error("/cmd", "must not be empty");
    return std::nullopt;
  }
  if (request.name.empty()) request.name = "task";
  double cpus = 0;
  double mem = 0;
  double disk = 0;
  double ports = 0;
  double grace = 0;
  if (!read_amount(doc, "cpus", 0.1, cpus, rejection) ||
      !read_amount(doc, "mem", 32, mem, rejection) ||
      !read_amount(doc, "disk", 0, disk, rejection) ||
      !read_amount(doc, "ports", 0, ports, rejection) ||
      !read_amount(doc, "kill_grace_period_seconds", 3, grace, rejection)) {
    return std::nullopt;
  }
  if (cpus <= 0) {
    rejection = validation_error("/cpus", "got " + std::to_string(cpus) + ", expected more than 0");
    return std::nullopt;
  }
  request.resources.set_scalar("cpus", cpus);
  request.resources.set_scalar("mem", mem);
  if (disk > 0) request.resources.set_scalar("disk", disk);
  request.port_count = static_cast<std::size_t>(ports);
  request.kill_grace_period_ms = static_cast<std::int64_t>(grace * 1000);
  if (doc.contains("env")) {
    const json& env = doc.at("env");
    if (!env.is_object()) {
      rejection = validation_error("/env", "error.expected.jsobject");
      return std::nullopt;
    }
    for (const auto& [key, value] : env.items()) {
      if (!value.is_string()) {
        rejection = validation_error("/env/" + key, "error.expected.jsstring");
        return std::nullopt;
      }
      request.environment[key] = value.get<std::string>();
    }
  }
  if (!read_task_extras(doc, request, rejection)) return std::nullopt;
  return request;
}

}  // namespace berth
