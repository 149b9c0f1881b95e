// Tests of reading app bodies: error tiers, defaults, legacy conversion and validation rules.
#include <gtest/gtest.h>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "marathon/marathon_test_util.h"

namespace berth::marathon {
namespace {

using testing::errors_at;
using testing::HasViolation;

Error parse_error(std::string_view body) {
  auto app = parse_app(body);
  EXPECT_FALSE(app.ok()) << "parsed: " << body;
  return app.ok() ? Error{} : app.error();
}

AppDefinition parse_ok(std::string_view body) {
  auto app = parse_app(body);
  EXPECT_TRUE(app.ok()) << testing::describe(app.ok() ? Error{} : app.error());
  return app.ok() ? *app : AppDefinition{};
}

TEST(ParseApp, MalformedJsonIs400WithTheParserMessage) {
  Error error = parse_error(R"({"id": "a", "cmd": "x",})");
  EXPECT_EQ(error.code, ErrorCode::kMalformed);
  EXPECT_EQ(error.message, "Invalid JSON");
  EXPECT_FALSE(error.details_text.empty());
  EXPECT_TRUE(error.fields.empty());
  EXPECT_EQ(parse_error("").code, ErrorCode::kMalformed);
}

TEST(ParseApp, TypeErrorsUsePlayJsonKeys) {
  Error error = parse_error(R"({"id": 5, "cmd": true, "instances": "3", "cpus": [],
      "env": {"A": 1}, "labels": [], "constraints": "x", "requirePorts": "yes",
      "container": {"type": "DOCKER", "docker": {"image": "x"}, "volumes": {}}})");
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.message, "Invalid JSON");
  EXPECT_EQ(errors_at(error, "/id"), std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errors_at(error, "/cmd"), std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errors_at(error, "/instances"), std::vector<std::string>{"error.expected.jsnumber"});
  EXPECT_EQ(errors_at(error, "/cpus"), std::vector<std::string>{"error.expected.jsnumber"});
  EXPECT_EQ(errors_at(error, "/env/A"), std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errors_at(error, "/labels"), std::vector<std::string>{"error.expected.jsobject"});
  EXPECT_EQ(errors_at(error, "/constraints"), std::vector<std::string>{"error.expected.jsarray"});
  EXPECT_EQ(errors_at(error, "/requirePorts"),
            std::vector<std::string>{"error.expected.jsboolean"});
  EXPECT_EQ(errors_at(error, "/container/volumes"),
            std::vector<std::string>{"error.expected.jsarray"});
}

TEST(ParseApp, MissingIdAndFractionalInstances) {
  Error error = parse_error(R"({"cmd": "sleep 1", "instances": 1.5})");
  EXPECT_EQ(error.message, "Invalid JSON");
  EXPECT_EQ(errors_at(error, "/id"), std::vector<std::string>{"error.path.missing"});
  EXPECT_EQ(errors_at(error, "/instances"), std::vector<std::string>{"error.expected.int"});
  Error range = parse_error(R"({"id": "a", "cmd": "x", "instances": 1e10,
      "taskKillGracePeriodSeconds": 1e19})");
  EXPECT_EQ(errors_at(range, "/instances"), std::vector<std::string>{"error.expected.int"});
  EXPECT_EQ(errors_at(range, "/taskKillGracePeriodSeconds"),
            std::vector<std::string>{"error.expected.long"});
  // An integral float is an int, as for play-json.
  EXPECT_EQ(parse_ok(R"({"id": "a", "cmd": "x", "instances": 2.0})").instances, 2);
}

TEST(ParseApp, NestedTypeErrorPaths) {
  Error error = parse_error(R"({"id": "a", "cmd": "x",
      "container": {"type": "MESOS", "volumes": [{"containerPath": 1, "hostPath": "/h"}]},
      "healthChecks": [{"protocol": "SMOKE"}], "constraints": [["a", 1]],
      "killSelection": "RANDOM"})");
  EXPECT_EQ(error.message, "Invalid JSON");
  EXPECT_EQ(errors_at(error, "/container/volumes(0)/containerPath"),
            std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errors_at(error, "/healthChecks(0)/protocol"),
            std::vector<std::string>{"error.unknown.enum.literal"});
  EXPECT_EQ(errors_at(error, "/constraints(0)(1)"),
            std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errors_at(error, "/killSelection"),
            std::vector<std::string>{"error.unknown.enum.literal"});
}

