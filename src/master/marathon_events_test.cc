// Every event payload: one line, valid JSON, eventType and a Marathon timestamp, the fields that
// reference/marathon-api.md §16 lists.
#include "master/marathon_events.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "common/time_format.h"

namespace berth {
namespace {

using nlohmann::json;

WallTime at() { return *parse_timestamp("2015-09-30T12:47:11.286Z"); }

std::string must(Result<std::string> built) {
  EXPECT_TRUE(built.ok()) << (built.ok() ? "" : built.error().message);
  return built.ok() ? *built : "";
}

TaskRecord running_task() {
  TaskRecord task;
  task.spec.task_id = "web.1f2e";
  task.spec.name = "web";
  task.agent_id = "20150707-153709-S0";
  task.hostname = "10.0.0.7";
  task.ports = {31292, 31293};
  task.state = TaskState::kRunning;
  task.message = "Container started\nsecond line";
  return task;
}

TaskEventContext context() {
  return TaskEventContext{"/web", "2015-09-17T09:32:36.583Z", "web.1f2e", {"10.0.0.7"}};
}

// Every payload Berth emits, with the type it must carry.
std::vector<std::pair<std::string, std::string>> all_payloads() {
  const std::string check = R"({"protocol":"HTTP","path":"/health","portIndex":0})";
  const std::string plan = R"({"id":"d-1","steps":[],"version":"2015-09-30T12:47:11.286Z"})";
  const std::string step = R"({"actions":[{"action":"ScaleApplication","app":"/web"}]})";
  return {
      {"event_stream_attached", event_stream_attached_event("10.0.0.5", at())},
      {"event_stream_detached", event_stream_detached_event("10.0.0.5", at())},
      {"status_update_event", status_update_event(running_task(), context(), at())},
      {"instance_changed_event", instance_changed_event(running_task(), context(), at())},
      {"instance_health_changed_event",
       instance_health_changed_event("web.1f2e", "/web", "v", std::nullopt, at())},
      {"health_status_changed_event",
       health_status_changed_event("/web", "web.1f2e", "v", true, at())},
      {"unhealthy_instance_kill_event",
       unhealthy_instance_kill_event(
           {"/web", "web.1f2e", "web.1f2e", "v", "HealthCheckFailed", "10.0.0.7", "S0"}, at())},
      {"failed_health_check_event", must(failed_health_check_event("/web", "t", "t", check, at()))},
      {"add_health_check_event", must(add_health_check_event("/web", "v", check, at()))},
      {"remove_health_check_event", remove_health_check_event("/web", at())},
      {"app_terminated_event", app_terminated_event("/web", at())},
      {"group_change_success", group_change_success_event("/prod", "v", at())},
      {"group_change_failed", group_change_failed_event("/prod", "v", "conflict", at())},
      {"deployment_success", must(deployment_success_event("d-1", plan, at()))},
      {"deployment_failed", must(deployment_failed_event("d-1", plan, "boom", at()))},
      {"deployment_info", must(deployment_info_event(plan, step, at()))},
      {"deployment_step_success", must(deployment_step_success_event(plan, step, at()))},
      {"deployment_step_failure", must(deployment_step_failure_event(plan, step, at()))},
      {"api_post_event", must(api_post_event("10.0.0.9", "/v2/apps", R"({"id":"/web",
         "cmd":"sleep 1000", "instances": 2})",
                                             at()))},
  };
}

TEST(MarathonEventsTest, EveryPayloadIsOneLineOfJsonWithTypeAndTimestamp) {
  const std::regex timestamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
  for (const auto& [type, text] : all_payloads()) {
    SCOPED_TRACE(type);
    EXPECT_EQ(text.find('\n'), std::string::npos);
    EXPECT_EQ(text.find('\r'), std::string::npos);
    json parsed = json::parse(text, nullptr, false);
    ASSERT_FALSE(parsed.is_discarded()) << text;
    ASSERT_TRUE(parsed.is_object());
    EXPECT_EQ(parsed["eventType"], type);
    ASSERT_TRUE(parsed["timestamp"].is_string());
    EXPECT_TRUE(std::regex_match(parsed["timestamp"].get<std::string>(), timestamp));
    EXPECT_EQ(parsed["timestamp"], "2015-09-30T12:47:11.286Z");
    // Every type is one the Python client knows, so a default stream never kills it.
    const auto& known = marathon_event_types();
    EXPECT_NE(std::find(known.begin(), known.end(), type), known.end());
  }
}

TEST(MarathonEventsTest, StatusUpdateHasMarathonsFieldsAndNoOthers) {
  json event = json::parse(status_update_event(running_task(), context(), at()));
  EXPECT_EQ(event, json::parse(R"({
    "slaveId": "20150707-153709-S0", "taskId": "web.1f2e", "taskStatus": "TASK_RUNNING",
    "message": "Container started\nsecond line", "appId": "/web", "host": "10.0.0.7",
    "ipAddresses": [{"ipAddress": "10.0.0.7", "protocol": "IPv4"}], "ports": [31292, 31293],
    "version": "2015-09-17T09:32:36.583Z", "eventType": "status_update_event",
    "timestamp": "2015-09-30T12:47:11.286Z"})"));
}

