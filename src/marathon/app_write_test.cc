// Tests of App and AppInfo output: only the keys python3-marathon accepts (§17.2), round trips.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "marathon/marathon_test_util.h"

namespace berth::marathon {
namespace {

using nlohmann::json;
using Keys = std::set<std::string>;

const Keys kAppKeys = {"id",
                       "cmd",
                       "args",
                       "user",
                       "env",
                       "instances",
                       "cpus",
                       "mem",
                       "disk",
                       "gpus",
                       "executor",
                       "constraints",
                       "container",
                       "healthChecks",
                       "readinessChecks",
                       "readinessCheckResults",
                       "dependencies",
                       "upgradeStrategy",
                       "unreachableStrategy",
                       "killSelection",
                       "labels",
                       "acceptedResourceRoles",
                       "role",
                       "backoffFactor",
                       "backoffSeconds",
                       "maxLaunchDelaySeconds",
                       "requirePorts",
                       "ports",
                       "portDefinitions",
                       "networks",
                       "ipAddress",
                       "fetch",
                       "uris",
                       "storeUrls",
                       "secrets",
                       "residency",
                       "taskKillGracePeriodSeconds",
                       "taskRateLimit",
                       "version",
                       "versionInfo",
                       "deployments",
                       "tasks",
                       "tasksRunning",
                       "tasksStaged",
                       "tasksHealthy",
                       "tasksUnhealthy",
                       "lastTaskFailure",
                       "taskStats"};

void expect_keys_within(const json& object, const Keys& allowed, const std::string& where) {
  ASSERT_TRUE(object.is_object()) << where;
  for (const auto& [key, value] : object.items()) {
    EXPECT_TRUE(allowed.count(key)) << "unexpected key " << where << "." << key;
  }
}

// Checks an App object against every list of §17.2.
void expect_client_compatible(const json& app) {
  expect_keys_within(app, kAppKeys, "app");
  expect_keys_within(app["upgradeStrategy"], {"minimumHealthCapacity", "maximumOverCapacity"},
                     "upgradeStrategy");
  if (app.contains("versionInfo")) {
    expect_keys_within(app["versionInfo"], {"lastScalingAt", "lastConfigChangeAt"}, "versionInfo");
  }
  if (app["unreachableStrategy"].is_object()) {
    expect_keys_within(app["unreachableStrategy"], {"inactiveAfterSeconds", "expungeAfterSeconds"},
                       "unreachableStrategy");
  } else {
    EXPECT_EQ(app["unreachableStrategy"], "disabled");
  }
  EXPECT_TRUE(app["killSelection"] == "YOUNGEST_FIRST" || app["killSelection"] == "OLDEST_FIRST");
  for (const json& port : app["portDefinitions"]) {
    expect_keys_within(port, {"port", "protocol", "name", "labels"}, "portDefinitions[]");
  }
  for (const json& check : app["readinessChecks"]) {
    expect_keys_within(check,
                       {"name", "protocol", "path", "portName", "intervalSeconds", "timeoutSeconds",
                        "httpStatusCodesForReady", "preserveLastResponse"},
                       "readinessChecks[]");
  }
  for (const auto& [name, secret] : app["secrets"].items()) {
    expect_keys_within(secret, {"source"}, "secrets." + name);
  }
  if (app.contains("container")) {
    const json& container = app["container"];
    expect_keys_within(container, {"type", "docker", "portMappings", "volumes"}, "container");
    EXPECT_TRUE(container["type"] == "DOCKER" || container["type"] == "MESOS");
    for (const json& mapping : container["portMappings"]) {
      expect_keys_within(mapping,
                         {"name", "containerPort", "hostPort", "servicePort", "protocol", "labels"},
                         "portMappings[]");
      EXPECT_TRUE(mapping["protocol"].is_string());
    }
    for (const json& volume : container["volumes"]) {
      expect_keys_within(volume, {"containerPath", "hostPath", "mode", "persistent", "external"},
                         "volumes[]");
      EXPECT_TRUE(volume["mode"] == "RO" || volume["mode"] == "RW");
    }
  }
  // Nothing is null.
  std::function<void(const json&)> no_nulls = [&](const json& value) {
    EXPECT_FALSE(value.is_null());
    if (value.is_structured()) {
      for (const auto& item : value.items()) no_nulls(item.value());
    }
  };
  no_nulls(app);
}

const char* const kRichApp = R"({
  "id": "/prod/db/postgres", "cmd": "postgres -D data", "user": "postgres", "instances": 1,
  "cpus": 0.5, "mem": 512.5, "disk": 10, "executor": "//cmd",
  "env": {"PGDATA": "data", "PW": {"secret": "pw"}}, "secrets": {"pw": {"source": "/db/pw"}},
  "labels": {"tier": "db"}, "constraints": [["hostname", "UNIQUE"], ["rack", "GROUP_BY", "2"]],
  "acceptedResourceRoles": ["*"], "role": "db",
  "portDefinitions": [{"port": 5432, "protocol": "tcp", "name": "pg", "labels": {"l": "v"}},
                      {"port": 0, "name": "http-api"}],
  "container": {"type": "MESOS", "volumes": [
     {"containerPath": "data", "mode": "RW", "persistent": {"type": "path", "size": 1024,
        "constraints": [["path", "LIKE", "/mnt/ssd.*"]]}},
     {"containerPath": "ext", "mode": "RW", "external": {"name": "pgvol", "provider": "dvdi",
        "size": 10, "options": {"dvdi/driver": "rexray", "dvdi/iops": "100"}}},
     {"containerPath": "csi", "mode": "RO", "external": {"name": "ro", "provider": "csi",
        "options": {"pluginName": "p", "capability": {"accessMode": "MULTI_NODE_READER_ONLY",
        "accessType": "block"}}}},
     {"containerPath": "/etc/conf", "hostPath": "/etc/pg", "mode": "RO"}]},
  "healthChecks": [{"protocol": "MESOS_TCP", "portIndex": 0, "gracePeriodSeconds": 10},
                   {"protocol": "HTTP", "path": "/ok", "portIndex": 1, "ignoreHttp1xx": true}],
  "readinessChecks": [{"name": "ready", "portName": "http-api", "httpStatusCodesForReady": [200, 204]}],
  "fetch": [{"uri": "http://x/a.tgz", "destPath": "a"}],
  "dependencies": ["../cache"], "backoffSeconds": 2, "backoffFactor": 1.5,
  "maxLaunchDelaySeconds": 60, "requirePorts": true, "killSelection": "OLDEST_FIRST",
  "taskKillGracePeriodSeconds": 30,
  "residency": {"relaunchEscalationTimeoutSeconds": 60, "taskLostBehavior": "RELAUNCH_AFTER_TIMEOUT"},
  "version": "2020-01-02T03:04:05.678Z",
  "versionInfo": {"lastScalingAt": "2020-01-02T03:04:05.678Z",
                  "lastConfigChangeAt": "2020-01-01T00:00:00.000Z"}
})";

