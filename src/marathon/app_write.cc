// The canonical App and AppInfo JSON (marathon-api.md §4.2, §4.3) restricted to the keys that
// python3-marathon accepts (§17.2).
#include "common/time_format.h"
#include "marathon/app_internal.h"
#include "marathon/app_json.h"

namespace berth::marathon::detail {

namespace {

const char* operator_name(Constraint::Operator op) {
  switch (op) {
    case Constraint::Operator::kUnique:
      return "UNIQUE";
    case Constraint::Operator::kCluster:
      return "CLUSTER";
    case Constraint::Operator::kGroupBy:
      return "GROUP_BY";
    case Constraint::Operator::kLike:
      return "LIKE";
    case Constraint::Operator::kUnlike:
      return "UNLIKE";
    case Constraint::Operator::kMaxPer:
      return "MAX_PER";
    case Constraint::Operator::kIs:
      return "IS";
  }
  return "UNIQUE";
}

OrderedJson constraint_value(const Constraint& constraint) {
  OrderedJson value = OrderedJson::array({constraint.field, operator_name(constraint.op)});
  if (constraint.value) value.push_back(*constraint.value);
  return value;
}

OrderedJson labels_value(const std::map<std::string, std::string>& labels) {
  OrderedJson value = OrderedJson::object();
  for (const auto& [key, text] : labels) value[key] = text;
  return value;
}

OrderedJson port_mapping_value(const PortMapping& mapping) {
  OrderedJson value = OrderedJson::object();
  if (mapping.container_port) value["containerPort"] = *mapping.container_port;
  if (mapping.host_port) value["hostPort"] = *mapping.host_port;
  if (mapping.service_port) value["servicePort"] = *mapping.service_port;
  value["protocol"] = mapping.protocol;
  if (mapping.name) value["name"] = *mapping.name;
  value["labels"] = labels_value(mapping.labels);
  return value;
}

OrderedJson external_value(const ExternalVolume& external) {
  OrderedJson value = OrderedJson::object();
  value["name"] = external.name;
  value["provider"] = external.provider;
  if (external.size) value["size"] = *external.size;
  if (external.csi) {
    const CsiOptions& csi = *external.csi;
    OrderedJson capability = OrderedJson::object();
    capability["accessMode"] = csi.access_mode;
    capability["accessType"] = csi.access_type;
    if (csi.fs_type) capability["fsType"] = *csi.fs_type;
    capability["mountFlags"] = csi.mount_flags;
    OrderedJson options = OrderedJson::object();
    options["pluginName"] = csi.plugin_name;
    options["capability"] = std::move(capability);
    options["nodeStageSecret"] = labels_value(csi.node_stage_secret);
    options["nodePublishSecret"] = labels_value(csi.node_publish_secret);
    options["volumeContext"] = labels_value(csi.volume_context);
    value["options"] = std::move(options);
  } else {
    value["options"] = labels_value(external.options);
  }
  if (external.shared) value["shared"] = true;
  return value;
}

OrderedJson volume_value(const Volume& volume) {
  OrderedJson value = OrderedJson::object();
  value["containerPath"] = volume.container_path;
  if (volume.host_path) value["hostPath"] = *volume.host_path;
  value["mode"] = volume.mode;
  if (volume.persistent) {
    const PersistentVolume& p = *volume.persistent;
    OrderedJson persistent = OrderedJson::object();
    persistent["type"] = p.type;
    persistent["size"] = p.size;
    if (p.max_size) persistent["maxSize"] = *p.max_size;
    if (p.profile_name) persistent["profileName"] = *p.profile_name;
    if (!p.constraints.empty()) {
      OrderedJson constraints = OrderedJson::array();
      for (const Constraint& c : p.constraints) constraints.push_back(constraint_value(c));
      persistent["constraints"] = std::move(constraints);
    }
    value["persistent"] = std::move(persistent);
  }
  if (volume.external) value["external"] = external_value(*volume.external);
  return value;
}

OrderedJson container_value(const Container& container) {
  OrderedJson value = OrderedJson::object();
  value["type"] = container.type;
  if (container.docker) {
    const DockerSettings& settings = *container.docker;
    OrderedJson docker = OrderedJson::object();
    docker["image"] = settings.image;
    docker["privileged"] = settings.privileged;
    docker["forcePullImage"] = settings.force_pull_image;
    OrderedJson parameters = OrderedJson::array();
    for (const auto& [key, text] : settings.parameters) {
      parameters.push_back(OrderedJson{{"key", key}, {"value", text}});
    }
    docker["parameters"] = std::move(parameters);
    value["docker"] = std::move(docker);
  }
  OrderedJson mappings = OrderedJson::array();
  for (const PortMapping& mapping : container.port_mappings) {
    mappings.push_back(port_mapping_value(mapping));
  }
  value["portMappings"] = std::move(mappings);
  OrderedJson volumes = OrderedJson::array();
  for (const Volume& volume : container.volumes) volumes.push_back(volume_value(volume));
  value["volumes"] = std::move(volumes);
  return value;
}

OrderedJson health_check_value(const HealthCheck& check) {
  OrderedJson value = OrderedJson::object();
  value["protocol"] = check.protocol;
  bool http = check.protocol == "HTTP" || check.protocol == "HTTPS" ||
              check.protocol == "MESOS_HTTP" || check.protocol == "MESOS_HTTPS";
  if (http) value["path"] = check.path;
  if (check.port_index) value["portIndex"] = *check.port_index;
  if (check.port) value["port"] = *check.port;
  if (check.command) value["command"] = OrderedJson{{"value", *check.command}};
  value["gracePeriodSeconds"] = check.grace_period_seconds;
  value["intervalSeconds"] = check.interval_seconds;
  value["timeoutSeconds"] = check.timeout_seconds;
  value["maxConsecutiveFailures"] = check.max_consecutive_failures;
  value["delaySeconds"] = check.delay_seconds;
  if (http) value["ignoreHttp1xx"] = check.ignore_http1xx;
  value["ipProtocol"] = check.ip_protocol;
  return value;
}

OrderedJson readiness_check_value(const ReadinessCheck& check) {
  OrderedJson value = OrderedJson::object();
  value["name"] = check.name;
  value["protocol"] = check.protocol;
  value["path"] = check.path;
  value["portName"] = check.port_name;
  value["intervalSeconds"] = check.interval_seconds;
  value["timeoutSeconds"] = check.timeout_seconds;
  value["httpStatusCodesForReady"] = check.http_status_codes_for_ready;
  value["preserveLastResponse"] = check.preserve_last_response;
  return value;
}

}  // namespace

OrderedJson app_value(const AppDefinition& app) {
  OrderedJson value = OrderedJson::object();
  value["id"] = app.id;
  if (app.cmd) value["cmd"] = *app.cmd;
  if (app.args) value["args"] = *app.args;
  if (app.user) value["user"] = *app.user;
  OrderedJson env = OrderedJson::object();
  for (const auto& [name, text] : app.env) env[name] = text;
  for (const auto& [name, secret] : app.env_secrets) env[name] = OrderedJson{{"secret", secret}};
  value["env"] = std::move(env);
  value["instances"] = app.instances;
  value["cpus"] = app.cpus;
  value["mem"] = app.mem;
  value["disk"] = app.disk;
  value["gpus"] = app.gpus;
  value["executor"] = app.executor;
  OrderedJson constraints = OrderedJson::array();
  for (const Constraint& c : app.constraints) constraints.push_back(constraint_value(c));
  value["constraints"] = std::move(constraints);
  if (app.container) value["container"] = container_value(*app.container);
  OrderedJson health = OrderedJson::array();
  for (const HealthCheck& check : app.health_checks) health.push_back(health_check_value(check));
  value["healthChecks"] = std::move(health);
  OrderedJson readiness = OrderedJson::array();
  for (const ReadinessCheck& check : app.readiness_checks) {
    readiness.push_back(readiness_check_value(check));
  }
  value["readinessChecks"] = std::move(readiness);
  value["dependencies"] = app.dependencies;
  value["upgradeStrategy"] =
      OrderedJson{{"minimumHealthCapacity", app.upgrade_strategy.minimum_health_capacity},
                  {"maximumOverCapacity", app.upgrade_strategy.maximum_over_capacity}};
  if (app.unreachable_strategy.disabled) {
    value["unreachableStrategy"] = "disabled";
  } else {
    value["unreachableStrategy"] =
        OrderedJson{{"inactiveAfterSeconds", app.unreachable_strategy.inactive_after_seconds},
                    {"expungeAfterSeconds", app.unreachable_strategy.expunge_after_seconds}};
  }
  value["killSelection"] =
      app.kill_selection == KillSelection::kOldestFirst ? "OLDEST_FIRST" : "YOUNGEST_FIRST";
  value["labels"] = labels_value(app.labels);
  if (!app.accepted_resource_roles.empty()) {
    value["acceptedResourceRoles"] = app.accepted_resource_roles;
  }
  if (app.role) value["role"] = *app.role;
  value["backoffSeconds"] = app.backoff_seconds;
  value["backoffFactor"] = app.backoff_factor;
  value["maxLaunchDelaySeconds"] = app.max_launch_delay_seconds;
  value["requirePorts"] = app.require_ports;
  OrderedJson definitions = OrderedJson::array();
  for (const PortDefinition& definition : app.port_definitions) {
    OrderedJson port = OrderedJson::object();
    port["port"] = definition.port;
    port["protocol"] = definition.protocol;
    if (definition.name) port["name"] = *definition.name;
    port["labels"] = labels_value(definition.labels);
    definitions.push_back(std::move(port));
  }
  value["portDefinitions"] = std::move(definitions);
  OrderedJson networks = OrderedJson::array();
  if (app.networks.empty()) networks.push_back(OrderedJson{{"mode", "host"}});
  for (const Network& network : app.networks) {
    OrderedJson entry = OrderedJson::object();
    entry["mode"] = network.mode;
    if (network.name) entry["name"] = *network.name;
    if (!network.labels.empty()) entry["labels"] = labels_value(network.labels);
    networks.push_back(std::move(entry));
  }
  value["networks"] = std::move(networks);
  OrderedJson fetch = OrderedJson::array();
  for (const FetchUri& uri : app.fetch) {
    OrderedJson entry = OrderedJson::object();
    entry["uri"] = uri.uri;
    entry["extract"] = uri.extract;
    entry["executable"] = uri.executable;
    entry["cache"] = uri.cache;
    if (uri.dest_path) entry["destPath"] = *uri.dest_path;
    fetch.push_back(std::move(entry));
  }
  value["fetch"] = std::move(fetch);
  OrderedJson secrets = OrderedJson::object();
  for (const auto& [name, source] : app.secrets) secrets[name] = OrderedJson{{"source", source}};
  value["secrets"] = std::move(secrets);
  if (app.residency) {
    value["residency"] = OrderedJson{
        {"relaunchEscalationTimeoutSeconds", app.residency->relaunch_escalation_timeout_seconds},
        {"taskLostBehavior", app.residency->task_lost_behavior}};
  }
  if (app.task_kill_grace_period_seconds) {
    value["taskKillGracePeriodSeconds"] = *app.task_kill_grace_period_seconds;
  }
  if (app.version != WallTime{}) value["version"] = format_timestamp(app.version);
  if (app.version_info != VersionInfo{}) {
    value["versionInfo"] = OrderedJson{
        {"lastScalingAt", format_timestamp(app.version_info.last_scaling_at)},
        {"lastConfigChangeAt", format_timestamp(app.version_info.last_config_change_at)}};
  }
  return value;
}

}  // namespace berth::marathon::detail

