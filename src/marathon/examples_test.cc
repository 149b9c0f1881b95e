// The real app definitions of marathon-api.md §18 must parse as described there.
#include <gtest/gtest.h>

#include "marathon/app_json.h"
#include "marathon/marathon_test_util.h"

namespace berth::marathon {
namespace {

// §18.1, the Powerstrip + Flocker demo's database.
const char* const kFlockerDb = R"({
  "id":"mongo",
  "mem": 128,
  "cpus":0.1,
  "env":{
    "WEAVE_CIDR":"10.255.0.10/24"
  },
  "container":{
    "type":"DOCKER",
    "docker":{
      "image":"mongo",
      "network": "BRIDGE"
    },
    "volumes":[{
      "containerPath": "/data/db",
      "hostPath": "/flocker/mongodata",
      "mode": "RW"
    }],
    "forcePullImage":true
  },
  "constraints": [["disk", "CLUSTER", "spinning"]],
  "cmd":""
})";

// §18.1, the demo's web app.
const char* const kFlockerApp = R"({
  "id":"app",
  "mem": 128,
  "cpus":0.1,
  "env":{
    "WEAVE_CIDR":"10.255.0.11/24",
    "MONGO_URI":"mongodb://10.255.0.10:27017/todos"
  },
  "container":{
    "type":"DOCKER",
    "docker":{
      "image":"binocarlos/powerstrip-mesosphere-demo:latest",
      "network": "BRIDGE",
      "portMappings": [{
        "containerPort": 8000,
        "hostPort": 8000,
        "protocol": "tcp"
      }]
    },
    "forcePullImage":true
  },
  "ports":[
    8000
  ],
  "constraints": [["disk", "CLUSTER", "spinning"]],
  "cmd":""
})";

// §18.2, an external DVDI volume on a MESOS container.
const char* const kDvdiMesos = R"({ "id": "hello-play",
  "cmd": "while [ true ] ; do touch /var/lib/rexray/volumes/test12345/hello ; sleep 5 ; done",
  "mem": 32, "cpus": 0.1, "instances": 1,
  "container": { "type": "MESOS",
    "volumes": [ { "containerPath": "test-rexray-volume",
        "external": { "size": 5, "name": "test12345", "provider": "dvdi",
                      "options": { "dvdi/driver": "rexray" } },
        "mode": "RW" } ] },
  "upgradeStrategy": { "minimumHealthCapacity": 0, "maximumOverCapacity": 0 } })";

// §18.3, external DVDI volumes on a DOCKER container.
const char* const kDvdiDocker = R"({ "id": "/pmm-server",
  "container": { "type": "DOCKER",
    "volumes": [
      { "external": { "name": "pmm-prometheus", "provider": "dvdi", "options": { "dvdi/driver": "rexray" } },
        "mode": "RW", "containerPath": "/opt/prometheus/data" },
      { "external": { "name": "pmm-mysql", "provider": "dvdi", "options": { "dvdi/driver": "rexray" } },
        "mode": "RW", "containerPath": "/var/lib/mysql" } ],
    "docker": { "image": "percona/pmm-server:1.8.1" },
    "portMappings": [ { "containerPort": 80, "hostPort": 0, "labels": { "VIP_0": "/pmm-server:80" },
                        "protocol": "tcp", "name": "pmm-server" } ] },
  "cpus": 2, "mem": 2048, "instances": 1,
  "healthChecks": [ { "portIndex": 0, "protocol": "MESOS_HTTP", "path": "/ping" } ],
  "networks": [ { "name": "dcos", "mode": "container" } ],
  "requirePorts": false, "constraints": [], "fetch": [] })";

// §18.4, a resident app with a local persistent volume.
const char* const kResident =
    R"({ "id": "arangodbagency", "cpus": 0.25, "mem": 1024, "disk": 1024, "instances": 3,
  "container": { "type": "DOCKER",
    "docker": { "image": "neunhoef/arangodb-marathon", "network": "BRIDGE", "forcePullImage": true,
                "portMappings": [ { "containerPort": 8529, "hostPort": 0, "protocol": "tcp" } ] },
    "volumes": [
      { "hostPath": "data", "containerPath": "/var/lib/arangodb3", "mode": "RW" },
      { "containerPath": "data", "persistent": { "size": 1024 }, "mode": "RW" } ] },
  "env": { "AGENCY_SIZE": "3" },
  "constraints": [ [ "hostname", "UNIQUE" ] ],
  "healthChecks": [ { "path": "/_api/version", "portIndex": 0, "protocol": "HTTP", "gracePeriodSeconds": 300,
      "intervalSeconds": 30, "timeoutSeconds": 5, "maxConsecutiveFailures": 0, "ignoreHttp1xx": false } ],
  "residency": { "relaunchEscalationTimeoutSeconds": 3600, "taskLostBehavior": "WAIT_FOREVER" } })";