TEST(ParseApp, BodyThatIsNotAnObject) {
  Error error = parse_error("[1, 2]");
  EXPECT_EQ(error.message, "Invalid JSON");
  EXPECT_EQ(errors_at(error, "/"), std::vector<std::string>{"error.expected.jsobject"});
}

TEST(ParseApp, DefaultsOfMarathon110) {
  AppDefinition app = parse_ok(R"({"id": "sleep", "cmd": "sleep 100", "unknownField": {"x": 1}})");
  EXPECT_EQ(app.id, "/sleep");
  EXPECT_EQ(app.cmd, "sleep 100");
  EXPECT_EQ(app.instances, 1);
  EXPECT_EQ(app.cpus, 1.0);
  EXPECT_EQ(app.mem, 128.0);
  EXPECT_EQ(app.disk, 0.0);
  EXPECT_EQ(app.gpus, 0);
  EXPECT_EQ(app.executor, "");
  EXPECT_EQ(app.backoff_seconds, 1.0);
  EXPECT_EQ(app.backoff_factor, 1.15);
  EXPECT_EQ(app.max_launch_delay_seconds, 300.0);
  EXPECT_FALSE(app.require_ports);
  ASSERT_EQ(app.port_definitions.size(), 1u);
  EXPECT_EQ(app.port_definitions[0], (PortDefinition{0, "tcp", "default", {}}));
  EXPECT_TRUE(app.networks.empty());
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{1.0, 1.0}));
  EXPECT_EQ(app.unreachable_strategy, (UnreachableStrategy{false, 0, 0}));
  EXPECT_EQ(app.kill_selection, KillSelection::kYoungestFirst);
  EXPECT_FALSE(app.residency);
  EXPECT_FALSE(app.container);
}

TEST(ParseApp, RelativeIdsResolveAgainstTheBaseGroup) {
  auto app = parse_app(R"({"id": "web", "cmd": "x", "dependencies": ["../db", "/cache", "api"]})",
                       "/prod/frontend");
  ASSERT_TRUE(app.ok()) << testing::describe(app.error());
  EXPECT_EQ(app->id, "/prod/frontend/web");
  EXPECT_EQ(app->dependencies,
            (std::vector<std::string>{"/prod/db", "/cache", "/prod/frontend/api"}));
  EXPECT_EQ(parse_ok(R"({"id": "//mongo-1/", "cmd": "x"})").id, "/mongo-1");
}

TEST(ParseApp, IdRules) {
  Error upper = parse_error(R"({"id": "/My_App", "cmd": "x"})");
  EXPECT_EQ(upper.message, "Object is not valid");
  ASSERT_EQ(errors_at(upper, "/id").size(), 1u);
  EXPECT_EQ(errors_at(upper, "/id")[0].rfind("must fully match regular expression '^((", 0), 0u);
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "/app/restart", "cmd": "x"})"), "/id",
                           "must not end with any of the following reserved keywords: restart, "
                           "tasks, versions, ., .."));
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "/", "cmd": "x"})"), "/id",
                           "Path must contain at least one path element"));
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x", "dependencies": ["Bad"]})"),
                           "/dependencies(0)", errors_at(upper, "/id")[0]));
}

TEST(ParseApp, CmdArgsContainerRule) {
  const std::string message =
      "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.";
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a"})"), "/", message));
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x", "args": ["y"]})"), "/", message));
  parse_ok(R"({"id": "a", "args": ["sleep", "1"]})");
  parse_ok(R"({"id": "a", "container": {"type": "DOCKER", "docker": {"image": "nginx"}}})");
  parse_ok(R"({"id": "a", "args": ["x"], "container": {"type": "MESOS"}})");
}

TEST(ParseApp, EmptyCmdIsAbsentNextToAContainerAndInvalidAlone) {
  AppDefinition app = parse_ok(
      R"({"id": "a", "cmd": "", "container": {"type": "DOCKER", "docker": {"image": "m"}}})");
  EXPECT_FALSE(app.cmd);
  Error error = parse_error(R"({"id": "a", "cmd": ""})");
  EXPECT_TRUE(HasViolation(error, "/cmd", "must not be an empty string"));
}

