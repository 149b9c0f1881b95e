// The master <-> agent protocol, version 1: the messages both cores exchange, as plain structs,
// and their JSON form on the wire (HTTP/1.1, paths under /agent/v1/).
//
//   agent                                  master
//     | POST /agent/v1/register  RegisterAgent -> |  (with the tasks it runs and its mounts)
//     | <------------------------ RegisterReply   |  (agent id, session, timings, volume lease)
//     | POST /agent/v1/poll      PollRequest   -> |  held up to poll_timeout: a heartbeat, with
//     |                                           |  the agent's mounts when it sent it
//     | <------------------------ {commands:[..]} |  launch / kill / volume orders
//     | POST /agent/v1/status    StatusUpdates -> |  persisted by the master, then
//     | <------------------------ {acks:[uuid]}   |  acknowledged; the agent retries until then
//
// A session names one registration. After a master restart or an unreachable period the master
// no longer knows the session and answers 409; the agent then registers again and the master
// reconciles the tasks it reports against its own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/task_state.h"
#include "api/volume_protocol.h"
#include "common/resources.h"
#include "common/result.h"

namespace berth {

// What a health check probes. Marathon's and Mesos' protocols map onto four kinds: HTTP and
// MESOS_HTTP are both kHttp, and so on (parse_health_check_protocol).
enum class HealthCheckKind { kHttp, kHttps, kTcp, kCommand };

std::string_view to_string(HealthCheckKind kind);  // "HTTP", "HTTPS", "TCP", "COMMAND"
// "HTTP", "MESOS_HTTP", "HTTPS", "MESOS_HTTPS", "TCP", "MESOS_TCP", "COMMAND".
std::optional<HealthCheckKind> parse_health_check_protocol(std::string_view protocol);

// One health check of a task, run by its agent (Marathon's healthChecks[i], times resolved to
// milliseconds). The agent reports results; the master's scheduler decides to kill.
struct HealthCheckSpec {
  HealthCheckKind kind = HealthCheckKind::kHttp;
  // The host port to probe on 127.0.0.1 (HTTP, HTTPS, TCP). 0: the task's port number
  // `port_index`, read from its PORT<index> variable by the agent.
  std::uint16_t port = 0;
  std::uint32_t port_index = 0;
  std::string path = "/";  // HTTP, HTTPS
  std::string command;     // COMMAND: run as /bin/sh -c <command>
  // Failures in this time after the task started are ignored until the first success.
  std::int64_t grace_period_ms = 300000;
  std::int64_t interval_ms = 60000;  // from one probe's end to the next probe
  std::int64_t timeout_ms = 20000;   // a probe that has not answered by then failed
  // Before the first probe. The Marathon layer puts delaySeconds here for Mesos-level checks
  // (MESOS_*, COMMAND) and intervalSeconds for Marathon-level ones (HTTP, HTTPS, TCP).
  std::int64_t delay_ms = 15000;
  // The master kills the task after this many failures in a row; 0: never.
  std::uint32_t max_consecutive_failures = 3;
  bool ignore_http1xx = false;  // 1xx answers leave the result as it was

  bool operator==(const HealthCheckSpec&) const = default;
};

// Marathon's readiness check: during a deployment a task counts as started once it is ready.
// Probed over HTTP from the task's start until the first ready answer, then no more.
struct ReadinessCheckSpec {
  std::string name = "readinessCheck";
  bool https = false;
  std::uint16_t port = 0;  // as in HealthCheckSpec; the master resolves Marathon's portName
  std::uint32_t port_index = 0;
  std::string path = "/";
  std::int64_t interval_ms = 30000;
  std::int64_t timeout_ms = 10000;
  std::vector<int> http_status_codes_for_ready = {200};

  bool operator==(const ReadinessCheckSpec&) const = default;
};

// One URI the agent puts into the sandbox before the task starts (Marathon's fetch[i]). Only
// file:// URIs and absolute local paths: the agent downloads nothing.
struct FetchSpec {
  std::string uri;
  bool extract = true;      // unpack .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .txz, .zip
  bool executable = false;  // chmod +x; an executable is never extracted
  std::string dest_path;    // relative to the sandbox; empty: the URI's basename

  bool operator==(const FetchSpec&) const = default;
};

// Everything an agent needs to run a task.
struct TaskSpec {
  std::string task_id;
  std::string name;
  std::string app_id;       // empty for bare tasks
  std::string app_version;  // the app version it runs (Marathon timestamp); empty for bare tasks
  bool shell = true;
  std::string command;
  std::vector<std::string> arguments;
  std::map<std::string, std::string> environment;
  Resources resources;  // cpus, mem, disk and the host ports it was given
  std::int64_t kill_grace_period_ms = 3000;
  std::vector<HealthCheckSpec> health_checks;
  std::optional<ReadinessCheckSpec> readiness_check;
  std::vector<FetchSpec> fetch;
  // Mounted before the command starts, at their container paths (absent on the wire: none).
  std::vector<TaskVolume> volumes;
};

// The state of one health check of a running task, as Marathon's healthCheckResults[i] shows it.
// Times are wall-clock milliseconds since the epoch.
struct HealthCheckResult {
  bool alive = false;  // the last counted probe succeeded
  std::uint32_t consecutive_failures = 0;
  std::optional<std::int64_t> first_success_ms;
  std::optional<std::int64_t> last_success_ms;
  std::optional<std::int64_t> last_failure_ms;
  std::string last_failure_cause;

