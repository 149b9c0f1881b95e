// Reading an app body: typed fields, legacy conversion (§4.2, §18.1) and defaults (§4.1).
#include <algorithm>

#include "marathon/app_internal.h"
#include "marathon/path_id.h"

namespace berth::marathon::detail {

namespace {

const std::vector<std::string_view> kProtocols = {
    "HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"};
const std::vector<std::string_view> kAccessModes = {
    "SINGLE_NODE_WRITER", "SINGLE_NODE_READER_ONLY", "MULTI_NODE_READER_ONLY",
    "MULTI_NODE_SINGLE_WRITER", "MULTI_NODE_MULTI_WRITER"};

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) text += separator;
    text += parts[i];
  }
  return text;
}

std::optional<Constraint::Operator> constraint_operator(const std::string& name) {
  using Op = Constraint::Operator;
  static const std::vector<std::pair<std::string_view, Op>> kOperators = {
      {"UNIQUE", Op::kUnique}, {"CLUSTER", Op::kCluster}, {"GROUP_BY", Op::kGroupBy},
      {"LIKE", Op::kLike},     {"UNLIKE", Op::kUnlike},   {"MAX_PER", Op::kMaxPer},
      {"IS", Op::kIs}};
  for (const auto& [text, op] : kOperators) {
    if (name == text) return op;
  }
  return std::nullopt;
}

