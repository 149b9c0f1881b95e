// The master <-> agent protocol, version 1: the messages both cores exchange, as plain structs,
// and their JSON form on the wire (HTTP/1.1, paths under /agent/v1/).
//
//   agent                                  master
//     | POST /agent/v1/register  RegisterAgent -> |  (with the tasks it runs)
//     | <------------------------ RegisterReply   |  (agent id, session, timings)
//     | POST /agent/v1/poll      {agent, session} |  held up to poll_timeout: a heartbeat
//     | <------------------------ {commands:[..]} |  launch / kill
//     | POST /agent/v1/status    StatusUpdates -> |  persisted by the master, then
//     | <------------------------ {acks:[uuid]}   |  acknowledged; the agent retries until then
//
// A session names one registration. After a master restart or an unreachable period the master
// no longer knows the session and answers 409; the agent then registers again and the master
// reconciles the tasks it reports against its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/task_state.h"
#include "common/resources.h"
#include "common/result.h"

namespace berth {

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
};

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
};

struct RegisterReply {
  std::string agent_id;
  std::string session;
  std::int64_t heartbeat_interval_ms = 1000;
  std::int64_t poll_timeout_ms = 1000;
};

struct AgentCommand {
  enum class Kind { kLaunch, kKill };
  Kind kind = Kind::kLaunch;
  TaskSpec task;                        // kLaunch
  std::string task_id;                  // kKill
  std::int64_t grace_period_ms = 3000;  // kKill

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
};

struct SessionRef {
  std::string agent_id;
  std::string session;
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

std::string poll_request_json(const SessionRef& ref);
Result<SessionRef> parse_poll_request(std::string_view json);
std::string commands_json(const std::vector<AgentCommand>& commands);
Result<std::vector<AgentCommand>> parse_commands(std::string_view json);

std::string status_request_json(const SessionRef& ref, const std::vector<StatusUpdate>& updates);
Result<std::pair<SessionRef, std::vector<StatusUpdate>>> parse_status_request(
    std::string_view json);
std::string acks_json(const std::vector<std::string>& uuids);
Result<std::vector<std::string>> parse_acks(std::string_view json);

}  // namespace berth
