// Round trips of the agent protocol's messages, and the errors malformed ones produce.
#include "api/agent_protocol.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(AgentProtocolTest, RegistrationRoundTrip) {
  RegisterAgent message;
  message.agent_id = "a1";
  message.hostname = "node-1";
  message.port = 5051;
  message.resources = *Resources::parse("cpus:2;mem:1024;ports:[31000-31010]");
  message.attributes = *parse_attributes("disk:ssd;rack:2");
  message.boot_id = "boot";
  message.tasks = {{"t1", TaskState::kRunning}, {"t2", TaskState::kFailed}};
  auto parsed = parse_register_agent(to_json(message));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->hostname, "node-1");
  EXPECT_EQ(parsed->resources, message.resources);
  EXPECT_EQ(parsed->attributes, message.attributes);
  ASSERT_EQ(parsed->tasks.size(), 2u);
  EXPECT_EQ(parsed->tasks[1].state, TaskState::kFailed);
  EXPECT_FALSE(parsed->volume_drivers) << "an agent that does not say";

  message.volume_drivers = std::vector<std::string>{"blockpool", "local"};
  parsed = parse_register_agent(to_json(message));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->volume_drivers, message.volume_drivers);
}

TEST(AgentProtocolTest, PollRoundTripCarriesTheMounts) {
  PollRequest poll{{"a1", "s1"}, {{"pgdata", 7, {"pg.1", "pg.2"}}, {"logs", 2, {}}}};
  auto parsed = parse_poll_request(poll_request_json(poll));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->ref.agent_id, "a1");
  EXPECT_EQ(parsed->ref.session, "s1");
  EXPECT_EQ(parsed->volumes, poll.volumes);
}

TEST(AgentProtocolTest, APollWithoutMountsSaysNothingAboutThem) {
  // Absent on the wire means none, so a poll of an agent from before the field still parses.
  EXPECT_EQ(poll_request_json({{"a1", "s1"}, {}}), R"({"agent_id":"a1","session":"s1"})");
  auto parsed = parse_poll_request(R"({"agent_id":"a1","session":"s1"})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_TRUE(parsed->volumes.empty());
  auto bad = parse_poll_request(R"({"agent_id":"a1","session":"s1","volumes":[{"name":"../x"}]})");
  EXPECT_FALSE(bad.ok());
}

TEST(AgentProtocolTest, RegisterReplyCarriesTheVolumeLeaseOnlyWhenSet) {
  RegisterReply reply{"a1", "s1", 1000, 500, 5000};
  auto parsed = parse_register_reply(to_json(reply));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->volume_lease_ms, 5000);
  EXPECT_EQ(parsed->poll_timeout_ms, 500);

  reply.volume_lease_ms.reset();
  EXPECT_EQ(to_json(reply).find("volume_lease"), std::string::npos);
  parsed = parse_register_reply(to_json(reply));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_FALSE(parsed->volume_lease_ms.has_value());

  EXPECT_FALSE(parse_register_reply(R"({"agent_id":"a","session":"s","heartbeat_interval_ms":1,)"
                                    R"("poll_timeout_ms":1,"volume_lease_ms":0})")
                   .ok());
}

TEST(AgentProtocolTest, CommandsRoundTrip) {
  TaskSpec spec;
  spec.task_id = "t1";
  spec.command = "sleep 10";
  spec.environment = {{"PORT0", "31000"}};
  spec.resources = *Resources::parse("cpus:0.1;mem:32;ports:[31000-31000]");
  auto parsed =
      parse_commands(commands_json({AgentCommand::launch(spec), AgentCommand::kill("t2", 500)}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].task.command, "sleep 10");
  EXPECT_EQ((*parsed)[0].task.environment.at("PORT0"), "31000");
  EXPECT_EQ((*parsed)[0].task.resources, spec.resources);
  EXPECT_EQ((*parsed)[1].kind, AgentCommand::Kind::kKill);
  EXPECT_EQ((*parsed)[1].grace_period_ms, 500);
}

TEST(AgentProtocolTest, VolumeOrdersRoundTrip) {
  auto parsed = parse_commands(commands_json(
      {AgentCommand::volume_order(AgentCommand::Kind::kUnmountVolume, "pgdata", 3, {}),
       AgentCommand::volume_order(AgentCommand::Kind::kRevokeVolume, "pgdata", 4, {"t1", "t2"},
                                  "agent came back after its lease")}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].kind, AgentCommand::Kind::kUnmountVolume);
  EXPECT_EQ((*parsed)[0].volume, "pgdata");
  EXPECT_EQ((*parsed)[0].epoch, 3u);
  EXPECT_EQ((*parsed)[1].kind, AgentCommand::Kind::kRevokeVolume);
  EXPECT_EQ((*parsed)[1].kill_task_ids, (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ((*parsed)[1].reason, "agent came back after its lease");
  // A name that could escape the pool is refused on the wire already.
  EXPECT_FALSE(
      parse_commands(R"({"commands":[{"type":"REVOKE_VOLUME","volume":"../x","epoch":1}]})").ok());
}

TEST(AgentProtocolTest, StatusUpdatesRoundTrip) {
  StatusUpdate update{.uuid = "u1",
                      .task_id = "t1",
                      .seq = 7,
                      .state = TaskState::kFailed,
                      .reason = "REASON_CONTAINER_LIMITATION_MEMORY",
                      .message = "Memory limit exceeded",
                      .timestamp_ms = 42};
  auto parsed = parse_status_request(status_request_json({"a1", "s1"}, {update}));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->first.session, "s1");
  EXPECT_EQ(parsed->second[0].reason, "REASON_CONTAINER_LIMITATION_MEMORY");
  EXPECT_EQ(parsed->second[0].state, TaskState::kFailed);
  EXPECT_EQ(parsed->second[0].seq, 7u);
}

TEST(AgentProtocolTest, HealthReadinessAndFetchRoundTrip) {
  TaskSpec spec;
  spec.task_id = "t1";
  spec.command = "python3 -m http.server $PORT0";
  HealthCheckSpec http;
  http.kind = HealthCheckKind::kHttp;
  http.port = 31005;
  http.path = "/ping";
  http.grace_period_ms = 1000;
  http.interval_ms = 2000;
  http.timeout_ms = 500;
  http.delay_ms = 0;
  http.max_consecutive_failures = 0;
  http.ignore_http1xx = true;
  HealthCheckSpec command;
  command.kind = HealthCheckKind::kCommand;
  command.command = "test -f ready";
  command.port_index = 1;
  spec.health_checks = {http, command};
  ReadinessCheckSpec readiness;
  readiness.port_index = 2;
  readiness.path = "/ready";
  readiness.http_status_codes_for_ready = {200, 204};
  spec.readiness_check = readiness;
  spec.fetch = {{"file:///tmp/app.tgz", true, false, ""}, {"/usr/bin/env", false, true, "bin/e"}};

  auto parsed = parse_task_spec(to_json(spec));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->health_checks, spec.health_checks);
  EXPECT_EQ(parsed->readiness_check, spec.readiness_check);
  EXPECT_EQ(parsed->fetch, spec.fetch);
}