TEST(ParseApp, NumericRanges) {
  Error error = parse_error(R"({"id": "a", "cmd": "x", "instances": -1, "cpus": 0, "mem": -1,
      "disk": -2, "gpus": -1, "backoffSeconds": -1, "backoffFactor": 0.5,
      "maxLaunchDelaySeconds": -3, "taskKillGracePeriodSeconds": -1,
      "upgradeStrategy": {"minimumHealthCapacity": 1.5, "maximumOverCapacity": -0.5}})");
  EXPECT_EQ(error.message, "Object is not valid");
  EXPECT_TRUE(HasViolation(error, "/instances", "got -1, expected 0 or more"));
  EXPECT_TRUE(HasViolation(error, "/cpus", "got 0.0, expected 0.001 or more"));
  EXPECT_TRUE(HasViolation(error, "/mem", "got -1.0, expected 0.0 or more"));
  EXPECT_TRUE(HasViolation(error, "/disk", "got -2.0, expected 0.0 or more"));
  EXPECT_TRUE(HasViolation(error, "/gpus", "got -1, expected 0 or more"));
  EXPECT_TRUE(HasViolation(error, "/backoffSeconds", "got -1.0, expected 0.0 or more"));
  EXPECT_TRUE(HasViolation(error, "/backoffFactor", "got 0.5, expected 1.0 or more"));
  EXPECT_TRUE(HasViolation(error, "/maxLaunchDelaySeconds", "got -3.0, expected 0.0 or more"));
  EXPECT_TRUE(HasViolation(error, "/taskKillGracePeriodSeconds", "got -1, expected 0 or more"));
  EXPECT_TRUE(HasViolation(error, "/upgradeStrategy/minimumHealthCapacity",
                           "got 1.5, expected between 0.0 and 1.0"));
  EXPECT_TRUE(HasViolation(error, "/upgradeStrategy/maximumOverCapacity",
                           "got -0.5, expected between 0.0 and 1.0"));
  // instances 0 is allowed (a suspended app).
  EXPECT_EQ(parse_ok(R"({"id": "a", "cmd": "x", "instances": 0})").instances, 0);
}

TEST(ParseApp, GpusNeedTheMesosContainerizer) {
  EXPECT_TRUE(HasViolation(
      parse_error(
          R"({"id": "a", "gpus": 1, "container": {"type": "DOCKER", "docker": {"image": "x"}}})"),
      "/", "GPU resources only work with the Mesos containerizer"));
  parse_ok(R"({"id": "a", "cmd": "x", "gpus": 1, "container": {"type": "MESOS"}})");
}

TEST(ParseApp, ExecutorPattern) {
  parse_ok(R"({"id": "a", "cmd": "x", "executor": "//cmd"})");
  parse_ok(R"({"id": "a", "cmd": "x", "executor": "/opt/exec"})");
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x", "executor": "/a//b"})"),
                           "/executor",
                           "must fully match regular expression '^(//cmd)|(/?[^/]+(/[^/]+)*)|$'"));
}

TEST(ParseApp, Constraints) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x", "constraints": [
      ["hostname", "UNIQUE"], ["rack", "GROUP_BY", "3"], ["disk", "CLUSTER", "ssd"],
      ["@zone", "LIKE", "a|b"], ["rack", "UNLIKE", "r[0-9]"], ["hostname", "MAX_PER", "2"],
      ["cpus", "IS", "4"], ["hostname", "UNIQUE"], ["hostname", "CLUSTER"], ["host", "UNIQUE", ""]]})");
  ASSERT_EQ(app.constraints.size(), 9u);  // the repeated one collapses
  EXPECT_EQ(app.constraints[1],
            (Constraint{"rack", Constraint::Operator::kGroupBy, std::string("3")}));

  Error error = parse_error(R"({"id": "a", "cmd": "x", "constraints": [
      ["hostname"], ["hostname", "SOMETIMES"], ["a", "LIKE"], ["a", "LIKE", "[unclosed"],
      ["a", "MAX_PER"], ["a", "MAX_PER", "two"], ["a", "GROUP_BY", "x"], ["a", "UNIQUE", "v"],
      ["a", "IS"], ["a", "UNIQUE", "b", "c"]]})");
  EXPECT_EQ(error.message, "Object is not valid");
  EXPECT_TRUE(HasViolation(error, "/constraints(0)", "illegal constraint specification hostname"));
  EXPECT_TRUE(HasViolation(error, "/constraints(1)", "illegal constraint operator SOMETIMES"));
  EXPECT_TRUE(
      HasViolation(error, "/constraints(2)", "A regular expression value must be provided"));
  EXPECT_TRUE(
      HasViolation(error, "/constraints(3)", "'[unclosed' is not a valid regular expression"));
  EXPECT_TRUE(HasViolation(error, "/constraints(4)", "Missing value"));
  EXPECT_TRUE(HasViolation(error, "/constraints(5)", "Value was specified but is not a number"));
  EXPECT_TRUE(HasViolation(error, "/constraints(6)", "Value was specified but is not a number"));
  EXPECT_TRUE(HasViolation(error, "/constraints(7)", "Value specified but not used"));
  EXPECT_TRUE(HasViolation(error, "/constraints(8)", "A non-empty value must be provided"));
  EXPECT_TRUE(
      HasViolation(error, "/constraints(9)", "illegal constraint specification a,UNIQUE,b,c"));
}

