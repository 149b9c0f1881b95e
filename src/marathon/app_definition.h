// AppDefinition: one version of a Marathon app as Berth keeps it, in canonical form. Legacy
// input fields (`ports`, `uris`, `ipAddress`, `container.docker.network`,
// `container.docker.portMappings`) are converted on input and never stored (marathon-api.md
// §4.2). Defaults are Marathon 1.10's (§4.1). This header is plain data: parsing, validation and
// JSON output live in app_json.h; the scheduler reads these structs and never sees JSON.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"

namespace berth::marathon {

// ["hostname", "UNIQUE"], ["rack", "GROUP_BY", "3"], ...
struct Constraint {
  enum class Operator { kUnique, kCluster, kGroupBy, kLike, kUnlike, kMaxPer, kIs };
  std::string field;  // "hostname" (also given as "@hostname"), "@region", "@zone", an attribute
  Operator op = Operator::kUnique;
  std::optional<std::string> value;

  bool operator==(const Constraint&) const = default;
};

struct PortDefinition {
  std::uint32_t port = 0;  // 0: any free host port
  std::string protocol = "tcp";
  std::optional<std::string> name;
  std::map<std::string, std::string> labels;

  bool operator==(const PortDefinition&) const = default;
};

struct PortMapping {
  std::optional<std::uint32_t> container_port;
  std::optional<std::uint32_t> host_port;  // absent: no host port; 0: dynamic
  std::optional<std::uint32_t> service_port;
  std::string protocol = "tcp";
  std::optional<std::string> name;
  std::map<std::string, std::string> labels;

  bool operator==(const PortMapping&) const = default;
};

struct Network {
  std::string mode = "host";  // host | container | container/bridge
  std::optional<std::string> name;
  std::map<std::string, std::string> labels;

  bool operator==(const Network&) const = default;
};

// external.options of a CSI volume (provider "csi"): a pre-provisioned volume of a plugin.
struct CsiOptions {
  std::string plugin_name;
  // SINGLE_NODE_WRITER | SINGLE_NODE_READER_ONLY | MULTI_NODE_READER_ONLY |
  // MULTI_NODE_SINGLE_WRITER | MULTI_NODE_MULTI_WRITER
  std::string access_mode;
  std::string access_type = "mount";  // mount | block
  std::optional<std::string> fs_type;
  std::vector<std::string> mount_flags;
  std::map<std::string, std::string> node_stage_secret;    // key -> secret name
  std::map<std::string, std::string> node_publish_secret;  // key -> secret name
  std::map<std::string, std::string> volume_context;

  bool operator==(const CsiOptions&) const = default;
};

// external: {name, provider, size, options, shared} (DVDI or CSI).
struct ExternalVolume {
  std::string name;
  std::string provider;                        // "dvdi" or "csi"
  std::optional<std::int64_t> size;            // GiB
  std::map<std::string, std::string> options;  // DVDI: "dvdi/driver" -> "rexray", ...
  bool shared = false;
  std::optional<CsiOptions> csi;  // provider "csi": its structured options (`options` is empty)

  bool operator==(const ExternalVolume&) const = default;
};

// persistent: {type, size, maxSize, profileName} (a local persistent volume).
struct PersistentVolume {
  std::string type = "root";  // root | path | mount
  std::int64_t size = 0;      // MiB
  std::optional<std::int64_t> max_size;
  std::optional<std::string> profile_name;
  // Only ["path", LIKE|UNLIKE, regex] on path/mount volumes: which disk of the agent to use.
  std::vector<Constraint> constraints;

  bool operator==(const PersistentVolume&) const = default;
};

struct Volume {
  std::string container_path;
  std::optional<std::string> host_path;
  std::string mode = "RW";  // RO | RW
  std::optional<PersistentVolume> persistent;
  std::optional<ExternalVolume> external;

  bool operator==(const Volume&) const = default;
};

struct DockerSettings {
  std::string image;
  bool privileged = false;
  bool force_pull_image = false;
  std::vector<std::pair<std::string, std::string>> parameters;

  bool operator==(const DockerSettings&) const = default;
};

struct Container {
  std::string type = "DOCKER";  // DOCKER | MESOS
  std::optional<DockerSettings> docker;
  std::vector<PortMapping> port_mappings;
  std::vector<Volume> volumes;

  bool operator==(const Container&) const = default;
};

struct FetchUri {
  std::string uri;
  bool extract = true;
  bool executable = false;
  bool cache = false;
  std::optional<std::string> dest_path;