// The strings of one constraint (["hostname", "UNIQUE"]), or nullopt after type errors.
std::optional<std::vector<std::string>> read_constraint_strings(Reader& reader, const Json& value,
                                                                const std::string& path) {
  if (!reader.expect_array(value, path)) return std::nullopt;
  std::vector<std::string> parts;
  bool ok = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto text = reader.as_string(value[i], index_path(path, i));
    if (text) {
      parts.push_back(*text);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return parts;
}

std::vector<Constraint> read_constraints(Reader& reader, Violations& violations, const Json& body,
                                         const std::string& path) {
  std::vector<Constraint> constraints;
  const Json* values = reader.array(body, "constraints", path);
  if (values == nullptr) return constraints;
  std::string base = child_path(path, "constraints");
  for (std::size_t i = 0; i < values->size(); ++i) {
    std::string at = index_path(base, i);
    auto parts = read_constraint_strings(reader, (*values)[i], at);
    if (!parts) continue;
    if (parts->size() < 2 || parts->size() > 3 || (*parts)[0].empty() || (*parts)[1].empty()) {
      violations.add(at, "illegal constraint specification " + join(*parts, ","));
      continue;
    }
    auto op = constraint_operator((*parts)[1]);
    if (!op) {
      violations.add(at, "illegal constraint operator " + (*parts)[1]);
      continue;
    }
    Constraint constraint{(*parts)[0], *op, std::nullopt};
    if (parts->size() == 3) constraint.value = (*parts)[2];
    validate_constraint(constraint, at, violations);
    // Marathon keeps constraints as a set: a repeated one is the same constraint.
    if (std::find(constraints.begin(), constraints.end(), constraint) == constraints.end()) {
      constraints.push_back(std::move(constraint));
    }
  }
  return constraints;
}

// persistent.constraints: only ["path", LIKE|UNLIKE, "<regex>"] (§8.2).
std::vector<Constraint> read_volume_constraints(Reader& reader, Violations& violations,
                                                const Json& persistent, const std::string& path) {
  std::vector<Constraint> constraints;
  const Json* values = reader.array(persistent, "constraints", path);
  if (values == nullptr) return constraints;
  std::string base = child_path(path, "constraints");
  for (std::size_t i = 0; i < values->size(); ++i) {
    std::string at = index_path(base, i);
    auto parts = read_constraint_strings(reader, (*values)[i], at);
    if (!parts) continue;
    if (parts->size() < 2) {
      violations.add(at, "Missing field and operator");
      continue;
    }
    auto op = constraint_operator((*parts)[1]);
    if (!op) {
      violations.add(at, "unknown constraint operator " + (*parts)[1]);
      continue;
    }
    if (*op != Constraint::Operator::kLike && *op != Constraint::Operator::kUnlike) {
      violations.add(at, "Operator must be one of LIKE, UNLIKE");
      continue;
    }
    if ((*parts)[0] != "path" || parts->size() != 3) {
      violations.add(at, "Unsupported constraint " + join(*parts, ","));
      continue;
    }
    if (!is_valid_regex((*parts)[2])) {
      violations.add(at, "Invalid regular expression");
      continue;
    }
    constraints.push_back(Constraint{(*parts)[0], *op, (*parts)[2]});
  }
  return constraints;
}

PortMapping read_port_mapping(Reader& reader, const Json& value, const std::string& path) {
  PortMapping mapping;
  if (auto port = reader.int32(value, "containerPort", path)) {
    mapping.container_port = static_cast<std::uint32_t>(std::max<std::int64_t>(*port, 0));
    if (*port < 0) reader.error(child_path(path, "containerPort"), "error.expected.int");
  }
  if (auto port = reader.int32(value, "hostPort", path)) {
    mapping.host_port = static_cast<std::uint32_t>(std::max<std::int64_t>(*port, 0));
    if (*port < 0) reader.error(child_path(path, "hostPort"), "error.expected.int");
  }
  if (auto port = reader.int32(value, "servicePort", path)) {
    mapping.service_port = static_cast<std::uint32_t>(std::max<std::int64_t>(*port, 0));
    if (*port < 0) reader.error(child_path(path, "servicePort"), "error.expected.int");
  }
  if (auto protocol = reader.string(value, "protocol", path)) mapping.protocol = *protocol;
  mapping.name = reader.string(value, "name", path);
  if (auto labels = reader.string_map(value, "labels", path)) mapping.labels = *labels;
  return mapping;
}

std::vector<PortMapping> read_port_mappings(Reader& reader, const Json& values,
                                            const std::string& path) {
  std::vector<PortMapping> mappings;
  reader.for_each_object(values, path, [&](const Json& value, const std::string& at) {
    mappings.push_back(read_port_mapping(reader, value, at));
  });
  return mappings;
}

CsiOptions read_csi_options(Reader& reader, const Json& external, const std::string& path) {
  CsiOptions csi;
  const Json* options = reader.object(external, "options", path);
  if (options == nullptr) {
    if (Reader::find(external, "options") == nullptr) reader.missing(child_path(path, "options"));
    return csi;
  }
  std::string at = child_path(path, "options");
  if (auto name = reader.string(*options, "pluginName", at)) {
    csi.plugin_name = *name;
  } else if (Reader::find(*options, "pluginName") == nullptr) {
    reader.missing(child_path(at, "pluginName"));
  }
  if (const Json* capability = reader.object(*options, "capability", at)) {
    std::string cap = child_path(at, "capability");
    if (auto mode = reader.enumeration(*capability, "accessMode", cap, kAccessModes)) {
      csi.access_mode = *mode;
    } else if (Reader::find(*capability, "accessMode") == nullptr) {
      reader.missing(child_path(cap, "accessMode"));
    }
    if (auto type = reader.enumeration(*capability, "accessType", cap, {"mount", "block"})) {
      csi.access_type = *type;
    }
    csi.fs_type = reader.string(*capability, "fsType", cap);
    if (auto flags = reader.strings(*capability, "mountFlags", cap)) csi.mount_flags = *flags;
  } else if (Reader::find(*options, "capability") == nullptr) {
    reader.missing(child_path(at, "capability"));
  }
  if (auto secrets = reader.string_map(*options, "nodeStageSecret", at)) {
    csi.node_stage_secret = *secrets;
  }
  if (auto secrets = reader.string_map(*options, "nodePublishSecret", at)) {
    csi.node_publish_secret = *secrets;
  }
  if (auto context = reader.string_map(*options, "volumeContext", at)) {
    csi.volume_context = *context;
  }
  return csi;
}

ExternalVolume read_external(Reader& reader, const Json& external, const std::string& path) {
  ExternalVolume volume;
  if (auto name = reader.string(external, "name", path)) volume.name = *name;
  if (auto provider = reader.string(external, "provider", path)) volume.provider = *provider;
  volume.size = reader.int64(external, "size", path);
  if (auto shared = reader.boolean(external, "shared", path)) volume.shared = *shared;
  if (volume.provider == "csi") {
    volume.csi = read_csi_options(reader, external, path);
    return volume;
  }
  if (const Json* options = reader.object(external, "options", path)) {
    std::string at = child_path(path, "options");
    for (const auto& [key, value] : options->items()) {
      if (auto text = reader.as_string(value, key_path(at, key))) volume.options[key] = *text;
    }
  }
  return volume;
}

Volume read_volume(Reader& reader, Violations& violations, const Json& value,
                   const std::string& path) {
  Volume volume;
  if (auto container_path = reader.string(value, "containerPath", path)) {
    volume.container_path = *container_path;
  } else if (Reader::find(value, "containerPath") == nullptr) {
    reader.missing(child_path(path, "containerPath"));
  }
  volume.host_path = reader.string(value, "hostPath", path);
  if (auto mode = reader.enumeration(value, "mode", path, {"RO", "RW"})) volume.mode = *mode;
  if (const Json* persistent = reader.object(value, "persistent", path)) {
    std::string at = child_path(path, "persistent");
    PersistentVolume p;
    p.profile_name = reader.string(*persistent, "profileName", at);
    if (p.profile_name) p.type = "mount";
    if (auto type = reader.enumeration(*persistent, "type", at, {"root", "path", "mount"})) {
      p.type = *type;
    }
    if (auto size = reader.int64(*persistent, "size", at)) {
      p.size = *size;
    } else if (Reader::find(*persistent, "size") == nullptr) {
      reader.missing(child_path(at, "size"));
    }
    p.max_size = reader.int64(*persistent, "maxSize", at);
    p.constraints = read_volume_constraints(reader, violations, *persistent, at);
    volume.persistent = std::move(p);
  }
  if (const Json* external = reader.object(value, "external", path)) {
    volume.external = read_external(reader, *external, child_path(path, "external"));
  }
  bool secret = Reader::find(value, "secret") != nullptr;
  if (secret) {
    // Secret volumes need a secret store, which Berth does not have.
    violations.add(child_path(path, "secret"), "secret volumes are not supported");
  }
  int kinds = (volume.host_path ? 1 : 0) + (volume.persistent ? 1 : 0) + (volume.external ? 1 : 0) +
              (secret ? 1 : 0);
  if (kinds == 0) {
    violations.add(path, "must specify one of hostPath, persistent, external or secret");
  } else if (kinds > 1) {
    violations.add(path, "must specify only one of hostPath, persistent, external or secret");
  }
  return volume;
}

// What the container object said in legacy form (container.docker.network/portMappings).
struct LegacyContainer {
  std::optional<std::string> docker_network;
  std::optional<std::vector<PortMapping>> docker_port_mappings;
  std::optional<std::vector<PortMapping>> port_mappings;
};

Container read_container(Reader& reader, Violations& violations, const Json& value,
                         const std::string& path, LegacyContainer& legacy) {
  Container container;
  if (auto type = reader.enumeration(value, "type", path, {"DOCKER", "MESOS"})) {
    container.type = *type;
  }
  if (const Json* docker = reader.object(value, "docker", path)) {
    std::string at = child_path(path, "docker");
    DockerSettings settings;
    if (auto image = reader.string(*docker, "image", at)) {
      settings.image = *image;
    } else if (Reader::find(*docker, "image") == nullptr) {
      reader.missing(child_path(at, "image"));
    }
    if (auto privileged = reader.boolean(*docker, "privileged", at)) {
      settings.privileged = *privileged;
    }
    if (auto pull = reader.boolean(*docker, "forcePullImage", at))
      settings.force_pull_image = *pull;
    if (const Json* parameters = reader.array(*docker, "parameters", at)) {
      std::string base = child_path(at, "parameters");
      for (std::size_t i = 0; i < parameters->size(); ++i) {
        std::string p = index_path(base, i);
        const Json& parameter = (*parameters)[i];
        if (!reader.expect_object(parameter, p)) continue;
        auto key = reader.string(parameter, "key", p);
        auto text = reader.string(parameter, "value", p);
        if (!key && Reader::find(parameter, "key") == nullptr) reader.missing(child_path(p, "key"));
        if (!text && Reader::find(parameter, "value") == nullptr) {
          reader.missing(child_path(p, "value"));
        }
        if (key && text) settings.parameters.emplace_back(*key, *text);
      }
    }
    legacy.docker_network =
        reader.enumeration(*docker, "network", at, {"BRIDGE", "HOST", "USER", "NONE"});
    if (const Json* mappings = reader.array(*docker, "portMappings", at)) {
      legacy.docker_port_mappings =
          read_port_mappings(reader, *mappings, child_path(at, "portMappings"));
    }
    container.docker = std::move(settings);
  }
  if (const Json* mappings = reader.array(value, "portMappings", path)) {
    legacy.port_mappings = read_port_mappings(reader, *mappings, child_path(path, "portMappings"));
  }
  if (const Json* volumes = reader.array(value, "volumes", path)) {
    std::string base = child_path(path, "volumes");
    for (std::size_t i = 0; i < volumes->size(); ++i) {
      std::string at = index_path(base, i);
      if (!reader.expect_object((*volumes)[i], at)) continue;
      container.volumes.push_back(read_volume(reader, violations, (*volumes)[i], at));
    }
  }
  return container;
}

std::vector<Network> read_networks(Reader& reader, const Json& values, const std::string& path) {
  std::vector<Network> networks;
  reader.for_each_object(values, path, [&](const Json& value, const std::string& at) {
    Network network;
    if (auto mode =
            reader.enumeration(value, "mode", at, {"host", "container", "container/bridge"})) {
      network.mode = *mode;
    }
    network.name = reader.string(value, "name", at);
    if (auto labels = reader.string_map(value, "labels", at)) network.labels = *labels;
    networks.push_back(std::move(network));
  });
  return networks;
}

std::vector<PortDefinition> read_port_definitions(Reader& reader, const Json& values,
                                                  const std::string& path) {
  std::vector<PortDefinition> definitions;
  reader.for_each_object(values, path, [&](const Json& value, const std::string& at) {
    PortDefinition definition;
    if (auto port = reader.int32(value, "port", at)) {
      if (*port < 0) {
        reader.error(child_path(at, "port"), "error.expected.int");
      } else {
        definition.port = static_cast<std::uint32_t>(*port);
      }
    }
    if (auto protocol = reader.string(value, "protocol", at)) definition.protocol = *protocol;
    definition.name = reader.string(value, "name", at);
    if (auto labels = reader.string_map(value, "labels", at)) definition.labels = *labels;
    definitions.push_back(std::move(definition));
  });
  return definitions;
}

// Legacy `uris` entries are fetched and extracted when they name an archive (Marathon's
// FetchUri.isExtract).
bool is_archive(const std::string& uri) {
  static const std::vector<std::string_view> kSuffixes = {".tgz", ".tar.gz", ".tbz2", ".tar.bz2",
                                                          ".txz", ".tar.xz", ".zip"};
  return std::any_of(kSuffixes.begin(), kSuffixes.end(), [&](std::string_view suffix) {
    return uri.size() >= suffix.size() && uri.compare(uri.size() - suffix.size(), suffix.size(),
                                                      suffix.data(), suffix.size()) == 0;
  });
}

std::vector<FetchUri> read_fetch(Reader& reader, const Json& values, const std::string& path) {
  std::vector<FetchUri> fetch;
  reader.for_each_object(values, path, [&](const Json& value, const std::string& at) {
    FetchUri uri;
    if (auto text = reader.string(value, "uri", at)) {
      uri.uri = *text;
    } else if (Reader::find(value, "uri") == nullptr) {
      reader.missing(child_path(at, "uri"));
    }
    if (auto extract = reader.boolean(value, "extract", at)) uri.extract = *extract;
    if (auto executable = reader.boolean(value, "executable", at)) {
      uri.executable = *executable;
    }
    if (auto cache = reader.boolean(value, "cache", at)) uri.cache = *cache;
    uri.dest_path = reader.string(value, "destPath", at);
    fetch.push_back(std::move(uri));
  });
  return fetch;
}

HealthCheck read_health_check(Reader& reader, const Json& value, const std::string& path) {
  HealthCheck check;
  if (auto protocol = reader.enumeration(value, "protocol", path, kProtocols)) {
    check.protocol = *protocol;
  }
  bool http = check.protocol == "HTTP" || check.protocol == "HTTPS" ||
              check.protocol == "MESOS_HTTP" || check.protocol == "MESOS_HTTPS";
  auto path_text = reader.string(value, "path", path);
  if (http && path_text) check.path = *path_text;
  if (auto index = reader.int32(value, "portIndex", path)) {
    if (*index < 0) {
      reader.error(child_path(path, "portIndex"), "error.expected.int");
    } else {
      check.port_index = static_cast<std::uint32_t>(*index);
    }
  }
  if (auto port = reader.int32(value, "port", path)) {
    if (*port < 0) {
      reader.error(child_path(path, "port"), "error.expected.int");
    } else {
      check.port = static_cast<std::uint32_t>(*port);
    }
  }
  if (const Json* command = Reader::find(value, "command")) {
    std::string at = child_path(path, "command");
    if (command->is_string()) {
      check.command = command->get<std::string>();
    } else if (reader.expect_object(*command, at)) {
      check.command = reader.string(*command, "value", at);
      if (!check.command && Reader::find(*command, "value") == nullptr) {
        reader.missing(child_path(at, "value"));
      }
    }
  }
  if (check.protocol != "COMMAND" && !check.port_index && !check.port) check.port_index = 0;
  if (auto seconds = reader.int64(value, "gracePeriodSeconds", path)) {
    check.grace_period_seconds = *seconds;
  }
  if (auto seconds = reader.int64(value, "intervalSeconds", path))
    check.interval_seconds = *seconds;
  if (auto seconds = reader.int64(value, "timeoutSeconds", path)) check.timeout_seconds = *seconds;
  if (auto failures = reader.int32(value, "maxConsecutiveFailures", path)) {
    check.max_consecutive_failures = *failures;
  }
  if (auto seconds = reader.int64(value, "delaySeconds", path)) check.delay_seconds = *seconds;
  if (auto ignore = reader.boolean(value, "ignoreHttp1xx", path)) {
    if (http) check.ignore_http1xx = *ignore;
  }
  if (auto ip = reader.enumeration(value, "ipProtocol", path, {"IPv4", "IPv6"})) {
    check.ip_protocol = *ip;
  }
  return check;
}

ReadinessCheck read_readiness_check(Reader& reader, const Json& value, const std::string& path) {
  ReadinessCheck check;
  if (auto name = reader.string(value, "name", path)) check.name = *name;
  if (auto protocol = reader.enumeration(value, "protocol", path, {"HTTP", "HTTPS"})) {
    check.protocol = *protocol;
  }
  if (auto text = reader.string(value, "path", path)) check.path = *text;
  if (auto port = reader.string(value, "portName", path)) check.port_name = *port;
  if (auto seconds = reader.int64(value, "intervalSeconds", path))
    check.interval_seconds = *seconds;
  if (auto seconds = reader.int64(value, "timeoutSeconds", path)) check.timeout_seconds = *seconds;
  if (const Json* codes = reader.array(value, "httpStatusCodesForReady", path)) {
    check.http_status_codes_for_ready.clear();
    std::string at = child_path(path, "httpStatusCodesForReady");
    for (std::size_t i = 0; i < codes->size(); ++i) {
      if (auto code = reader.as_int32((*codes)[i], index_path(at, i))) {
        check.http_status_codes_for_ready.push_back(static_cast<int>(*code));
      }
    }
  }
  if (auto preserve = reader.boolean(value, "preserveLastResponse", path)) {
    check.preserve_last_response = *preserve;
  }
  return check;
}

void read_env(Reader& reader, const Json& body, const std::string& path, AppDefinition& app) {
  const Json* env = reader.object(body, "env", path);
  if (env == nullptr) return;
  std::string base = child_path(path, "env");
  for (const auto& [name, value] : env->items()) {
    std::string at = child_path(base, name);
    if (value.is_string()) {
      app.env[name] = value.get<std::string>();
    } else if (value.is_object()) {
      if (auto secret = reader.string(value, "secret", at)) {
        app.env_secrets[name] = *secret;
      } else if (Reader::find(value, "secret") == nullptr) {
        reader.missing(child_path(at, "secret"));
      }
    } else {
      reader.error(at, "error.expected.jsstring");
    }
  }
}

void read_secrets(Reader& reader, const Json& body, const std::string& path, AppDefinition& app) {
  const Json* secrets = reader.object(body, "secrets", path);
  if (secrets == nullptr) return;
  std::string base = child_path(path, "secrets");
  for (const auto& [name, value] : secrets->items()) {
    std::string at = child_path(base, name);
    if (!reader.expect_object(value, at)) continue;
    if (auto source = reader.string(value, "source", at)) {
      app.secrets[name] = *source;
    } else if (Reader::find(value, "source") == nullptr) {
      reader.missing(child_path(at, "source"));
    }
  }
}

void read_strategies(Reader& reader, const Json& body, const std::string& path,
                     AppDefinition& app) {
  bool resident = app.has_persistent_volumes();
  bool keeps_volumes = resident || app.has_external_volumes();
  if (const Json* upgrade = reader.object(body, "upgradeStrategy", path)) {
    std::string at = child_path(path, "upgradeStrategy");
    if (auto value = reader.number(*upgrade, "minimumHealthCapacity", at)) {
      app.upgrade_strategy.minimum_health_capacity = *value;
    }
    if (auto value = reader.number(*upgrade, "maximumOverCapacity", at)) {
      app.upgrade_strategy.maximum_over_capacity = *value;
    }
  } else if (keeps_volumes && Reader::find(body, "upgradeStrategy") == nullptr) {
    // An instance with a volume cannot run next to its replacement: replace one at a time.
    app.upgrade_strategy = UpgradeStrategy{0.5, 0.0};
  }

  const Json* unreachable = Reader::find(body, "unreachableStrategy");
  std::string at = child_path(path, "unreachableStrategy");
  if (unreachable == nullptr) {
    app.unreachable_strategy.disabled = resident;
  } else if (unreachable->is_string()) {
    if (unreachable->get<std::string>() == "disabled") {
      app.unreachable_strategy.disabled = true;
    } else {
      reader.error(at, "error.unknown.enum.literal");
    }
  } else if (reader.expect_object(*unreachable, at)) {
    if (auto seconds = reader.int64(*unreachable, "inactiveAfterSeconds", at)) {
      app.unreachable_strategy.inactive_after_seconds = *seconds;
    }
    if (auto seconds = reader.int64(*unreachable, "expungeAfterSeconds", at)) {
      app.unreachable_strategy.expunge_after_seconds = *seconds;
    }
  }

  if (auto kill =
          reader.enumeration(body, "killSelection", path, {"YOUNGEST_FIRST", "OLDEST_FIRST"})) {
    app.kill_selection =
        *kill == "OLDEST_FIRST" ? KillSelection::kOldestFirst : KillSelection::kYoungestFirst;
  }

  if (const Json* residency = reader.object(body, "residency", path)) {
    std::string r = child_path(path, "residency");
    Residency value;
    if (auto seconds = reader.int64(*residency, "relaunchEscalationTimeoutSeconds", r)) {
      value.relaunch_escalation_timeout_seconds = *seconds;
    }
    if (auto behavior = reader.enumeration(*residency, "taskLostBehavior", r,
                                           {"WAIT_FOREVER", "RELAUNCH_AFTER_TIMEOUT"})) {
      value.task_lost_behavior = *behavior;
    }
    app.residency = value;
  } else if (resident) {
    app.residency = Residency{};
  }
}

// networks, ipAddress and container.docker.network become `networks` (§4.2).
void resolve_networks(Reader& reader, Violations& violations, const Json& body,
                      const std::string& path, const LegacyContainer& legacy, AppDefinition& app) {
  const Json* networks_json = reader.array(body, "networks", path);
  const Json* ip_address = reader.object(body, "ipAddress", path);
  std::string root = shown_path(path);
  if (networks_json != nullptr) {
    app.networks = read_networks(reader, *networks_json, child_path(path, "networks"));
    if (ip_address != nullptr) violations.add(root, "must not specify both networks and ipAddress");
    if (legacy.docker_network) {
      violations.add(root, "must not specify both container.docker.network and networks");
    }
  } else if (ip_address != nullptr) {
    std::string at = child_path(path, "ipAddress");
    Network network{"container", reader.string(*ip_address, "networkName", at), {}};
    if (auto labels = reader.string_map(*ip_address, "labels", at)) network.labels = *labels;
    app.networks = {std::move(network)};
  } else if (legacy.docker_network) {
    if (*legacy.docker_network == "BRIDGE") {
      app.networks = {Network{"container/bridge", std::nullopt, {}}};
    } else if (*legacy.docker_network == "USER" || *legacy.docker_network == "NONE") {
      app.networks = {Network{"container", std::nullopt, {}}};
    }
  }
  // The canonical form of host networking is no networks at all.
  if (app.networks.size() == 1 && app.networks[0] == Network{}) app.networks.clear();
}

// ports, portDefinitions, container.portMappings and container.docker.portMappings (§4.2, §6).
void resolve_ports(Reader& reader, Violations& violations, const Json& body,
                   const std::string& path, const LegacyContainer& legacy, AppDefinition& app) {
  std::optional<std::vector<std::int64_t>> ports;
  if (const Json* values = reader.array(body, "ports", path)) {
    ports.emplace();
    std::string at = child_path(path, "ports");
    for (std::size_t i = 0; i < values->size(); ++i) {
      if (auto port = reader.as_int32((*values)[i], index_path(at, i))) ports->push_back(*port);
    }
  }
  std::optional<std::vector<PortDefinition>> definitions;
  if (const Json* values = reader.array(body, "portDefinitions", path)) {
    definitions = read_port_definitions(reader, *values, child_path(path, "portDefinitions"));
  }
  if (ports && !ports->empty() && definitions && !definitions->empty()) {
    violations.add(shown_path(path), "cannot specify both ports and port definitions");
  }
  std::optional<std::vector<PortMapping>> mappings = legacy.port_mappings;
  if (legacy.docker_port_mappings) {
    if (mappings && !mappings->empty() && !legacy.docker_port_mappings->empty()) {
      violations.add(child_path(path, "container/docker/portMappings"),
                     "may not be set in conjunction with container.portMappings");
    } else if (!mappings || mappings->empty()) {
      mappings = legacy.docker_port_mappings;
    }
  }

  if (app.host_networking()) {
    if (definitions) {
      app.port_definitions = *definitions;
    } else if (ports) {
      app.port_definitions.clear();
      for (std::int64_t port : *ports) {
        app.port_definitions.push_back(PortDefinition{
            static_cast<std::uint32_t>(std::max<std::int64_t>(port, 0)), "tcp", std::nullopt, {}});
      }
    }
    if (mappings && !mappings->empty()) {
      if (!app.container) app.container = Container{};
      app.container->port_mappings = *mappings;
    }
    return;
  }

  app.port_definitions.clear();
  if (definitions && !definitions->empty()) app.port_definitions = *definitions;
  // A container network needs a container; Marathon supplies a Mesos one.
  if (!app.container) app.container = Container{"MESOS", std::nullopt, {}, {}};
  bool bridge = app.networks.front().mode == "container/bridge";
  if (mappings) {
    app.container->port_mappings = *mappings;
  } else if (ports) {
    // Legacy bridge apps listed service ports; they only say how many mappings there are.
    for (std::int64_t port : *ports) {
      PortMapping mapping;
      mapping.container_port = 0;
      if (bridge) mapping.host_port = 0;
      mapping.service_port = static_cast<std::uint32_t>(std::max<std::int64_t>(port, 0));
      app.container->port_mappings.push_back(std::move(mapping));
    }
  } else {
    PortMapping mapping;
    mapping.container_port = 0;
    if (bridge) mapping.host_port = 0;
    mapping.name = "default";
    app.container->port_mappings.push_back(std::move(mapping));
  }
}

}  // namespace