AppDefinition parse_ok(std::string_view body) {
  auto app = parse_app(body);
  EXPECT_TRUE(app.ok()) << testing::describe(app.ok() ? Error{} : app.error());
  return app.ok() ? *app : AppDefinition{};
}

TEST(AppToJson, RichAppRoundTripsAndStaysWithinTheClientsKeys) {
  AppDefinition app = parse_ok(kRichApp);
  std::string text = app_to_json(app);
  json output = json::parse(text);
  expect_client_compatible(output);
  EXPECT_EQ(output["id"], "/prod/db/postgres");
  EXPECT_EQ(output["dependencies"], json::array({"/prod/cache"}));
  EXPECT_EQ(output["env"]["PW"], json({{"secret", "pw"}}));
  EXPECT_EQ(output["unreachableStrategy"], "disabled");
  EXPECT_EQ(output["version"], "2020-01-02T03:04:05.678Z");
  EXPECT_EQ(output["versionInfo"]["lastConfigChangeAt"], "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(output["healthChecks"][0].count("path"), 0u);  // TCP has no path
  EXPECT_EQ(output["container"]["volumes"][2]["external"]["options"]["capability"]["accessType"],
            "block");
  auto again = parse_app(text);
  ASSERT_TRUE(again.ok()) << testing::describe(again.error());
  EXPECT_EQ(*again, app);
}

TEST(AppToJson, MinimalAppOmitsUnsetOptionalsAndLegacyFields) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x", "ports": [0], "uris": ["http://u"]})");
  json output = json::parse(app_to_json(app));
  expect_client_compatible(output);
  for (const char* absent :
       {"args", "user", "container", "role", "residency", "ports", "uris", "ipAddress",
        "taskKillGracePeriodSeconds", "acceptedResourceRoles", "version", "versionInfo"}) {
    EXPECT_FALSE(output.contains(absent)) << absent;
  }
  EXPECT_EQ(output["networks"], json::parse(R"([{"mode": "host"}])"));
  EXPECT_EQ(output["fetch"][0]["uri"], "http://u");
  EXPECT_EQ(output["portDefinitions"][0]["port"], 0);
  EXPECT_EQ(output["upgradeStrategy"],
            json::parse(R"({"minimumHealthCapacity": 1.0, "maximumOverCapacity": 1.0})"));
  EXPECT_EQ(output["unreachableStrategy"],
            json::parse(R"({"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0})"));
  auto again = parse_app(app_to_json(app));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, app);
}

