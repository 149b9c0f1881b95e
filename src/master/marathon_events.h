// Marathon's event payloads (reference/marathon-api.md §16) as the event stream sends them: one
// compact line of JSON each, carrying `eventType` and a `timestamp` in Marathon's format
// (2015-09-30T12:47:11.286Z). Only the fields that §16 and the Python client (§17) accept are
// emitted. Pure functions: the caller passes the time.
//
// Builders that embed JSON given as text (an app, a plan, a health check) return an error when
// that text is not one JSON value, rather than send a frame that would kill a client's stream.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/task_state.h"
#include "common/clock.h"
#include "common/result.h"
#include "master/task_record.h"

namespace berth {

// The event types Marathon's clients know (§16, less the three scheduler_* ones, which kill the
// Python client's stream). A subscriber without an event_type filter gets exactly these.
const std::vector<std::string_view>& marathon_event_types();

namespace event_type {
inline constexpr std::string_view kEventStreamAttached = "event_stream_attached";
inline constexpr std::string_view kEventStreamDetached = "event_stream_detached";
inline constexpr std::string_view kApiPost = "api_post_event";
inline constexpr std::string_view kStatusUpdate = "status_update_event";
inline constexpr std::string_view kInstanceChanged = "instance_changed_event";
inline constexpr std::string_view kInstanceHealthChanged = "instance_health_changed_event";
inline constexpr std::string_view kHealthStatusChanged = "health_status_changed_event";
inline constexpr std::string_view kUnhealthyInstanceKill = "unhealthy_instance_kill_event";
inline constexpr std::string_view kFailedHealthCheck = "failed_health_check_event";
inline constexpr std::string_view kAddHealthCheck = "add_health_check_event";
inline constexpr std::string_view kRemoveHealthCheck = "remove_health_check_event";
inline constexpr std::string_view kAppTerminated = "app_terminated_event";
inline constexpr std::string_view kGroupChangeSuccess = "group_change_success";
inline constexpr std::string_view kGroupChangeFailed = "group_change_failed";
inline constexpr std::string_view kDeploymentSuccess = "deployment_success";
inline constexpr std::string_view kDeploymentFailed = "deployment_failed";
inline constexpr std::string_view kDeploymentInfo = "deployment_info";
inline constexpr std::string_view kDeploymentStepSuccess = "deployment_step_success";
inline constexpr std::string_view kDeploymentStepFailure = "deployment_step_failure";
}  // namespace event_type

// What a task event says beyond the TaskRecord: fields the app scheduler owns.
struct TaskEventContext {
  std::string app_id;                     // "/web"
  std::string version;                    // the app version the task runs (a timestamp)
  std::string instance_id;                // Marathon's instance id; the task id for bare tasks
  std::vector<std::string> ip_addresses;  // IPv4 addresses of the task
};

// Marathon's instance condition for a task state ("Running", "Staging", "Killed", ...).
std::string_view instance_condition(TaskState state);

std::string event_stream_attached_event(std::string_view remote_address, WallTime at);
std::string event_stream_detached_event(std::string_view remote_address, WallTime at);

// {slaveId, taskId, taskStatus, message, appId, host, ipAddresses, ports, version}
std::string status_update_event(const TaskRecord& task, const TaskEventContext& context,
                                WallTime at);
// {instanceId, condition, runSpecId, agentId, host, runSpecVersion}
std::string instance_changed_event(const TaskRecord& task, const TaskEventContext& context,
                                   WallTime at);
// `healthy` null means not known yet.
std::string instance_health_changed_event(std::string_view instance_id,
                                          std::string_view run_spec_id,
                                          std::string_view run_spec_version,
                                          std::optional<bool> healthy, WallTime at);
std::string health_status_changed_event(std::string_view app_id, std::string_view instance_id,
                                        std::string_view version, bool alive, WallTime at);

struct UnhealthyInstanceKill {
  std::string app_id;
  std::string task_id;
  std::string instance_id;
  std::string version;
  std::string reason;
  std::string host;
  std::string slave_id;
};
std::string unhealthy_instance_kill_event(const UnhealthyInstanceKill& kill, WallTime at);

// `health_check_json`: the health check as the app shows it ({"protocol":"HTTP",...}).
// {appId, taskId, instanceId, healthCheck}: Marathon 1.10 names the instance, older releases
// the task; clients of either find their key.
Result<std::string> failed_health_check_event(std::string_view app_id, std::string_view task_id,
                                              std::string_view instance_id,
                                              std::string_view health_check_json, WallTime at);
Result<std::string> add_health_check_event(std::string_view app_id, std::string_view version,
                                           std::string_view health_check_json, WallTime at);
std::string remove_health_check_event(std::string_view app_id, WallTime at);

std::string app_terminated_event(std::string_view app_id, WallTime at);

std::string group_change_success_event(std::string_view group_id, std::string_view version,
                                       WallTime at);
std::string group_change_failed_event(std::string_view group_id, std::string_view version,
                                      std::string_view reason, WallTime at);

// `plan_json`: the deployment plan ({"id":...,"steps":[...],...}).
Result<std::string> deployment_success_event(std::string_view id, std::string_view plan_json,
                                             WallTime at);
Result<std::string> deployment_failed_event(std::string_view id, std::string_view plan_json,
                                            std::string_view reason, WallTime at);

// A deployment step began (deployment_info), had every action done (deployment_step_success)
// or ended unfinished (deployment_step_failure): {plan, currentStep}. `plan_json` is the plan
// with `original` and `target` ({id, original, target, steps, version}: python3-marathon parses
// it and needs all five), `step_json` the step ({"actions":[...]}).
Result<std::string> deployment_info_event(std::string_view plan_json, std::string_view step_json,
                                          WallTime at);
Result<std::string> deployment_step_success_event(std::string_view plan_json,
                                                  std::string_view step_json, WallTime at);
Result<std::string> deployment_step_failure_event(std::string_view plan_json,
                                                  std::string_view step_json, WallTime at);

// `app_json`: the app definition as posted, already in the App shape of §17.2.
Result<std::string> api_post_event(std::string_view client_ip, std::string_view uri,
                                   std::string_view app_json, WallTime at);

}  // namespace berth