AppDefinition read_app(Reader& reader, Violations& violations, const Json& body,
                       const std::string& path, const AppReadOptions& options) {
  AppDefinition app;
  if (!reader.expect_object(body, path)) return app;
  std::string id_path = child_path(path, "id");

  if (options.id) {
    app.id = *options.id;
  } else if (auto id = reader.string(body, "id", path)) {
    for (std::string& message : id_violations(*id)) violations.add(id_path, std::move(message));
    app.id = canonical_id(*id, options.base);
  } else if (Reader::find(body, "id") == nullptr) {
    reader.missing(id_path);
  }
  if (options.required_parent && !is_child_of(app.id, *options.required_parent)) {
    violations.add(id_path, not_child_message(*options.required_parent));
  }

  bool has_container = Reader::find(body, "container") != nullptr;
  app.cmd = reader.string(body, "cmd", path);
  // Marathon 0.x accepted "cmd":"" next to a container and real app definitions still send it.
  if (app.cmd && app.cmd->empty() && has_container) app.cmd.reset();
  if (Reader::find(body, "args") != nullptr) app.args = reader.strings(body, "args", path);

  LegacyContainer legacy;
  if (const Json* container = reader.object(body, "container", path)) {
    app.container =
        read_container(reader, violations, *container, child_path(path, "container"), legacy);
  }

  if (auto instances = reader.int32(body, "instances", path)) app.instances = *instances;
  if (auto cpus = reader.number(body, "cpus", path)) app.cpus = *cpus;
  if (auto mem = reader.number(body, "mem", path)) app.mem = *mem;
  if (auto disk = reader.number(body, "disk", path)) app.disk = *disk;
  if (auto gpus = reader.int32(body, "gpus", path)) app.gpus = *gpus;
  read_env(reader, body, path, app);
  if (auto labels = reader.string_map(body, "labels", path)) app.labels = *labels;
  app.constraints = read_constraints(reader, violations, body, path);
  if (auto roles = reader.strings(body, "acceptedResourceRoles", path)) {
    app.accepted_resource_roles = *roles;
  }
  app.role = reader.string(body, "role", path);
  if (auto executor = reader.string(body, "executor", path)) app.executor = *executor;
  if (auto value = reader.number(body, "backoffSeconds", path)) app.backoff_seconds = *value;
  if (auto value = reader.number(body, "backoffFactor", path)) app.backoff_factor = *value;
  if (auto value = reader.number(body, "maxLaunchDelaySeconds", path)) {
    app.max_launch_delay_seconds = *value;
  }
  if (auto value = reader.boolean(body, "requirePorts", path)) app.require_ports = *value;
  app.user = reader.string(body, "user", path);
  app.task_kill_grace_period_seconds = reader.int64(body, "taskKillGracePeriodSeconds", path);

  resolve_networks(reader, violations, body, path, legacy, app);
  resolve_ports(reader, violations, body, path, legacy, app);

  const Json* fetch = reader.array(body, "fetch", path);
  if (fetch != nullptr) app.fetch = read_fetch(reader, *fetch, child_path(path, "fetch"));
  if (auto uris = reader.strings(body, "uris", path)) {
    if (fetch != nullptr && !fetch->empty() && !uris->empty()) {
      violations.add(child_path(path, "uris"), "may not be set in conjunction with fetch");
    } else if (fetch == nullptr || fetch->empty()) {
      for (const std::string& uri : *uris) {
        app.fetch.push_back(FetchUri{uri, is_archive(uri), false, false, std::nullopt});
      }
    }
  }

  if (const Json* checks = reader.array(body, "healthChecks", path)) {
    std::string base = child_path(path, "healthChecks");
    for (std::size_t i = 0; i < checks->size(); ++i) {
      std::string at = index_path(base, i);
      if (!reader.expect_object((*checks)[i], at)) continue;
      app.health_checks.push_back(read_health_check(reader, (*checks)[i], at));
    }
  }
  if (const Json* checks = reader.array(body, "readinessChecks", path)) {
    std::string base = child_path(path, "readinessChecks");
    for (std::size_t i = 0; i < checks->size(); ++i) {
      std::string at = index_path(base, i);
      if (!reader.expect_object((*checks)[i], at)) continue;
      app.readiness_checks.push_back(read_readiness_check(reader, (*checks)[i], at));
    }
  }

  if (auto dependencies = reader.strings(body, "dependencies", path)) {
    std::string base = child_path(path, "dependencies");
    std::string parent = parent_id(app.id.empty() ? "/" : app.id);
    for (std::size_t i = 0; i < dependencies->size(); ++i) {
      const std::string& dependency = (*dependencies)[i];
      for (std::string& message : id_violations(dependency)) {
        violations.add(index_path(base, i), std::move(message));
      }
      std::string resolved = canonical_id(dependency, parent);
      if (std::find(app.dependencies.begin(), app.dependencies.end(), resolved) ==
          app.dependencies.end()) {
        app.dependencies.push_back(std::move(resolved));
      }
    }
  }

  read_strategies(reader, body, path, app);
  read_secrets(reader, body, path, app);

  if (auto version = reader.timestamp(body, "version", path)) app.version = *version;
  if (const Json* info = reader.object(body, "versionInfo", path)) {
    std::string at = child_path(path, "versionInfo");
    if (auto time = reader.timestamp(*info, "lastScalingAt", at)) {
      app.version_info.last_scaling_at = *time;
    }
    if (auto time = reader.timestamp(*info, "lastConfigChangeAt", at)) {
      app.version_info.last_config_change_at = *time;
    }
  }

  validate_app_at(app, path, violations, /*with_constraints=*/false);
  return app;
}

}  // namespace berth::marathon::detail