  bool operator==(const FetchUri&) const = default;
};

struct HealthCheck {
  // HTTP | HTTPS | TCP | COMMAND | MESOS_HTTP | MESOS_HTTPS | MESOS_TCP
  std::string protocol = "HTTP";
  std::string path = "/";
  std::optional<std::uint32_t> port_index;  // 0 when neither it nor `port` is given
  std::optional<std::uint32_t> port;
  std::optional<std::string> command;  // COMMAND: the shell command
  std::int64_t grace_period_seconds = 300;
  std::int64_t interval_seconds = 60;
  std::int64_t timeout_seconds = 20;
  std::int64_t max_consecutive_failures = 3;  // 0: never kill
  std::int64_t delay_seconds = 15;
  bool ignore_http1xx = false;
  std::string ip_protocol = "IPv4";

  bool operator==(const HealthCheck&) const = default;
};

struct ReadinessCheck {
  std::string name = "readinessCheck";
  std::string protocol = "HTTP";
  std::string path = "/";
  std::string port_name = "http-api";
  std::int64_t interval_seconds = 30;
  std::int64_t timeout_seconds = 10;
  std::vector<int> http_status_codes_for_ready = {200};
  bool preserve_last_response = false;

  bool operator==(const ReadinessCheck&) const = default;
};

struct UpgradeStrategy {
  double minimum_health_capacity = 1.0;
  double maximum_over_capacity = 1.0;

  bool operator==(const UpgradeStrategy&) const = default;
};

struct UnreachableStrategy {
  bool disabled = false;
  std::int64_t inactive_after_seconds = 0;
  std::int64_t expunge_after_seconds = 0;

  bool operator==(const UnreachableStrategy&) const = default;
};

enum class KillSelection { kYoungestFirst, kOldestFirst };

struct Residency {
  std::int64_t relaunch_escalation_timeout_seconds = 3600;
  std::string task_lost_behavior = "WAIT_FOREVER";

  bool operator==(const Residency&) const = default;
};

struct VersionInfo {
  WallTime last_scaling_at;
  WallTime last_config_change_at;

  bool operator==(const VersionInfo&) const = default;
};

struct AppDefinition {
  std::string id;  // absolute and canonical: "/prod/db/mongo"
  std::optional<std::string> cmd;
  std::optional<std::vector<std::string>> args;
  std::optional<Container> container;
  std::int64_t instances = 1;
  double cpus = 1.0;
  double mem = 128.0;  // MiB
  double disk = 0.0;   // MiB
  std::int64_t gpus = 0;
  std::map<std::string, std::string> env;
  std::map<std::string, std::string> env_secrets;  // "VAR": {"secret": "<name>"}
  std::map<std::string, std::string> labels;
  std::vector<Constraint> constraints;
  std::vector<std::string> accepted_resource_roles;
  std::optional<std::string> role;
  std::string executor;
  double backoff_seconds = 1.0;
  double backoff_factor = 1.15;
  double max_launch_delay_seconds = 300.0;
  bool require_ports = false;
  std::vector<PortDefinition> port_definitions = {PortDefinition{0, "tcp", "default", {}}};
  std::vector<Network> networks;  // empty: host
  std::vector<FetchUri> fetch;
  std::optional<std::string> user;
  std::vector<HealthCheck> health_checks;
  std::vector<ReadinessCheck> readiness_checks;
  std::vector<std::string> dependencies;  // absolute ids
  UpgradeStrategy upgrade_strategy;
  UnreachableStrategy unreachable_strategy;
  KillSelection kill_selection = KillSelection::kYoungestFirst;
  std::optional<std::int64_t> task_kill_grace_period_seconds;
  std::optional<Residency> residency;
  std::map<std::string, std::string> secrets;  // name -> source

  WallTime version;
  VersionInfo version_info;

  bool operator==(const AppDefinition&) const = default;

  bool host_networking() const { return networks.empty() || networks.front().mode == "host"; }
  bool has_persistent_volumes() const;
  bool has_external_volumes() const;
  // Whether it runs a container image, which Berth cannot run yet (the app waits in the queue).
  bool needs_image() const {
    return container && container->docker && !container->docker->image.empty();
  }
  // How many host ports each instance needs.
  std::size_t host_port_count() const;
  // True when `other` differs only in `instances` (and version bookkeeping): a pure scale.
  bool differs_only_in_instances(const AppDefinition& other) const;
};

// A group's own settings. Groups form a tree by their ids; a group's apps are the apps whose id's
// parent is the group's id. Intermediate groups that nothing declares exist implicitly.
struct GroupDefinition {
  std::string id;                         // absolute and canonical: "/prod/db"
  std::vector<std::string> dependencies;  // absolute ids of apps or groups
  WallTime version;

  bool operator==(const GroupDefinition&) const = default;
};

}  // namespace berth::marathon