TEST(ParseApp, LegacyPortsBecomePortDefinitions) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x", "ports": [8080, 0]})");
  ASSERT_EQ(app.port_definitions.size(), 2u);
  EXPECT_EQ(app.port_definitions[0], (PortDefinition{8080, "tcp", std::nullopt, {}}));
  EXPECT_EQ(app.port_definitions[1].port, 0u);
  EXPECT_TRUE(
      parse_ok(R"({"id": "a", "cmd": "x", "portDefinitions": []})").port_definitions.empty());
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x", "ports": [1],
      "portDefinitions": [{"port": 2}]})"),
                           "/", "cannot specify both ports and port definitions"));
}

TEST(ParseApp, PortDefinitionRules) {
  Error error = parse_error(R"({"id": "a", "cmd": "x", "portDefinitions": [
      {"port": 70000, "protocol": "sctp", "name": "Web"}, {"port": 80, "name": "a"},
      {"port": 80, "name": "a"}]})");
  EXPECT_TRUE(
      HasViolation(error, "/portDefinitions(0)/port", "got 70000, expected between 0 and 65535"));
  EXPECT_TRUE(
      HasViolation(error, "/portDefinitions(0)/protocol", "must be one of tcp, udp, udp,tcp"));
  EXPECT_TRUE(HasViolation(error, "/portDefinitions(0)/name",
                           "must fully match regular expression '^[a-z0-9-]+$'"));
  EXPECT_TRUE(HasViolation(error, "/portDefinitions", "Ports must be unique."));
  EXPECT_TRUE(HasViolation(error, "/portDefinitions", "Port names must be unique."));
  // Several dynamic ports are fine.
  parse_ok(R"({"id": "a", "cmd": "x", "portDefinitions": [{"port": 0}, {"port": 0}]})");
}

TEST(ParseApp, LegacyUrisBecomeFetch) {
  AppDefinition app =
      parse_ok(R"({"id": "a", "cmd": "x", "uris": ["http://h/app.tar.gz", "http://h/run.sh"]})");
  ASSERT_EQ(app.fetch.size(), 2u);
  EXPECT_EQ(app.fetch[0], (FetchUri{"http://h/app.tar.gz", true, false, false, std::nullopt}));
  EXPECT_FALSE(app.fetch[1].extract);
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x", "uris": ["u"],
      "fetch": [{"uri": "v"}]})"),
                           "/uris", "may not be set in conjunction with fetch"));
  Error missing = parse_error(R"({"id": "a", "cmd": "x", "fetch": [{"extract": false}]})");
  EXPECT_EQ(errors_at(missing, "/fetch(0)/uri"), std::vector<std::string>{"error.path.missing"});
}

TEST(ParseApp, LegacyDockerNetworkAndPortMappings) {
  AppDefinition app = parse_ok(R"({"id": "a", "container": {"type": "DOCKER",
      "docker": {"image": "nginx", "network": "BRIDGE",
                 "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]}}})");
  ASSERT_EQ(app.networks.size(), 1u);
  EXPECT_EQ(app.networks[0].mode, "container/bridge");
  EXPECT_TRUE(app.port_definitions.empty());
  ASSERT_TRUE(app.container);
  ASSERT_EQ(app.container->port_mappings.size(), 1u);
  EXPECT_EQ(app.container->port_mappings[0].container_port, 80u);
  EXPECT_EQ(app.container->port_mappings[0].host_port, 0u);

  AppDefinition host =
      parse_ok(R"({"id": "a", "container": {"docker": {"image": "nginx", "network": "HOST"}}})");
  EXPECT_TRUE(host.host_networking());
  EXPECT_EQ(host.port_definitions.size(), 1u);

  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "networks": [{"mode": "host"}],
      "container": {"docker": {"image": "n", "network": "BRIDGE"}}})"),
                           "/", "must not specify both container.docker.network and networks"));
}

