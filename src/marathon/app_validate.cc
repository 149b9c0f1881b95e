// The per-app validation rules of Marathon 1.10 (marathon-api.md §2, §4.1, §5, §6, §8, §9),
// with its messages and JSON paths.
#include <algorithm>
#include <regex>
#include <set>

#include "api/volume_protocol.h"
#include "common/strings.h"
#include "marathon/app_internal.h"
#include "marathon/app_json.h"
#include "marathon/path_id.h"

namespace berth::marathon::detail {

namespace {

// The largest volume Berth's drivers create (the VolumeController's limit, 64 TiB).
constexpr std::int64_t kMaxExternalSizeGiB = 64 * 1024;

// Accord's comparison messages.
std::string got(const std::string& value, const std::string& expected) {
  return "got " + value + ", expected " + expected;
}

void at_least(Violations& v, const std::string& path, double value, double min) {
  if (value < min) v.add(path, got(scala_double(value), scala_double(min) + " or more"));
}
void at_least(Violations& v, const std::string& path, std::int64_t value, std::int64_t min) {
  if (value < min) v.add(path, got(std::to_string(value), std::to_string(min) + " or more"));
}
void between(Violations& v, const std::string& path, double value, double min, double max) {
  if (value < min || value > max) {
    v.add(path,
          got(scala_double(value), "between " + scala_double(min) + " and " + scala_double(max)));
  }
}
void port_in_range(Violations& v, const std::string& path, std::uint32_t port) {
  if (port > 65535) v.add(path, got(std::to_string(port), "between 0 and 65535"));
}

bool is_integer_text(const std::string& text) {
  if (text.empty()) return false;
  std::size_t start = text[0] == '-' ? 1 : 0;
  if (start == text.size()) return false;
  return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(start), text.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

bool is_protocol(const std::string& protocol) {
  return protocol == "tcp" || protocol == "udp" || protocol == "udp,tcp" || protocol == "tcp,udp";
}

const char* const kPortNamePattern = "^[a-z0-9-]+$";

bool is_port_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$, the form DVDI wants for drivers and rexray's options.
bool is_dvdi_label(const std::string& text) {
  if (text.empty()) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(text.front()) || !alnum(text.back())) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) { return alnum(c) || c == '-'; });
}

// Option keys are "<namespace>/<name>": dvdi/driver, dvdi/iops, dvdi/fsType.
bool is_option_key(const std::string& key) {
  std::size_t slash = key.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == key.size()) return false;
  std::string space = key.substr(0, slash);
  std::string name = key.substr(slash + 1);
  bool space_ok = std::all_of(space.begin(), space.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
  bool name_ok = std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
  return space_ok && name_ok;
}

std::string constraint_text(const Constraint& constraint) {
  static const char* const kNames[] = {"UNIQUE", "CLUSTER", "GROUP_BY", "LIKE",
                                       "UNLIKE", "MAX_PER", "IS"};
  std::string text = constraint.field + "," + kNames[static_cast<int>(constraint.op)];
  if (constraint.value) text += "," + *constraint.value;
  return text;
}

}  // namespace

void validate_constraint(const Constraint& c, const std::string& path, Violations& v) {
  using Op = Constraint::Operator;
  const std::string value = c.value.value_or("");
  if (c.field.empty()) {
    v.add(path, "illegal constraint specification " + constraint_text(c));
    return;
  }
  switch (c.op) {
    case Op::kUnique:
      if (!value.empty()) v.add(path, "Value specified but not used");
      break;
    case Op::kCluster:
      break;
    case Op::kGroupBy:
      if (!value.empty() && !is_integer_text(value)) {
        v.add(path, "Value was specified but is not a number");
      }
      break;
    case Op::kMaxPer:
      if (value.empty()) {
        v.add(path, "Missing value");
      } else if (!is_integer_text(value)) {
        v.add(path, "Value was specified but is not a number");
      }
      break;
    case Op::kLike:
    case Op::kUnlike:
      if (!c.value) {
        v.add(path, "A regular expression value must be provided");
      } else if (!is_valid_regex(value)) {
        v.add(path, "'" + value + "' is not a valid regular expression");
      }
      break;
    case Op::kIs:
      if (value.empty()) v.add(path, "A non-empty value must be provided");
      break;
  }
}

