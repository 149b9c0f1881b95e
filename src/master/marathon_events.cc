// Marathon's event payloads, built with ordered keys so a payload reads like Marathon's own
// (its fields first, then eventType and timestamp).
#include "master/marathon_events.h"

#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace berth {
namespace {

using Json = nlohmann::ordered_json;

std::string finish(Json body, std::string_view type, WallTime at) {
  body["eventType"] = type;
  body["timestamp"] = format_timestamp(at);
  // dump() without indent is one line: newlines inside strings come out as \n escapes.
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<Json> embedded(std::string_view text, std::string_view what) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return malformed(std::string(what) + " for the event is not valid JSON");
  }
  return value;
}

// The three step events differ only in their type.
Result<std::string> step_event(std::string_view type, std::string_view plan_json,
                               std::string_view step_json, WallTime at) {
  auto plan = embedded(plan_json, "deployment plan");
  if (!plan.ok()) return plan.error();
  auto step = embedded(step_json, "deployment step");
  if (!step.ok()) return step.error();
  Json body;
  body["plan"] = std::move(*plan);
  body["currentStep"] = std::move(*step);
  return finish(std::move(body), type, at);
}

Json ip_addresses(const std::vector<std::string>& addresses) {
  Json list = Json::array();
  for (const auto& address : addresses) {
    list.push_back(Json{{"ipAddress", address}, {"protocol", "IPv4"}});
  }
  return list;
}

}  // namespace

const std::vector<std::string_view>& marathon_event_types() {
  static const std::vector<std::string_view> kTypes = {
      "event_stream_attached",
      "event_stream_detached",
      "api_post_event",
      "status_update_event",
      "instance_changed_event",
      "unknown_instance_terminated_event",
      "instance_health_changed_event",
      "app_terminated_event",
      "add_health_check_event",
      "remove_health_check_event",
      "failed_health_check_event",
      "health_status_changed_event",
      "unhealthy_instance_kill_event",
      "unhealthy_task_kill_event",
      "group_change_success",
      "group_change_failed",
      "deployment_success",
      "deployment_failed",
      "deployment_info",
      "deployment_step_success",
      "deployment_step_failure",
      "framework_message_event",
      "subscribe_event",
      "unsubscribe_event",
      "pod_created_event",
      "pod_updated_event",
      "pod_deleted_event",
  };
  return kTypes;
}

std::string_view instance_condition(TaskState state) {
  switch (state) {
    case TaskState::kStaging:
      return "Staging";
    case TaskState::kStarting:
      return "Starting";
    case TaskState::kRunning:
      return "Running";
    case TaskState::kKilling:
      return "Killing";
    case TaskState::kFinished:
      return "Finished";
    case TaskState::kFailed:
      return "Failed";
    case TaskState::kKilled:
      return "Killed";
    case TaskState::kError:
      return "Error";
    case TaskState::kLost:
    case TaskState::kGone:
      return "Gone";
    case TaskState::kUnreachable:
      return "Unreachable";
    case TaskState::kDropped:
      return "Dropped";
    case TaskState::kUnknown:
      return "Unknown";
  }
  return "Unknown";
}

std::string event_stream_attached_event(std::string_view remote_address, WallTime at) {
  return finish(Json{{"remoteAddress", remote_address}}, event_type::kEventStreamAttached, at);
}

std::string event_stream_detached_event(std::string_view remote_address, WallTime at) {
  return finish(Json{{"remoteAddress", remote_address}}, event_type::kEventStreamDetached, at);
}

std::string status_update_event(const TaskRecord& task, const TaskEventContext& context,
                                WallTime at) {
  Json body;
  body["slaveId"] = task.agent_id;
  body["taskId"] = task.id();
  body["taskStatus"] = to_string(task.state);
  body["message"] = task.message;
  body["appId"] = context.app_id;
  body["host"] = task.hostname;
  body["ipAddresses"] = ip_addresses(context.ip_addresses);
  body["ports"] = task.ports;
  body["version"] = context.version;
  return finish(std::move(body), event_type::kStatusUpdate, at);
}

std::string instance_changed_event(const TaskRecord& task, const TaskEventContext& context,
                                   WallTime at) {
  Json body;
  body["instanceId"] = context.instance_id.empty() ? task.id() : context.instance_id;
  body["condition"] = instance_condition(task.state);
  body["runSpecId"] = context.app_id;
  body["agentId"] = task.agent_id;
  body["host"] = task.hostname;
  body["runSpecVersion"] = context.version;
  return finish(std::move(body), event_type::kInstanceChanged, at);
}

