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