namespace {

void validate_port_definitions(const AppDefinition& app, const std::string& path, Violations& v) {
  std::string base = child_path(path, "portDefinitions");
  if (!app.host_networking() && !app.port_definitions.empty()) {
    v.add(base, "portDefinitions are only allowed with host-networking");
  }
  std::set<std::uint32_t> ports;
  std::set<std::string> names;
  bool unique_ports = true;
  bool unique_names = true;
  for (std::size_t i = 0; i < app.port_definitions.size(); ++i) {
    const PortDefinition& definition = app.port_definitions[i];
    std::string at = index_path(base, i);
    port_in_range(v, child_path(at, "port"), definition.port);
    if (!is_protocol(definition.protocol)) {
      v.add(child_path(at, "protocol"), "must be one of tcp, udp, udp,tcp");
    }
    if (definition.name) {
      if (!is_port_name(*definition.name)) {
        v.add(child_path(at, "name"),
              std::string("must fully match regular expression '") + kPortNamePattern + "'");
      }
      if (!names.insert(*definition.name).second) unique_names = false;
    }
    if (definition.port != 0 && !ports.insert(definition.port).second) unique_ports = false;
  }
  if (!unique_ports) v.add(base, "Ports must be unique.");
  if (!unique_names) v.add(base, "Port names must be unique.");
}

void validate_port_mappings(const AppDefinition& app, const std::string& path, Violations& v) {
  std::string base = child_path(path, "container/portMappings");
  const std::vector<PortMapping>& mappings = app.container->port_mappings;
  if (app.host_networking() && !mappings.empty()) {
    v.add(base, "portMappings are not allowed with host-networking");
  }
  std::set<std::string> names;
  bool unique_names = true;
  for (std::size_t i = 0; i < mappings.size(); ++i) {
    const PortMapping& mapping = mappings[i];
    std::string at = index_path(base, i);
    if (mapping.container_port)
      port_in_range(v, child_path(at, "containerPort"), *mapping.container_port);
    if (mapping.host_port) port_in_range(v, child_path(at, "hostPort"), *mapping.host_port);
    if (mapping.service_port)
      port_in_range(v, child_path(at, "servicePort"), *mapping.service_port);
    if (!is_protocol(mapping.protocol)) {
      v.add(child_path(at, "protocol"), "must be one of tcp, udp, udp,tcp");
    }
    if (mapping.name) {
      if (!is_port_name(*mapping.name)) {
        v.add(child_path(at, "name"),
              std::string("must fully match regular expression '") + kPortNamePattern + "'");
      }
      if (!names.insert(*mapping.name).second) unique_names = false;
    }
  }
  if (!unique_names) v.add(base, "Port names must be unique.");
}

void validate_networks(const AppDefinition& app, const std::string& path, Violations& v) {
  std::string base = child_path(path, "networks");
  std::size_t host = 0;
  std::size_t bridge = 0;
  std::size_t container = 0;
  std::set<std::string> names;
  for (std::size_t i = 0; i < app.networks.size(); ++i) {
    const Network& network = app.networks[i];
    std::string at = index_path(base, i);
    if (network.mode == "host") {
      ++host;
      if (network.name) v.add(child_path(at, "name"), "must be empty");
    } else if (network.mode == "container/bridge") {
      ++bridge;
      if (network.name) v.add(child_path(at, "name"), "must be empty");
    } else {
      ++container;
      if (network.name && !names.insert(*network.name).second) {
        v.add(base, "Duplicate network names are not allowed");
      }
      if (!network.name && app.networks.size() > 1) {
        v.add(base,
              "network name must be specified when a container participates in multiple networks");
      }
    }
  }
  bool mixed = (host > 0 && app.networks.size() > 1) || (bridge > 0 && app.networks.size() > 1);
  if (mixed) {
    v.add(base,
          "may specify a single host network, a single bridge network, or container networks, "
          "but not a mix of them");
  }
}

void validate_dvdi(const AppDefinition& app, const Volume& volume, const std::string& at,
                   Violations& v) {
  const ExternalVolume& external = *volume.external;
  std::string ext = child_path(at, "external");
  std::string options = child_path(ext, "options");
  bool docker = app.container->type == "DOCKER";
  for (const auto& [key, value] : external.options) {
    if (!is_option_key(key))
      v.add(key_path(options, key), "'" + key + "' is not a valid option key");
  }
  auto driver = external.options.find("dvdi/driver");
  if (driver == external.options.end()) {
    v.add(key_path(options, "dvdi/driver"), "not defined");
  } else if (!is_dvdi_label(driver->second)) {
    v.add(key_path(options, "dvdi/driver"), "'" + driver->second + "' is not a valid label");
  }
  if (driver != external.options.end() && driver->second == "rexray") {
    for (const char* key : {"dvdi/volumetype", "dvdi/newfstype"}) {
      auto option = external.options.find(key);
      if (option != external.options.end() && !is_dvdi_label(option->second)) {
        v.add(key_path(options, key), "'" + option->second + "' is not a valid label");
      }
    }
    auto iops = external.options.find("dvdi/iops");
    if (iops != external.options.end() &&
        (!is_integer_text(iops->second) || iops->second[0] == '-')) {
      v.add(key_path(options, "dvdi/iops"), "'" + iops->second + "' is not a valid natural number");
    }
    auto overwrite = external.options.find("dvdi/overwritefs");
    if (overwrite != external.options.end() && overwrite->second != "true" &&
        overwrite->second != "false") {
      v.add(key_path(options, "dvdi/overwritefs"),
            "'" + overwrite->second + "' is not a valid boolean");
    }
  }
  if (docker) {
    if (external.options.size() > 1 ||
        (external.options.size() == 1 && driver == external.options.end())) {
      v.add(options, "must only contain dvdi/driver");
    }
    if (external.size) v.add(child_path(ext, "size"), "must be undefined for Docker containers");
  } else {
    if (volume.mode != "RW") v.add(child_path(at, "mode"), "does not equal RW");
    if (volume.container_path.find('/') != std::string::npos) {
      v.add(child_path(at, "containerPath"), "value must not contain \"/\"");
    }
  }
}

bool is_shareable(const std::string& access_mode) {
  return access_mode.rfind("MULTI_NODE", 0) == 0;
}
bool is_read_only(const std::string& access_mode) {
  return access_mode == "SINGLE_NODE_READER_ONLY" || access_mode == "MULTI_NODE_READER_ONLY";
}

void validate_volumes(const AppDefinition& app, const std::string& path, Violations& v) {
  std::string base = child_path(path, "container/volumes");
  std::map<std::string, int> dvdi_names;
  std::set<std::string> container_paths;
  bool non_shareable_csi = false;
  bool single_writer_rw = false;
  for (std::size_t i = 0; i < app.container->volumes.size(); ++i) {
    const Volume& volume = app.container->volumes[i];
    std::string at = index_path(base, i);
    std::string container_path = child_path(at, "containerPath");
    if (volume.mode != "RO" && volume.mode != "RW") {
      v.add(child_path(at, "mode"), "must be one of RO, RW");
    }
    if (volume.container_path.empty()) v.add(container_path, "must not be empty");
    // Two volumes at one path: the second would hide the first.
    if (!volume.container_path.empty() && !container_paths.insert(volume.container_path).second) {
      v.add(container_path, "'" + volume.container_path + "' is used by another volume");
    }
    if (volume.host_path) {
      if (volume.host_path->empty()) v.add(child_path(at, "hostPath"), "must not be empty");
    }
    if (volume.persistent || volume.external) {
      if (volume.container_path == "." || volume.container_path == "..") {
        v.add(container_path, "can not be one of (.,..)");
      }
    }
    if (volume.persistent) {
      const PersistentVolume& p = *volume.persistent;
      std::string at_p = child_path(at, "persistent");
      if (volume.container_path.find('/') != std::string::npos) {
        v.add(container_path, "value must not contain \"/\"");
      }
      if (volume.mode != "RW") v.add(child_path(at, "mode"), "does not equal RW");
      if (p.type != "root" && p.type != "path" && p.type != "mount") {
        v.add(child_path(at_p, "type"), "must be one of root, path, mount");
      }
      if (p.size <= 0) {
        v.add(child_path(at_p, "size"), got(std::to_string(p.size), "more than 0"));
      } else if (p.size > kMaxExternalSizeGiB * 1024) {
        v.add(child_path(at_p, "size"),
              got(std::to_string(p.size), "at most " + std::to_string(kMaxExternalSizeGiB * 1024)));
      }
      if (p.max_size) {
        if (p.type != "mount") v.add(at_p, "Only mount volumes can have maxSize");
        if (*p.max_size <= p.size) v.add(at_p, "Max size must be larger than size");
      }
      if (!p.constraints.empty() && p.type == "root") {
        v.add(child_path(at_p, "constraints"), "Constraints on root volumes are not supported");
      }
      for (std::size_t j = 0; j < p.constraints.size(); ++j) {
        const Constraint& c = p.constraints[j];
        std::string at_c = index_path(child_path(at_p, "constraints"), j);
        if (c.op != Constraint::Operator::kLike && c.op != Constraint::Operator::kUnlike) {
          v.add(at_c, "Operator must be one of LIKE, UNLIKE");
        } else if (c.field != "path" || !c.value) {
          v.add(at_c, "Unsupported constraint " + constraint_text(c));
        } else if (!is_valid_regex(*c.value)) {
          v.add(at_c, "Invalid regular expression");
        }
      }
    }
    if (volume.external) {
      const ExternalVolume& external = *volume.external;
      std::string ext = child_path(at, "external");
      if (external.name.empty()) v.add(child_path(ext, "name"), "must not be empty");
      if (external.provider == "dvdi") {
        // The name becomes a file name in the pool and on every node.
        if (auto named = validate_volume_name(external.name);
            !external.name.empty() && !named.ok()) {
          v.add(child_path(ext, "name"), named.error().message);
        }
        if (external.size && (*external.size < 1 || *external.size > kMaxExternalSizeGiB)) {
          v.add(child_path(ext, "size"),
                got(std::to_string(*external.size),
                    "between 1 and " + std::to_string(kMaxExternalSizeGiB)));
        }
        validate_dvdi(app, volume, at, v);
        ++dvdi_names[external.name];
      } else if (external.provider == "csi") {
        CsiOptions csi = external.csi.value_or(CsiOptions{});
        std::string options = child_path(ext, "options");
        if (csi.plugin_name.empty()) v.add(child_path(options, "pluginName"), "must not be empty");
        if (is_read_only(csi.access_mode) && volume.mode != "RO") {
          v.add(at, "CSI volume must be mounted readonly with a read-only access mode");
        }
        if (!is_shareable(csi.access_mode)) non_shareable_csi = true;
        if (csi.access_mode == "MULTI_NODE_SINGLE_WRITER" && volume.mode == "RW") {
          single_writer_rw = true;
        }
      } else {
        v.add(child_path(ext, "provider"), "is unknown provider");
      }
    }
  }
  bool duplicate = false;
  for (const auto& [name, count] : dvdi_names) {
    if (count > 1) {
      duplicate = true;
      v.add(shown_path(path),
            "Requested DVDI volume '" + name + "' is declared more than once within app " + app.id);
    }
  }
  if (duplicate) v.add(child_path(path, "container"), "Volume names must be unique");
  if (!dvdi_names.empty() && app.instances > 1) {
    v.add(
        shown_path(path),
        "Number of instances is limited to 1 when declaring DVDI volumes in app [" + app.id + "]");
  }
  std::string instances = child_path(path, "instances");
  if (non_shareable_csi && app.instances > 1) {
    v.add(instances, got(std::to_string(app.instances),
                         "1 or less while non-shareable CSI volumes are defined"));
  } else if (single_writer_rw && app.instances > 1) {
    v.add(
        instances,
        got(std::to_string(app.instances),
            "1 or less while a multi-node single-writer volume is defined mounted as read/write"));
  }
}

void validate_container(const AppDefinition& app, const std::string& path, Violations& v) {
  const Container& container = *app.container;
  std::string at = child_path(path, "container");
  if (container.type != "DOCKER" && container.type != "MESOS") {
    v.add(child_path(at, "type"), "must be one of DOCKER, MESOS");
  }
  if (container.type == "DOCKER") {
    if (!container.docker) {
      v.add(child_path(at, "docker"), "must not be empty");
    } else if (container.docker->image.empty()) {
      v.add(child_path(at, "docker/image"), "must not be empty");
    }
  }
  validate_port_mappings(app, path, v);
  validate_volumes(app, path, v);
}

bool is_mesos_check(const HealthCheck& check) {
  return check.protocol == "COMMAND" || check.protocol.rfind("MESOS_", 0) == 0;
}

void validate_health_checks(const AppDefinition& app, const std::string& path, Violations& v) {
  std::string base = child_path(path, "healthChecks");
  std::size_t port_count = app.host_networking()
                               ? app.port_definitions.size()
                               : (app.container ? app.container->port_mappings.size() : 0);
  std::size_t mesos_checks = 0;
  for (std::size_t i = 0; i < app.health_checks.size(); ++i) {
    const HealthCheck& check = app.health_checks[i];
    std::string at = index_path(base, i);
    if (is_mesos_check(check)) ++mesos_checks;
    if (check.protocol == "COMMAND") {
      if (!check.command || check.command->empty()) {
        v.add(child_path(at, "command"), "must not be empty");
      }
    } else {
      if (check.port_index && check.port) {
        v.add(at, "Health check may specify either a port or a portIndex, not both");
      }
      if (check.port_index && *check.port_index >= port_count) {
        v.add(at,
              "Health check port indices must address an element of the ports array or "
              "container port mappings.");
      }
      if (check.port) port_in_range(v, child_path(at, "port"), *check.port);
    }
    at_least(v, child_path(at, "gracePeriodSeconds"), check.grace_period_seconds, std::int64_t{0});
    at_least(v, child_path(at, "intervalSeconds"), check.interval_seconds, std::int64_t{1});
    at_least(v, child_path(at, "timeoutSeconds"), check.timeout_seconds, std::int64_t{1});
    at_least(v, child_path(at, "maxConsecutiveFailures"), check.max_consecutive_failures,
             std::int64_t{0});
    at_least(v, child_path(at, "delaySeconds"), check.delay_seconds, std::int64_t{0});
  }
  if (mesos_checks > 1) {
    v.add(shown_path(path), "AppDefinition can contain at most one Mesos health check");
  }
}

void validate_readiness_checks(const AppDefinition& app, const std::string& path, Violations& v) {
  std::string base = child_path(path, "readinessChecks");
  if (app.readiness_checks.size() > 1) {
    v.add(base, got(std::to_string(app.readiness_checks.size()), "1 or less"));
  }
  std::set<std::string> port_names;
  for (const PortDefinition& definition : app.port_definitions) {
    if (definition.name) port_names.insert(*definition.name);
  }
  if (app.container) {
    for (const PortMapping& mapping : app.container->port_mappings) {
      if (mapping.name) port_names.insert(*mapping.name);
    }
  }
  for (std::size_t i = 0; i < app.readiness_checks.size(); ++i) {
    const ReadinessCheck& check = app.readiness_checks[i];
    std::string at = index_path(base, i);
    if (check.name.empty()) v.add(child_path(at, "name"), "must not be empty");
    if (check.path.empty()) v.add(child_path(at, "path"), "must not be empty");
    if (port_names.count(check.port_name) == 0) {
      v.add(child_path(at, "portName"),
            "readiness check portName must match the name of a port definition or port mapping");
    }
    at_least(v, child_path(at, "intervalSeconds"), check.interval_seconds, std::int64_t{1});
    at_least(v, child_path(at, "timeoutSeconds"), check.timeout_seconds, std::int64_t{1});
    if (check.http_status_codes_for_ready.empty()) {
      v.add(child_path(at, "httpStatusCodesForReady"), "must not be empty");
    }
  }
}

bool executor_matches(const std::string& executor) {
  // ^(//cmd)|(/?[^/]+(/[^/]+)*)|$
  if (executor.empty() || executor == "//cmd") return true;
  std::string rest = executor[0] == '/' ? executor.substr(1) : executor;
  if (rest.empty() || rest.back() == '/') return false;
  return rest.find("//") == std::string::npos && rest.front() != '/';
}

}  // namespace