TEST(MarathonEventsTest, InstanceChangedNamesTheCondition) {
  json event = json::parse(instance_changed_event(running_task(), context(), at()));
  EXPECT_EQ(event["instanceId"], "web.1f2e");
  EXPECT_EQ(event["condition"], "Running");
  EXPECT_EQ(event["runSpecId"], "/web");
  EXPECT_EQ(event["agentId"], "20150707-153709-S0");
  EXPECT_EQ(event["host"], "10.0.0.7");
  EXPECT_EQ(event["runSpecVersion"], "2015-09-17T09:32:36.583Z");
  EXPECT_EQ(instance_condition(TaskState::kKilled), "Killed");
  EXPECT_EQ(instance_condition(TaskState::kUnreachable), "Unreachable");
}

TEST(MarathonEventsTest, UnknownHealthIsNull) {
  json unknown = json::parse(instance_health_changed_event("i", "/web", "v", std::nullopt, at()));
  EXPECT_TRUE(unknown["healthy"].is_null());
  json healthy = json::parse(instance_health_changed_event("i", "/web", "v", true, at()));
  EXPECT_EQ(healthy["healthy"], true);
}

TEST(MarathonEventsTest, EmbeddedJsonIsKeptAsAnObjectOnOneLine) {
  json event = json::parse(must(api_post_event(
      "10.0.0.9", "/v2/apps", "{\n  \"id\": \"/web\",\n  \"instances\": 2\n}", at())));
  EXPECT_EQ(event["clientIp"], "10.0.0.9");
  EXPECT_EQ(event["uri"], "/v2/apps");
  EXPECT_EQ(event["appDefinition"], json::parse(R"({"id":"/web","instances":2})"));
  json deployment =
      json::parse(must(deployment_failed_event("d-1", R"({"id":"d-1"})", "boom", at())));
  EXPECT_EQ(deployment["plan"]["id"], "d-1");
  EXPECT_EQ(deployment["reason"], "boom");
}

TEST(MarathonEventsTest, InvalidEmbeddedJsonIsAnErrorNotAFrame) {
  EXPECT_FALSE(api_post_event("ip", "/v2/apps", "{\"id\":", at()).ok());
  EXPECT_FALSE(deployment_success_event("d", "not json", at()).ok());
  EXPECT_FALSE(failed_health_check_event("/a", "t", "t", "", at()).ok());
  EXPECT_FALSE(deployment_info_event("{}", "{\"actions\":", at()).ok());
  EXPECT_FALSE(deployment_step_success_event("", "{}", at()).ok());
}

TEST(MarathonEventsTest, DeploymentStepEventsCarryThePlanAndTheCurrentStep) {
  const std::string plan =
      R"({"id":"d-1","original":{"id":"/","apps":[]},"target":{"id":"/","apps":[{"id":"/web"}]},
          "steps":[{"actions":[{"action":"StartApplication","app":"/web"}]}],
          "version":"2015-09-30T12:47:11.286Z"})";
  const std::string step = R"({"actions":[{"action":"StartApplication","app":"/web"}]})";
  for (const auto& built :
       {deployment_info_event(plan, step, at()), deployment_step_success_event(plan, step, at()),
        deployment_step_failure_event(plan, step, at())}) {
    json event = json::parse(must(built));
    EXPECT_EQ(event["plan"], json::parse(plan));
    EXPECT_EQ(event["currentStep"], json::parse(step));
    EXPECT_EQ(event.size(), 4u);  // plan, currentStep, eventType, timestamp
  }
  EXPECT_EQ(json::parse(must(deployment_info_event(plan, step, at())))["eventType"],
            "deployment_info");
  EXPECT_EQ(json::parse(must(deployment_step_failure_event(plan, step, at())))["eventType"],
            "deployment_step_failure");
}

TEST(MarathonEventsTest, HealthCheckEventsNameTheAppTheTaskAndTheCheck) {
  const std::string check = R"({"protocol":"HTTP","path":"/health","portIndex":0})";
  json failed =
      json::parse(must(failed_health_check_event("/web", "web.1f2e", "web.1f2e", check, at())));
  EXPECT_EQ(failed, json::parse(R"({"appId":"/web","taskId":"web.1f2e","instanceId":"web.1f2e",
      "healthCheck":{"protocol":"HTTP","path":"/health","portIndex":0},
      "eventType":"failed_health_check_event","timestamp":"2015-09-30T12:47:11.286Z"})"));
  json added = json::parse(must(add_health_check_event("/web", "v1", check, at())));
  EXPECT_EQ(added["appId"], "/web");
  EXPECT_EQ(added["version"], "v1");
  EXPECT_EQ(added["healthCheck"]["path"], "/health");
  json removed = json::parse(remove_health_check_event("/web", at()));
  EXPECT_EQ(removed["appId"], "/web");
  json group = json::parse(group_change_failed_event("/", "v2", "App is locked", at()));
  EXPECT_EQ(group["groupId"], "/");
  EXPECT_EQ(group["version"], "v2");
  EXPECT_EQ(group["reason"], "App is locked");
}

}  // namespace
}  // namespace berth