TEST(AppToJson, LegacyBridgeAppIsEchoedInCanonicalForm) {
  AppDefinition app = parse_ok(R"({"id": "web", "container": {"type": "DOCKER",
      "docker": {"image": "nginx", "network": "BRIDGE",
                 "portMappings": [{"containerPort": 80, "hostPort": 0, "servicePort": 10000}]}}})");
  json output = json::parse(app_to_json(app));
  expect_client_compatible(output);
  EXPECT_FALSE(output["container"]["docker"].contains("network"));
  EXPECT_FALSE(output["container"]["docker"].contains("portMappings"));
  EXPECT_EQ(output["networks"], json::parse(R"([{"mode": "container/bridge"}])"));
  EXPECT_EQ(output["container"]["portMappings"][0]["containerPort"], 80);
  EXPECT_EQ(output["portDefinitions"], json::array());
  auto again = parse_app(app_to_json(app));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, app);
}

TEST(AppInfoJson, EmbedsCountsDeploymentsAndCallerFragments) {
  AppDefinition app = parse_ok(R"({"id": "a", "cmd": "x"})");
  AppInfoExtras extras;
  extras.counts = TaskCounts{1, 2, 3, 4};
  extras.deployment_ids = std::vector<std::string>{"d-1"};
  extras.tasks_json = R"([{"id":"a.1","appId":"/a"}])";
  extras.last_task_failure_json = R"({"appId":"/a","state":"TASK_FAILED"})";
  json output = json::parse(app_info_json(app, extras));
  expect_client_compatible(output);
  EXPECT_EQ(output["tasksStaged"], 1);
  EXPECT_EQ(output["tasksRunning"], 2);
  EXPECT_EQ(output["tasksHealthy"], 3);
  EXPECT_EQ(output["tasksUnhealthy"], 4);
  EXPECT_EQ(output["deployments"], json::parse(R"([{"id": "d-1"}])"));
  EXPECT_EQ(output["tasks"][0]["id"], "a.1");
  EXPECT_EQ(output["lastTaskFailure"]["state"], "TASK_FAILED");
  EXPECT_FALSE(output.contains("taskStats"));

  json bare = json::parse(app_info_json(app, AppInfoExtras{}));
  EXPECT_EQ(bare, json::parse(app_to_json(app)));
}

TEST(AppToJson, ProgrammaticAppRoundTrips) {
  AppDefinition app;
  app.id = "/x/y";
  app.args = std::vector<std::string>{"sleep", "5"};
  app.version = from_epoch_millis(1'600'000'000'123);
  app.version_info.last_scaling_at = app.version;
  app.version_info.last_config_change_at = app.version;
  ASSERT_TRUE(validate_app(app).ok());
  auto again = parse_app(app_to_json(app));
  ASSERT_TRUE(again.ok()) << testing::describe(again.error());
  EXPECT_EQ(*again, app);
}

}  // namespace
}  // namespace berth::marathon