std::string instance_health_changed_event(std::string_view instance_id,
                                          std::string_view run_spec_id,
                                          std::string_view run_spec_version,
                                          std::optional<bool> healthy, WallTime at) {
  Json body;
  body["instanceId"] = instance_id;
  body["runSpecId"] = run_spec_id;
  body["runSpecVersion"] = run_spec_version;
  body["healthy"] = healthy ? Json(*healthy) : Json(nullptr);
  return finish(std::move(body), event_type::kInstanceHealthChanged, at);
}

std::string health_status_changed_event(std::string_view app_id, std::string_view instance_id,
                                        std::string_view version, bool alive, WallTime at) {
  Json body;
  body["appId"] = app_id;
  body["instanceId"] = instance_id;
  body["version"] = version;
  body["alive"] = alive;
  return finish(std::move(body), event_type::kHealthStatusChanged, at);
}

std::string unhealthy_instance_kill_event(const UnhealthyInstanceKill& kill, WallTime at) {
  Json body;
  body["appId"] = kill.app_id;
  body["taskId"] = kill.task_id;
  body["instanceId"] = kill.instance_id;
  body["version"] = kill.version;
  body["reason"] = kill.reason;
  body["host"] = kill.host;
  body["slaveId"] = kill.slave_id;
  return finish(std::move(body), event_type::kUnhealthyInstanceKill, at);
}

Result<std::string> failed_health_check_event(std::string_view app_id, std::string_view task_id,
                                              std::string_view instance_id,
                                              std::string_view health_check_json, WallTime at) {
  auto check = embedded(health_check_json, "health check");
  if (!check.ok()) return check.error();
  Json body;
  body["appId"] = app_id;
  body["taskId"] = task_id;
  body["instanceId"] = instance_id;
  body["healthCheck"] = std::move(*check);
  return finish(std::move(body), event_type::kFailedHealthCheck, at);
}

Result<std::string> add_health_check_event(std::string_view app_id, std::string_view version,
                                           std::string_view health_check_json, WallTime at) {
  auto check = embedded(health_check_json, "health check");
  if (!check.ok()) return check.error();
  Json body;
  body["appId"] = app_id;
  body["version"] = version;
  body["healthCheck"] = std::move(*check);
  return finish(std::move(body), event_type::kAddHealthCheck, at);
}

std::string remove_health_check_event(std::string_view app_id, WallTime at) {
  return finish(Json{{"appId", app_id}}, event_type::kRemoveHealthCheck, at);
}

std::string app_terminated_event(std::string_view app_id, WallTime at) {
  return finish(Json{{"appId", app_id}}, event_type::kAppTerminated, at);
}

std::string group_change_success_event(std::string_view group_id, std::string_view version,
                                       WallTime at) {
  Json body;
  body["groupId"] = group_id;
  body["version"] = version;
  return finish(std::move(body), event_type::kGroupChangeSuccess, at);
}

std::string group_change_failed_event(std::string_view group_id, std::string_view version,
                                      std::string_view reason, WallTime at) {
  Json body;
  body["groupId"] = group_id;
  body["version"] = version;
  body["reason"] = reason;
  return finish(std::move(body), event_type::kGroupChangeFailed, at);
}

Result<std::string> deployment_success_event(std::string_view id, std::string_view plan_json,
                                             WallTime at) {
  auto plan = embedded(plan_json, "deployment plan");
  if (!plan.ok()) return plan.error();
  Json body;
  body["id"] = id;
  body["plan"] = std::move(*plan);
  return finish(std::move(body), event_type::kDeploymentSuccess, at);
}

Result<std::string> deployment_failed_event(std::string_view id, std::string_view plan_json,
                                            std::string_view reason, WallTime at) {
  auto plan = embedded(plan_json, "deployment plan");
  if (!plan.ok()) return plan.error();
  Json body;
  body["id"] = id;
  body["plan"] = std::move(*plan);
  body["reason"] = reason;
  return finish(std::move(body), event_type::kDeploymentFailed, at);
}

Result<std::string> deployment_info_event(std::string_view plan_json, std::string_view step_json,
                                          WallTime at) {
  return step_event(event_type::kDeploymentInfo, plan_json, step_json, at);
}

Result<std::string> deployment_step_success_event(std::string_view plan_json,
                                                  std::string_view step_json, WallTime at) {
  return step_event(event_type::kDeploymentStepSuccess, plan_json, step_json, at);
}

Result<std::string> deployment_step_failure_event(std::string_view plan_json,
                                                  std::string_view step_json, WallTime at) {
  return step_event(event_type::kDeploymentStepFailure, plan_json, step_json, at);
}

Result<std::string> api_post_event(std::string_view client_ip, std::string_view uri,
                                   std::string_view app_json, WallTime at) {
  auto app = embedded(app_json, "app definition");
  if (!app.ok()) return app.error();
  Json body;
  body["clientIp"] = client_ip;
  body["uri"] = uri;
  body["appDefinition"] = std::move(*app);
  return finish(std::move(body), event_type::kApiPost, at);
}

}  // namespace berth