bool is_valid_regex(const std::string& pattern) {
  try {
    std::regex compiled(pattern);
    return true;
  } catch (const std::regex_error&) {
    return false;
  }
}

void validate_app_at(const AppDefinition& app, const std::string& path, Violations& v,
                     bool with_constraints) {
  std::string root = shown_path(path);
  auto at = [&](std::string_view key) { return child_path(path, key); };

  if (!app.id.empty()) {
    if (is_root_id(app.id)) v.add(at("id"), std::string(kEmptyIdMessage));
    for (std::string& message : id_violations(app.id)) v.add(at("id"), std::move(message));
  }

  if (app.cmd && app.cmd->empty()) v.add(at("cmd"), "must not be an empty string");
  bool cmd = app.cmd && !app.cmd->empty();
  bool args = app.args.has_value() && !app.args->empty();
  if (!((cmd != args) || (!(cmd && args) && app.container))) {
    v.add(root, "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
  }

  at_least(v, at("instances"), app.instances, std::int64_t{0});
  at_least(v, at("cpus"), app.cpus, 0.001);
  at_least(v, at("mem"), app.mem, 0.0);
  at_least(v, at("disk"), app.disk, 0.0);
  at_least(v, at("gpus"), app.gpus, std::int64_t{0});
  if (app.gpus > 0 && app.container && app.container->type == "DOCKER") {
    v.add(root, "GPU resources only work with the Mesos containerizer");
  }
  at_least(v, at("backoffSeconds"), app.backoff_seconds, 0.0);
  at_least(v, at("backoffFactor"), app.backoff_factor, 1.0);
  at_least(v, at("maxLaunchDelaySeconds"), app.max_launch_delay_seconds, 0.0);
  if (app.task_kill_grace_period_seconds) {
    at_least(v, at("taskKillGracePeriodSeconds"), *app.task_kill_grace_period_seconds,
             std::int64_t{0});
  }
  if (!executor_matches(app.executor)) {
    v.add(at("executor"), "must fully match regular expression '^(//cmd)|(/?[^/]+(/[^/]+)*)|$'");
  }

  if (with_constraints) {
    for (std::size_t i = 0; i < app.constraints.size(); ++i) {
      validate_constraint(app.constraints[i], index_path(at("constraints"), i), v);
    }
  }
  for (std::size_t i = 0; i < app.accepted_resource_roles.size(); ++i) {
    if (app.accepted_resource_roles[i].empty()) {
      v.add(index_path(at("acceptedResourceRoles"), i), "must not be empty");
    }
  }
  if (app.role && app.role->empty()) v.add(at("role"), "must not be empty");

  validate_networks(app, path, v);
  validate_port_definitions(app, path, v);
  if (app.container) validate_container(app, path, v);
  validate_health_checks(app, path, v);
  validate_readiness_checks(app, path, v);

  for (std::size_t i = 0; i < app.fetch.size(); ++i) {
    if (app.fetch[i].uri.empty()) {
      v.add(child_path(index_path(at("fetch"), i), "uri"), "must not be empty");
    }
  }
  for (std::size_t i = 0; i < app.dependencies.size(); ++i) {
    for (std::string& message : id_violations(app.dependencies[i])) {
      v.add(index_path(at("dependencies"), i), std::move(message));
    }
  }
  for (const auto& [name, secret] : app.env_secrets) {
    if (app.secrets.count(secret) == 0) {
      v.add(child_path(at("env"), name), "references an undefined secret");
    }
  }
  for (const auto& [name, source] : app.secrets) {
    if (source.empty())
      v.add(child_path(child_path(at("secrets"), name), "source"), "must not be empty");
  }

  std::string upgrade = at("upgradeStrategy");
  std::string min_health = child_path(upgrade, "minimumHealthCapacity");
  std::string over = child_path(upgrade, "maximumOverCapacity");
  between(v, min_health, app.upgrade_strategy.minimum_health_capacity, 0.0, 1.0);
  between(v, over, app.upgrade_strategy.maximum_over_capacity, 0.0, 1.0);

  const UnreachableStrategy& unreachable = app.unreachable_strategy;
  if (!unreachable.disabled) {
    std::string u = at("unreachableStrategy");
    at_least(v, child_path(u, "inactiveAfterSeconds"), unreachable.inactive_after_seconds,
             std::int64_t{0});
    at_least(v, child_path(u, "expungeAfterSeconds"), unreachable.expunge_after_seconds,
             std::int64_t{0});
    if (unreachable.inactive_after_seconds > unreachable.expunge_after_seconds) {
      v.add(u, "inactiveAfterSeconds must be less or equal to expungeAfterSeconds");
    }
  }

  bool resident = app.has_persistent_volumes();
  if (resident || app.has_external_volumes()) {
    // Replacing an instance that holds a volume must not start the new one beside it.
    if (app.upgrade_strategy.maximum_over_capacity != 0.0) {
      v.add(over, got(scala_double(app.upgrade_strategy.maximum_over_capacity), "0.0"));
    }
  }
  if (resident) {
    if (!unreachable.disabled) {
      v.add(at("unreachableStrategy"), "unreachableStrategy must be disabled for resident tasks");
    }
    if (!app.accepted_resource_roles.empty() &&
        app.accepted_resource_roles != std::vector<std::string>{"*"}) {
      v.add(at("acceptedResourceRoles"),
            "A resident app must have `acceptedResourceRoles = [\"*\"]`.");
    }
    if (app.role && *app.role == "*") v.add(at("role"), "Resident apps cannot have the role *");
  } else if (app.residency) {
    v.add(root, "AppDefinition must contain persistent volumes and define residency");
  }

  auto single = app.labels.find("MARATHON_SINGLE_INSTANCE_APP");
  if (single != app.labels.end() && single->second == "true") {
    if (app.instances > 1) v.add(root, "Single instance app may only have one instance");
    if (app.upgrade_strategy.minimum_health_capacity != 0.0) {
      v.add(min_health, got(scala_double(app.upgrade_strategy.minimum_health_capacity), "0.0"));
    }
    if (app.upgrade_strategy.maximum_over_capacity != 0.0) {
      v.add(over, got(scala_double(app.upgrade_strategy.maximum_over_capacity), "0.0"));
    }
  }
}

}  // namespace berth::marathon::detail

namespace berth::marathon {

Status validate_app(const AppDefinition& app) {
  detail::Violations violations;
  detail::validate_app_at(app, "", violations);
  if (!violations.empty()) return invalid_fields(violations.take());
  return {};
}

}  // namespace berth::marathon
