// Turning an app definition into a launch request.
#include "scheduler/launch_spec.h"

#include <algorithm>
#include <cctype>

#include "common/time_format.h"
#include "scheduler/app_driver.h"

namespace berth::scheduler {
namespace {

using marathon::AppDefinition;

std::string env_name(std::string text) {
  for (char& c : text) {
    c = std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::toupper(c)) : '_';
  }
  return text;
}

std::string number_text(double value) {
  std::string text = std::to_string(value);
  text.erase(text.find_last_not_of('0') + 1);
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

HealthCheckSpec health_check_spec(const marathon::HealthCheck& check) {
  HealthCheckSpec spec;
  spec.kind = parse_health_check_protocol(check.protocol).value_or(HealthCheckKind::kHttp);
  spec.port = static_cast<std::uint16_t>(check.port.value_or(0));
  spec.port_index = check.port_index.value_or(0);
  spec.path = check.path;
  spec.command = check.command.value_or("");
  spec.grace_period_ms = check.grace_period_seconds * 1000;
  spec.interval_ms = check.interval_seconds * 1000;
  spec.timeout_ms = check.timeout_seconds * 1000;
  bool mesos_level = check.protocol.rfind("MESOS_", 0) == 0 || check.protocol == "COMMAND";
  spec.delay_ms = (mesos_level ? check.delay_seconds : check.interval_seconds) * 1000;
  spec.max_consecutive_failures = static_cast<std::uint32_t>(check.max_consecutive_failures);
  spec.ignore_http1xx = check.ignore_http1xx;
  return spec;
}

// Marathon's portName names a port definition (or mapping); its index is the task's PORT<i>.
std::uint32_t port_index_named(const AppDefinition& app, const std::string& name) {
  for (std::size_t i = 0; i < app.port_definitions.size(); ++i) {
    if (app.port_definitions[i].name == name) return static_cast<std::uint32_t>(i);
  }
  return 0;
}

}  // namespace

std::string task_id_for(const std::string& app_id, const std::string& uuid) {
  std::string path = app_id.substr(app_id.find_first_not_of('/'));
  std::replace(path.begin(), path.end(), '/', '_');
  return path + "." + uuid;
}

std::string app_id_of_task(const std::string& task_id) {
  auto dot = task_id.rfind('.');
  if (dot == std::string::npos || dot == 0) return "";
  std::string path = task_id.substr(0, dot);
  std::replace(path.begin(), path.end(), '_', '/');
  return "/" + path;
}

LaunchRequest launch_request(const AppDefinition& app, const std::string& uuid) {
  LaunchRequest request;
  request.name = app.id.substr(1);
  request.app_id = app.id;
  request.app_version = config_version(app);
  request.task_id = task_id_for(app.id, uuid);
  if (app.cmd) {
    request.shell = true;
    request.command = *app.cmd;
  } else if (app.args && !app.args->empty()) {
    request.shell = false;
    request.command = app.args->front();
    request.arguments = *app.args;
  }
  request.resources.set_scalar("cpus", app.cpus);
  request.resources.set_scalar("mem", app.mem);
  if (app.disk > 0) request.resources.set_scalar("disk", app.disk);
  if (app.gpus > 0) request.resources.set_scalar("gpus", static_cast<double>(app.gpus));
  if (app.host_networking()) {
    for (const auto& definition : app.port_definitions) {
      if (app.require_ports && definition.port != 0) {
        request.fixed_ports.push_back(definition.port);
      } else {
        ++request.port_count;
      }
    }
  } else if (app.container) {
    for (const auto& mapping : app.container->port_mappings) {
      if (!mapping.host_port) continue;
      if (*mapping.host_port != 0) {
        request.fixed_ports.push_back(*mapping.host_port);
      } else {
        ++request.port_count;
      }
    }
  }
  if (app.task_kill_grace_period_seconds) {
    request.kill_grace_period_ms = *app.task_kill_grace_period_seconds * 1000;
  }

  auto& env = request.environment;
  env = app.env;
  env["MARATHON_APP_ID"] = app.id;
  env["MARATHON_APP_VERSION"] = format_timestamp(app.version);
  env["MARATHON_APP_RESOURCE_CPUS"] = number_text(app.cpus);
  env["MARATHON_APP_RESOURCE_MEM"] = number_text(app.mem);
  env["MARATHON_APP_RESOURCE_DISK"] = number_text(app.disk);
  env["MARATHON_APP_RESOURCE_GPUS"] = std::to_string(app.gpus);
  std::string label_names;
  for (const auto& [key, value] : app.labels) {
    env["MARATHON_APP_LABEL_" + env_name(key)] = value;
    label_names += (label_names.empty() ? "" : " ") + env_name(key);
  }
  env["MARATHON_APP_LABELS"] = label_names;
  if (app.needs_image()) env["MARATHON_APP_DOCKER_IMAGE"] = app.container->docker->image;

  std::vector<std::string> port_names;
  if (app.host_networking()) {
    for (const auto& definition : app.port_definitions) {
      port_names.push_back(definition.name.value_or(""));
    }
  }
  std::vector<HealthCheckSpec> health_checks;
  for (const auto& check : app.health_checks) health_checks.push_back(health_check_spec(check));
  std::optional<ReadinessCheckSpec> readiness;
  if (!app.readiness_checks.empty()) {
    const auto& check = app.readiness_checks.front();
    readiness.emplace();
    readiness->name = check.name;
    readiness->https = check.protocol == "HTTPS";
    readiness->port_index = port_index_named(app, check.port_name);
    readiness->path = check.path;
    readiness->interval_ms = check.interval_seconds * 1000;
    readiness->timeout_ms = check.timeout_seconds * 1000;
    readiness->http_status_codes_for_ready = check.http_status_codes_for_ready;
  }
  std::vector<FetchSpec> fetch;
  for (const auto& uri : app.fetch) {
    fetch.push_back(FetchSpec{uri.uri, uri.extract, uri.executable, uri.dest_path.value_or("")});
  }
  request.complete_spec = [port_names, health_checks, readiness, fetch](
                              TaskSpec& spec, const AgentRecord&) -> Status {
    for (std::size_t i = 0; i < port_names.size(); ++i) {
      auto port = spec.environment.find("PORT" + std::to_string(i));
      if (!port_names[i].empty() && port != spec.environment.end()) {
        spec.environment["PORT_" + env_name(port_names[i])] = port->second;
      }
    }
    spec.health_checks = health_checks;
    spec.readiness_check = readiness;
    spec.fetch = fetch;
    return {};
  };
  return request;
}

}  // namespace berth::scheduler