  bool operator==(const HealthCheckResult&) const = default;
};

// Mesos' reason on an update that only carries news of a task's health or readiness, with the
// task's state unchanged.
inline constexpr char kReasonHealthUpdated[] = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED";

struct StatusUpdate {
  std::string uuid;  // unique per update; acknowledgements name it
  std::string task_id;
  // Grows with every update of one task, so that a retried old update arriving after a newer
  // one is recognised and ignored.
  std::uint64_t seq = 0;
  TaskState state = TaskState::kStaging;
  std::string reason;   // Mesos' reason, e.g. REASON_CONTAINER_LIMITATION_MEMORY
  std::string message;  // for people
  std::int64_t timestamp_ms = 0;
  // Set on every update of a task with health checks once a result is known: true when every
  // check is alive, false when any failed (Mesos' TaskStatus.healthy).
  std::optional<bool> healthy;
  std::vector<HealthCheckResult> health_results;  // one per TaskSpec::health_checks, in order
  std::optional<bool> ready;                      // set when the task has a readiness check
};

// A task an agent still knows about, in its registration.
struct TaskReport {
  std::string task_id;
  TaskState state = TaskState::kRunning;
};

struct RegisterAgent {
  std::string agent_id;  // empty on first registration
  std::string hostname;
  std::uint16_t port = 0;
  Resources resources;
  std::vector<Attribute> attributes;
  std::string boot_id;
  std::string version;
  std::vector<TaskReport> tasks;
  // What the agent has mounted, with the epoch of each, so that the master can reconcile
  // attachments (absent on the wire: none, as agents before volumes sent).
  std::vector<MountedVolume> volumes;
  // The volume drivers it can attach ("local", and "blockpool" with a --volume_pool). Absent: an
  // agent from before the field, which the master lets take any volume.
  std::optional<std::vector<std::string>> volume_drivers;
};

struct RegisterReply {
  std::string agent_id;
  std::string session;
  std::int64_t heartbeat_interval_ms = 1000;
  std::int64_t poll_timeout_ms = 1000;
  // The master's lease on the agent's external volumes (VolumeControllerConfig::lease). The
  // agent keeps the shorter of this and its own --volume_lease. Absent (a master without
  // volumes, or one from before the field): the agent keeps its own.
  std::optional<std::int64_t> volume_lease_ms;
};

// What the master tells an agent, in a poll answer. The volume orders are the master's
// VolumeController speaking (storage/volume_events.h, VolumeOrder); both are idempotent:
//   kUnmountVolume  the attachment is over: kill `kill_task_ids`, then unmount `volume` once no
//                   task here uses it (JSON type "UNMOUNT_VOLUME")
//   kRevokeVolume   `epoch` is no longer this node's: kill `kill_task_ids` and every task here
//                   using `volume` at that epoch or older, unmount it, and never mount that epoch
//                   again (JSON type "REVOKE_VOLUME")
struct AgentCommand {
  enum class Kind { kLaunch, kKill, kUnmountVolume, kRevokeVolume };
  Kind kind = Kind::kLaunch;
  TaskSpec task;                           // kLaunch
  std::string task_id;                     // kKill
  std::int64_t grace_period_ms = 3000;     // kKill
  std::string volume;                      // volume orders
  std::uint64_t epoch = 0;                 // volume orders
  std::vector<std::string> kill_task_ids;  // volume orders
  std::string reason;                      // volume orders, for the agent's log

  static AgentCommand launch(TaskSpec spec) {
    AgentCommand command;
    command.kind = Kind::kLaunch;
    command.task_id = spec.task_id;
    command.task = std::move(spec);
    return command;
  }
  static AgentCommand kill(std::string task_id, std::int64_t grace_period_ms) {
    AgentCommand command;
    command.kind = Kind::kKill;
    command.task_id = std::move(task_id);
    command.grace_period_ms = grace_period_ms;
    return command;
  }
  static AgentCommand volume_order(Kind kind, std::string volume, std::uint64_t epoch,
                                   std::vector<std::string> kill_task_ids,
                                   std::string reason = "") {
    AgentCommand command;
    command.kind = kind;
    command.volume = std::move(volume);
    command.epoch = epoch;
    command.kill_task_ids = std::move(kill_task_ids);
    command.reason = std::move(reason);
    return command;
  }
};

struct SessionRef {
  std::string agent_id;
  std::string session;
};

// A long poll: the agent's heartbeat on its session, and what it had mounted when it sent the
// poll. The list is complete (a volume missing from it is not mounted there) and absent on the
// wire when empty, as agents that did not report with polls sent it.
struct PollRequest {
  SessionRef ref;
  std::vector<MountedVolume> volumes;
};

// JSON on the wire. Parsers return kInvalidArgument naming the bad field.
std::string to_json(const TaskSpec& spec);
Result<TaskSpec> parse_task_spec(std::string_view json);
std::string to_json(const StatusUpdate& update);
Result<StatusUpdate> parse_status_update(std::string_view json);

std::string to_json(const RegisterAgent& message);
Result<RegisterAgent> parse_register_agent(std::string_view json);
std::string to_json(const RegisterReply& message);
Result<RegisterReply> parse_register_reply(std::string_view json);

std::string poll_request_json(const PollRequest& poll);
Result<PollRequest> parse_poll_request(std::string_view json);
std::string commands_json(const std::vector<AgentCommand>& commands);
Result<std::vector<AgentCommand>> parse_commands(std::string_view json);

std::string status_request_json(const SessionRef& ref, const std::vector<StatusUpdate>& updates);
Result<std::pair<SessionRef, std::vector<StatusUpdate>>> parse_status_request(
    std::string_view json);
std::string acks_json(const std::vector<std::string>& uuids);
Result<std::vector<std::string>> parse_acks(std::string_view json);

}  // namespace berth
