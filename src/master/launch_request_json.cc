// Parsing and validating bare task launch requests.
#include "master/launch_request_json.h"

#include <nlohmann/json.hpp>

#include "master/http_errors.h"

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
  return request;
}

}  // namespace berth