TEST(ParseApp, IpAddressBecomesAContainerNetwork) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x",
      "ipAddress": {"networkName": "dcos", "labels": {"k": "v"}}})");
  ASSERT_EQ(app.networks.size(), 1u);
  EXPECT_EQ(app.networks[0], (Network{"container", std::string("dcos"), {{"k", "v"}}}));
  // A container network without a container gets a Mesos one with the default mapping.
  ASSERT_TRUE(app.container);
  EXPECT_EQ(app.container->type, "MESOS");
  ASSERT_EQ(app.container->port_mappings.size(), 1u);
  EXPECT_EQ(app.container->port_mappings[0].name, "default");
  EXPECT_FALSE(app.container->port_mappings[0].host_port);
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x", "ipAddress": {},
      "networks": [{"mode": "container", "name": "n"}]})"),
                           "/", "must not specify both networks and ipAddress"));
}

TEST(ParseApp, NetworkingAndPortRules) {
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "container": {"docker": {"image": "n"},
      "portMappings": [{"containerPort": 80}]}})"),
                           "/container/portMappings",
                           "portMappings are not allowed with host-networking"));
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "networks": [{"mode": "container/bridge"}],
      "container": {"docker": {"image": "n"}}, "portDefinitions": [{"port": 80}]})"),
                           "/portDefinitions",
                           "portDefinitions are only allowed with host-networking"));
  AppDefinition bridge = parse_ok(R"({"id": "a", "networks": [{"mode": "container/bridge"}],
      "container": {"docker": {"image": "n"}}})");
  ASSERT_EQ(bridge.container->port_mappings.size(), 1u);
  EXPECT_EQ(bridge.container->port_mappings[0].host_port, 0u);
  EXPECT_EQ(bridge.container->port_mappings[0].name, "default");
  // Legacy ports on a bridge app only say how many mappings there are.
  AppDefinition sized = parse_ok(R"({"id": "a", "ports": [10001, 10002],
      "container": {"docker": {"image": "n", "network": "BRIDGE"}}})");
  EXPECT_EQ(sized.container->port_mappings.size(), 2u);
  EXPECT_TRUE(sized.port_definitions.empty());
}

TEST(ParseApp, HealthChecks) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x", "healthChecks": [
      {"protocol": "HTTP", "path": "/health"}, {"protocol": "COMMAND", "command": {"value": "true"}},
      {"protocol": "TCP", "port": 8080}]})");
  ASSERT_EQ(app.health_checks.size(), 3u);
  EXPECT_EQ(app.health_checks[0].port_index, 0u);
  EXPECT_EQ(app.health_checks[0].grace_period_seconds, 300);
  EXPECT_EQ(app.health_checks[0].interval_seconds, 60);
  EXPECT_EQ(app.health_checks[0].timeout_seconds, 20);
  EXPECT_EQ(app.health_checks[0].max_consecutive_failures, 3);
  EXPECT_EQ(app.health_checks[1].command, "true");
  EXPECT_FALSE(app.health_checks[1].port_index);
  EXPECT_FALSE(app.health_checks[2].port_index);
  EXPECT_EQ(app.health_checks[2].port, 8080u);

  Error error = parse_error(R"({"id": "a", "cmd": "x", "healthChecks": [
      {"protocol": "HTTP", "portIndex": 1}, {"protocol": "MESOS_HTTP"},
      {"protocol": "MESOS_TCP"}, {"protocol": "COMMAND"}, {"intervalSeconds": 0}]})");
  EXPECT_TRUE(HasViolation(error, "/healthChecks(0)",
                           "Health check port indices must address an element of the ports array "
                           "or container port mappings."));
  EXPECT_TRUE(HasViolation(error, "/", "AppDefinition can contain at most one Mesos health check"));
  EXPECT_TRUE(HasViolation(error, "/healthChecks(3)/command", "must not be empty"));
  EXPECT_TRUE(HasViolation(error, "/healthChecks(4)/intervalSeconds", "got 0, expected 1 or more"));

  // No ports at all: index 0 addresses nothing.
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x", "portDefinitions": [],
      "healthChecks": [{"protocol": "HTTP"}]})"),
                           "/healthChecks(0)",
                           "Health check port indices must address an element of the ports array "
                           "or container port mappings."));
}

TEST(ParseApp, ReadinessChecks) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x",
      "portDefinitions": [{"port": 0, "name": "http-api"}], "readinessChecks": [{}]})");
  ASSERT_EQ(app.readiness_checks.size(), 1u);
  EXPECT_EQ(app.readiness_checks[0], ReadinessCheck{});
  Error error = parse_error(R"({"id": "a", "cmd": "x", "readinessChecks": [{}, {}]})");
  EXPECT_TRUE(HasViolation(error, "/readinessChecks", "got 2, expected 1 or less"));
  EXPECT_TRUE(HasViolation(error, "/readinessChecks(0)/portName",
                           "readiness check portName must match the name of a port definition or "
                           "port mapping"));
}