// §18.2's note: Datera's README examples carry trailing commas.
const char* const kTrailingComma = R"({ "id": "datera",
  "cmd": "sleep 100",
  "container": { "type": "MESOS",
    "volumes": [ { "containerPath": "data",
        "external": { "name": "vol1", "provider": "dvdi",
                      "options": { "dvdi/driver": "datera", "dvdi/size": "33", "dvdi/replica": "3", } },
        "mode": "RW" } ] } })";

AppDefinition parse_ok(const char* body) {
  auto app = parse_app(body);
  EXPECT_TRUE(app.ok()) << testing::describe(app.ok() ? Error{} : app.error());
  return app.ok() ? *app : AppDefinition{};
}

TEST(Examples, FlockerDatabase) {
  AppDefinition app = parse_ok(kFlockerDb);
  EXPECT_EQ(app.id, "/mongo");
  EXPECT_FALSE(app.cmd);  // "cmd":"" next to a container
  EXPECT_EQ(app.instances, 1);
  EXPECT_EQ(app.cpus, 0.1);
  ASSERT_EQ(app.networks.size(), 1u);
  EXPECT_EQ(app.networks[0].mode, "container/bridge");
  ASSERT_TRUE(app.container);
  EXPECT_EQ(app.container->docker->image, "mongo");
  EXPECT_FALSE(app.container->docker->force_pull_image);  // misplaced at container level
  ASSERT_EQ(app.container->volumes.size(), 1u);
  EXPECT_EQ(app.container->volumes[0].host_path, "/flocker/mongodata");
  ASSERT_EQ(app.constraints.size(), 1u);
  EXPECT_EQ(app.constraints[0],
            (Constraint{"disk", Constraint::Operator::kCluster, std::string("spinning")}));
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{1.0, 1.0}));
}

TEST(Examples, FlockerWebApp) {
  AppDefinition app = parse_ok(kFlockerApp);
  EXPECT_EQ(app.id, "/app");
  ASSERT_EQ(app.container->port_mappings.size(), 1u);
  const PortMapping& mapping = app.container->port_mappings[0];
  EXPECT_EQ(mapping.container_port, 8000u);
  EXPECT_EQ(mapping.host_port, 8000u);
  EXPECT_TRUE(app.port_definitions.empty());
  EXPECT_EQ(app.env.at("MONGO_URI"), "mongodb://10.255.0.10:27017/todos");
}

TEST(Examples, DvdiOnMesos) {
  AppDefinition app = parse_ok(kDvdiMesos);
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{0.0, 0.0}));
  const ExternalVolume& external = *app.container->volumes[0].external;
  EXPECT_EQ(external.size, 5);
  EXPECT_EQ(external.provider, "dvdi");
}

TEST(Examples, DvdiOnDocker) {
  AppDefinition app = parse_ok(kDvdiDocker);
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{0.5, 0.0}));
  EXPECT_EQ(app.networks[0], (Network{"container", std::string("dcos"), {}}));
  EXPECT_EQ(app.container->volumes.size(), 2u);
  EXPECT_EQ(app.health_checks[0].protocol, "MESOS_HTTP");
  EXPECT_EQ(app.container->port_mappings[0].labels.at("VIP_0"), "/pmm-server:80");
}

TEST(Examples, ResidentApp) {
  AppDefinition app = parse_ok(kResident);
  EXPECT_EQ(app.instances, 3);
  EXPECT_TRUE(app.has_persistent_volumes());
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{0.5, 0.0}));
  EXPECT_TRUE(app.unreachable_strategy.disabled);
  EXPECT_EQ(app.health_checks[0].max_consecutive_failures, 0);
  EXPECT_EQ(app.health_checks[0].timeout_seconds, 5);
  EXPECT_EQ(app.container->volumes[0].host_path, "data");
}

TEST(Examples, TrailingCommaIs400InvalidJson) {
  auto app = parse_app(kTrailingComma);
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(app.error().message, "Invalid JSON");
  EXPECT_FALSE(app.error().details_text.empty());
}

TEST(Examples, EveryExampleRoundTrips) {
  for (const char* body : {kFlockerDb, kFlockerApp, kDvdiMesos, kDvdiDocker, kResident}) {
    AppDefinition app = parse_ok(body);
    auto again = parse_app(app_to_json(app));
    ASSERT_TRUE(again.ok()) << testing::describe(again.error()) << "\n" << app_to_json(app);
    EXPECT_EQ(*again, app) << app_to_json(app);
  }
}

}  // namespace
}  // namespace berth::marathon