TEST(AgentProtocolTest, HealthFieldsOfStatusUpdatesRoundTrip) {
  StatusUpdate update{.uuid = "u1", .task_id = "t1", .seq = 3, .state = TaskState::kRunning};
  update.reason = kReasonHealthUpdated;
  update.healthy = false;
  HealthCheckResult result;
  result.alive = false;
  result.consecutive_failures = 2;
  result.first_success_ms = 1000;
  result.last_success_ms = 2000;
  result.last_failure_ms = 3000;
  result.last_failure_cause = "connection refused";
  update.health_results = {result, HealthCheckResult{}};
  update.ready = true;
  auto parsed = parse_status_update(to_json(update));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->healthy, std::optional<bool>(false));
  EXPECT_EQ(parsed->health_results, update.health_results);
  EXPECT_FALSE(parsed->health_results[1].first_success_ms.has_value());
  EXPECT_EQ(parsed->ready, std::optional<bool>(true));
}

// Messages written before health checks existed (checkpoints, a master or agent of the previous
// version) still parse, with every new field unset.
TEST(AgentProtocolTest, MessagesWithoutHealthFieldsStillParse) {
  auto update = parse_status_update(
      R"({"uuid":"u","task_id":"t","seq":1,"state":"TASK_RUNNING","reason":"","message":""})");
  ASSERT_TRUE(update.ok()) << update.error().message;
  EXPECT_FALSE(update->healthy.has_value());
  EXPECT_TRUE(update->health_results.empty());
  EXPECT_FALSE(update->ready.has_value());
  auto spec = parse_task_spec(R"({"task_id":"t","command":"true"})");
  ASSERT_TRUE(spec.ok()) << spec.error().message;
  EXPECT_TRUE(spec->health_checks.empty());
  EXPECT_FALSE(spec->readiness_check.has_value());
  EXPECT_TRUE(spec->fetch.empty());
  // And an update without health news carries none on the wire.
  EXPECT_EQ(to_json(*update).find("healthy"), std::string::npos);
}

TEST(AgentProtocolTest, HealthCheckProtocolsMapToFourKinds) {
  EXPECT_EQ(parse_health_check_protocol("MESOS_HTTP"), HealthCheckKind::kHttp);
  EXPECT_EQ(parse_health_check_protocol("HTTPS"), HealthCheckKind::kHttps);
  EXPECT_EQ(parse_health_check_protocol("MESOS_TCP"), HealthCheckKind::kTcp);
  EXPECT_EQ(parse_health_check_protocol("COMMAND"), HealthCheckKind::kCommand);
  EXPECT_FALSE(parse_health_check_protocol("UDP").has_value());
  auto bad = parse_task_spec(R"({"task_id":"t","health_checks":[{"kind":"COMMAND"}]})");
  EXPECT_FALSE(bad.ok());
}

TEST(AgentProtocolTest, MalformedMessagesAreErrorsNotCrashes) {
  EXPECT_FALSE(parse_register_agent("{").ok());
  EXPECT_FALSE(parse_register_agent("{\"hostname\":1}").ok());
  EXPECT_FALSE(parse_commands("{\"commands\":[{\"type\":\"REBOOT\"}]}").ok());
  auto bad_state =
      parse_status_update("{\"uuid\":\"u\",\"task_id\":\"t\",\"state\":\"TASK_DANCING\"}");
  ASSERT_FALSE(bad_state.ok());
  EXPECT_NE(bad_state.error().message.find("TASK_DANCING"), std::string::npos);
}

TEST(TaskStateTest, TerminalStates) {
  EXPECT_TRUE(is_terminal(TaskState::kFinished));
  EXPECT_TRUE(is_terminal(TaskState::kLost));
  EXPECT_FALSE(is_terminal(TaskState::kUnreachable));
  EXPECT_FALSE(is_terminal(TaskState::kKilling));
  EXPECT_EQ(parse_task_state("TASK_RUNNING"), TaskState::kRunning);
}

}  // namespace
}  // namespace berth