TEST(ParseApp, SingleInstanceLabel) {
  Error error = parse_error(R"({"id": "a", "cmd": "x", "instances": 2,
      "labels": {"MARATHON_SINGLE_INSTANCE_APP": "true"}})");
  EXPECT_TRUE(HasViolation(error, "/", "Single instance app may only have one instance"));
  EXPECT_TRUE(
      HasViolation(error, "/upgradeStrategy/minimumHealthCapacity", "got 1.0, expected 0.0"));
  EXPECT_TRUE(HasViolation(error, "/upgradeStrategy/maximumOverCapacity", "got 1.0, expected 0.0"));
  parse_ok(R"({"id": "a", "cmd": "x", "labels": {"MARATHON_SINGLE_INSTANCE_APP": "true"},
      "upgradeStrategy": {"minimumHealthCapacity": 0, "maximumOverCapacity": 0}})");
}

TEST(ParseApp, EnvSecretsAndStrategies) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x",
      "env": {"A": "1", "PW": {"secret": "pw"}}, "secrets": {"pw": {"source": "db/password"}},
      "unreachableStrategy": "disabled", "killSelection": "OLDEST_FIRST",
      "unknown": null, "cpus": null})");
  EXPECT_EQ(app.env, (std::map<std::string, std::string>{{"A", "1"}}));
  EXPECT_EQ(app.env_secrets, (std::map<std::string, std::string>{{"PW", "pw"}}));
  EXPECT_EQ(app.secrets, (std::map<std::string, std::string>{{"pw", "db/password"}}));
  EXPECT_TRUE(app.unreachable_strategy.disabled);
  EXPECT_EQ(app.kill_selection, KillSelection::kOldestFirst);
  EXPECT_EQ(app.cpus, 1.0);  // null is absent

  EXPECT_TRUE(
      HasViolation(parse_error(R"({"id": "a", "cmd": "x", "env": {"PW": {"secret": "nope"}}})"),
                   "/env/PW", "references an undefined secret"));
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x",
      "unreachableStrategy": {"inactiveAfterSeconds": 600, "expungeAfterSeconds": 60}})"),
                           "/unreachableStrategy",
                           "inactiveAfterSeconds must be less or equal to expungeAfterSeconds"));
}

TEST(ParseApp, VersionFieldsAreRead) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x", "version": "2015-09-25T15:13:48.343Z",
      "versionInfo": {"lastScalingAt": "2015-09-25T15:13:48.343Z",
                      "lastConfigChangeAt": "2015-09-25T15:13:48Z"}})");
  EXPECT_EQ(format_timestamp(app.version), "2015-09-25T15:13:48.343Z");
  EXPECT_EQ(format_timestamp(app.version_info.last_config_change_at), "2015-09-25T15:13:48.000Z");
  Error error = parse_error(R"({"id": "a", "cmd": "x", "version": "yesterday"})");
  EXPECT_EQ(errors_at(error, "/version"),
            std::vector<std::string>{"error.expected.date.isoformat"});
}

TEST(ParseApp, EveryViolationIsReportedAtOnce) {
  Error error = parse_error(R"({"id": "/Bad", "instances": -1, "cpus": -1})");
  EXPECT_EQ(error.message, "Object is not valid");
  EXPECT_GE(error.fields.size(), 4u);  // /id, /, /instances, /cpus
}

TEST(ParseApp, ParseWithIdFromThePath) {
  auto app = parse_app_with_id(R"({"id": "/other", "cmd": "x"})", "//prod/app/");
  ASSERT_TRUE(app.ok());
  EXPECT_EQ(app->id, "/prod/app");
  auto bad = parse_app_with_id(R"({"cmd": "x"})", "/Prod");
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(errors_at(bad.error(), "/id").empty());
}

TEST(ValidateApp, AppsBuiltInCode) {
  AppDefinition app;
  app.id = "/a";
  app.cmd = "sleep 1";
  EXPECT_TRUE(validate_app(app).ok());
  app.instances = -2;
  Status status = validate_app(app);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(HasViolation(status.error(), "/instances", "got -2, expected 0 or more"));
}

}  // namespace
}  // namespace berth::marathon