namespace berth::marathon {

std::string app_to_json(const AppDefinition& app) { return detail::app_value(app).dump(); }

std::string health_check_to_json(const HealthCheck& check) {
  return detail::health_check_value(check).dump();
}

std::string app_info_json(const AppDefinition& app, const AppInfoExtras& extras) {
  detail::OrderedJson value = detail::app_value(app);
  if (extras.counts) {
    value["tasksStaged"] = extras.counts->staged;
    value["tasksRunning"] = extras.counts->running;
    value["tasksHealthy"] = extras.counts->healthy;
    value["tasksUnhealthy"] = extras.counts->unhealthy;
  }
  if (extras.deployment_ids) {
    detail::OrderedJson deployments = detail::OrderedJson::array();
    for (const std::string& id : *extras.deployment_ids) {
      deployments.push_back(detail::OrderedJson{{"id", id}});
    }
    value["deployments"] = std::move(deployments);
  }
  // The caller's fragments are spliced in as text: task lists can be long, and re-parsing them
  // would only copy them.
  std::string text = value.dump();
  text.pop_back();  // the closing '}'
  auto splice = [&text](const char* key, const std::optional<std::string>& fragment) {
    if (!fragment) return;
    text += ",\"";
    text += key;
    text += "\":";
    text += *fragment;
  };
  splice("tasks", extras.tasks_json);
  splice("lastTaskFailure", extras.last_task_failure_json);
  splice("taskStats", extras.task_stats_json);
  splice("readinessCheckResults", extras.readiness_check_results_json);
  text += '}';
  return text;
}

}  // namespace berth::marathon
