// Tests of the volume rules (marathon-api.md §7, §8): DVDI, CSI and local persistent volumes.
#include <gtest/gtest.h>

#include "marathon/app_json.h"
#include "marathon/marathon_test_util.h"

namespace berth::marathon {
namespace {

using testing::errors_at;
using testing::HasViolation;

Error parse_error(const std::string& body) {
  auto app = parse_app(body);
  EXPECT_FALSE(app.ok()) << "parsed: " << body;
  return app.ok() ? Error{} : app.error();
}

AppDefinition parse_ok(const std::string& body) {
  auto app = parse_app(body);
  EXPECT_TRUE(app.ok()) << testing::describe(app.ok() ? Error{} : app.error());
  return app.ok() ? *app : AppDefinition{};
}

// A MESOS app with the given volumes JSON and extra top-level fields.
std::string mesos_app(const std::string& volumes, const std::string& extra = "") {
  return R"({"id": "/db", "cmd": "run", )" + extra +
         R"("container": {"type": "MESOS", "volumes": )" + volumes + "}}";
}
std::string docker_app(const std::string& volumes, const std::string& extra = "") {
  return R"({"id": "/db", )" + extra +
         R"("container": {"type": "DOCKER", "docker": {"image": "postgres"}, "volumes": )" +
         volumes + "}}";
}

const char* const kRexray =
    R"([{"containerPath": "data", "mode": "RW", "external": {"name": "pg", "provider": "dvdi",
        "options": {"dvdi/driver": "rexray"}}}])";

TEST(DvdiVolumes, DefaultsTheUpgradeStrategyToReplaceOneAtATime) {
  AppDefinition app = parse_ok(mesos_app(kRexray));
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{0.5, 0.0}));
  EXPECT_TRUE(app.has_external_volumes());
  EXPECT_FALSE(app.residency);
  EXPECT_FALSE(app.unreachable_strategy.disabled);
  ASSERT_TRUE(app.container);
  const ExternalVolume& external = *app.container->volumes[0].external;
  EXPECT_EQ(external.name, "pg");
  EXPECT_EQ(external.options.at("dvdi/driver"), "rexray");
}

TEST(DvdiVolumes, OverCapacityMustBeZero) {
  Error error = parse_error(mesos_app(kRexray, R"("upgradeStrategy": {"minimumHealthCapacity": 1,
      "maximumOverCapacity": 1}, )"));
  EXPECT_EQ(errors_at(error, "/upgradeStrategy/maximumOverCapacity"),
            std::vector<std::string>{"got 1.0, expected 0.0"});
  parse_ok(mesos_app(kRexray, R"("upgradeStrategy": {"minimumHealthCapacity": 1,
      "maximumOverCapacity": 0}, )"));
}

TEST(DvdiVolumes, OneInstanceOnly) {
  Error error = parse_error(mesos_app(kRexray, R"("instances": 2, )"));
  EXPECT_TRUE(HasViolation(error, "/",
                           "Number of instances is limited to 1 when declaring DVDI volumes in app "
                           "[/db]"));
}

TEST(DvdiVolumes, NameDriverAndOptionRules) {
  Error error = parse_error(mesos_app(R"([
      {"containerPath": "a", "external": {"name": "", "provider": "dvdi", "options": {}}},
      {"containerPath": "b", "external": {"name": "v", "provider": "dvdi",
         "options": {"dvdi/driver": "Rex_Ray"}}},
      {"containerPath": "c", "external": {"name": "w", "provider": "dvdi",
         "options": {"dvdi/driver": "rexray", "dvdi/iops": "-5", "dvdi/overwritefs": "yes",
                     "dvdi/volumetype": "Gp2", "badkey": "1"}}},
      {"containerPath": "d", "external": {"name": "x", "provider": "nfs"}}])"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)/external/name", "must not be empty"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)/external/options(\"dvdi/driver\")",
                           "not defined"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(1)/external/options(\"dvdi/driver\")",
                           "'Rex_Ray' is not a valid label"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(2)/external/options(\"dvdi/iops\")",
                           "'-5' is not a valid natural number"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(2)/external/options(\"dvdi/overwritefs\")",
                           "'yes' is not a valid boolean"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(2)/external/options(\"dvdi/volumetype\")",
                           "'Gp2' is not a valid label"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(2)/external/options(\"badkey\")",
                           "'badkey' is not a valid option key"));
  EXPECT_TRUE(
      HasViolation(error, "/container/volumes(3)/external/provider", "is unknown provider"));
}

TEST(DvdiVolumes, NamesAndSizesBerthCanStore) {
  Error error = parse_error(mesos_app(R"([
      {"containerPath": "a", "external": {"name": "../etc", "provider": "dvdi",
         "options": {"dvdi/driver": "rexray"}}},
      {"containerPath": "b", "external": {"name": "x;rm -rf", "provider": "dvdi", "size": 0,
         "options": {"dvdi/driver": "rexray"}}},
      {"containerPath": "c", "external": {"name": "big", "provider": "dvdi", "size": 9999999,
         "options": {"dvdi/driver": "rexray"}}},
      {"containerPath": "c", "persistent": {"size": 999999999999}}])"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)/external/name",
                           "volume name '../etc' must start with a letter or a digit"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(1)/external/name",
                           "volume name 'x;rm -rf' may contain only a-z, 0-9, '.', '_' and '-'"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(1)/external/size",
                           "got 0, expected between 1 and 65536"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(2)/external/size",
                           "got 9999999, expected between 1 and 65536"));
  EXPECT_TRUE(
      HasViolation(error, "/container/volumes(3)/containerPath", "'c' is used by another volume"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(3)/persistent/size",
                           "got 999999999999, expected at most 67108864"));
}

TEST(DvdiVolumes, OptionValuesMustBeStrings) {
  Error error = parse_error(mesos_app(R"([{"containerPath": "a", "external": {"name": "v",
      "provider": "dvdi", "options": {"dvdi/driver": "rexray", "dvdi/iops": 100}}}])"));
  EXPECT_EQ(error.message, "Invalid JSON");
  EXPECT_EQ(errors_at(error, "/container/volumes(0)/external/options(\"dvdi/iops\")"),
            std::vector<std::string>{"error.expected.jsstring"});
}

TEST(DvdiVolumes, DuplicateNamesWithinOneApp) {
  Error error = parse_error(mesos_app(R"([
      {"containerPath": "a", "external": {"name": "v", "provider": "dvdi",
         "options": {"dvdi/driver": "rexray"}}},
      {"containerPath": "b", "external": {"name": "v", "provider": "dvdi",
         "options": {"dvdi/driver": "rexray"}}}])"));
  EXPECT_TRUE(HasViolation(error, "/",
                           "Requested DVDI volume 'v' is declared more than once within app /db"));
  EXPECT_TRUE(HasViolation(error, "/container", "Volume names must be unique"));
}

TEST(DvdiVolumes, MesosContainerRules) {
  Error error = parse_error(mesos_app(R"([
      {"containerPath": "/abs/path", "mode": "RO", "external": {"name": "v", "provider": "dvdi",
         "options": {"dvdi/driver": "rexray"}}},
      {"containerPath": "..", "external": {"name": "w", "provider": "dvdi",
         "options": {"dvdi/driver": "rexray"}}}])"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)/mode", "does not equal RW"));
  EXPECT_TRUE(
      HasViolation(error, "/container/volumes(0)/containerPath", "value must not contain \"/\""));
  EXPECT_TRUE(
      HasViolation(error, "/container/volumes(1)/containerPath", "can not be one of (.,..)"));
}

TEST(DvdiVolumes, DockerContainerRules) {
  parse_ok(docker_app(R"([{"containerPath": "/var/lib/pg", "mode": "RW", "external": {
      "name": "pg", "provider": "dvdi", "options": {"dvdi/driver": "rexray"}}}])"));
  Error error = parse_error(docker_app(R"([{"containerPath": "/var/lib/pg", "external": {
      "name": "pg", "provider": "dvdi", "size": 5,
      "options": {"dvdi/driver": "rexray", "dvdi/iops": "100"}}}])"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)/external/options",
                           "must only contain dvdi/driver"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)/external/size",
                           "must be undefined for Docker containers"));
}

TEST(CsiVolumes, ParsesStructuredOptions) {
  AppDefinition app = parse_ok(mesos_app(R"([{"containerPath": "data", "mode": "RW",
      "external": {"name": "vol-1", "provider": "csi", "options": {"pluginName": "ebs",
        "capability": {"accessMode": "SINGLE_NODE_WRITER", "accessType": "mount",
                       "fsType": "xfs", "mountFlags": ["noatime"]},
        "nodeStageSecret": {"key": "stage-secret"}, "volumeContext": {"zone": "a"}}}}])"));
  const ExternalVolume& external = *app.container->volumes[0].external;
  ASSERT_TRUE(external.csi);
  EXPECT_EQ(external.csi->plugin_name, "ebs");
  EXPECT_EQ(external.csi->access_mode, "SINGLE_NODE_WRITER");
  EXPECT_EQ(external.csi->fs_type, "xfs");
  EXPECT_EQ(external.csi->mount_flags, std::vector<std::string>{"noatime"});
  EXPECT_EQ(external.csi->node_stage_secret.at("key"), "stage-secret");
  EXPECT_EQ(external.csi->volume_context.at("zone"), "a");
  EXPECT_TRUE(external.options.empty());
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{0.5, 0.0}));
}

TEST(CsiVolumes, InstanceAndModeRules) {
  auto csi = [](const char* mode, const char* access) {
    return std::string(R"([{"containerPath": "data", "mode": ")") + mode +
           R"(", "external": {"name": "v", "provider": "csi", "options": {"pluginName": "p",
           "capability": {"accessMode": ")" +
           access + R"(", "accessType": "mount"}}}}])";
  };
  Error single = parse_error(mesos_app(csi("RW", "SINGLE_NODE_WRITER"), R"("instances": 2, )"));
  EXPECT_TRUE(
      HasViolation(single, "/instances",
                   "got 2, expected 1 or less while non-shareable CSI volumes are defined"));
  Error writer =
      parse_error(mesos_app(csi("RW", "MULTI_NODE_SINGLE_WRITER"), R"("instances": 3, )"));
  EXPECT_TRUE(HasViolation(writer, "/instances",
                           "got 3, expected 1 or less while a multi-node single-writer volume is "
                           "defined mounted as read/write"));
  parse_ok(mesos_app(csi("RW", "MULTI_NODE_MULTI_WRITER"), R"("instances": 3, )"));
  Error read_only = parse_error(mesos_app(csi("RW", "MULTI_NODE_READER_ONLY")));
  EXPECT_TRUE(HasViolation(read_only, "/container/volumes(0)",
                           "CSI volume must be mounted readonly with a read-only access mode"));
  Error missing = parse_error(mesos_app(R"([{"containerPath": "d", "external": {"name": "v",
      "provider": "csi", "options": {"capability": {"accessMode": "SINGLE_NODE_WRITER"}}}}])"));
  EXPECT_EQ(errors_at(missing, "/container/volumes(0)/external/options/pluginName"),
            std::vector<std::string>{"error.path.missing"});
}

TEST(PersistentVolumes, ResidentDefaults) {
  AppDefinition app = parse_ok(
      mesos_app(R"([{"containerPath": "data", "mode": "RW", "persistent": {"size": 512}}])",
                R"("instances": 3, )"));
  EXPECT_TRUE(app.has_persistent_volumes());
  EXPECT_EQ(app.upgrade_strategy, (UpgradeStrategy{0.5, 0.0}));
  EXPECT_TRUE(app.unreachable_strategy.disabled);
  ASSERT_TRUE(app.residency);
  EXPECT_EQ(*app.residency, Residency{});
  EXPECT_EQ(app.container->volumes[0].persistent->type, "root");
  EXPECT_EQ(app.instances, 3);
}

TEST(PersistentVolumes, SizeTypeAndPathRules) {
  Error error = parse_error(mesos_app(R"([
      {"containerPath": "a/b", "mode": "RO", "persistent": {"size": 0}},
      {"containerPath": "c", "persistent": {"size": 100, "maxSize": 200}},
      {"containerPath": "d", "persistent": {"type": "mount", "size": 100, "maxSize": 50}},
      {"containerPath": "", "persistent": {"size": 1}}])"));
  EXPECT_TRUE(
      HasViolation(error, "/container/volumes(0)/persistent/size", "got 0, expected more than 0"));
  EXPECT_TRUE(
      HasViolation(error, "/container/volumes(0)/containerPath", "value must not contain \"/\""));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)/mode", "does not equal RW"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(1)/persistent",
                           "Only mount volumes can have maxSize"));
  EXPECT_TRUE(
      HasViolation(error, "/container/volumes(2)/persistent", "Max size must be larger than size"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(3)/containerPath", "must not be empty"));
  // profileName makes a mount volume.
  AppDefinition app = parse_ok(
      mesos_app(R"([{"containerPath": "d", "persistent": {"size": 10, "profileName": "fast"}}])"));
  EXPECT_EQ(app.container->volumes[0].persistent->type, "mount");
}

TEST(PersistentVolumes, ConstraintRules) {
  Error error = parse_error(mesos_app(R"([
      {"containerPath": "a", "persistent": {"size": 1, "constraints": [["path", "LIKE", "/mnt/.*"]]}},
      {"containerPath": "b", "persistent": {"type": "path", "size": 1, "constraints": [
          ["path"], ["path", "SOMETIMES", "x"], ["path", "UNIQUE"], ["disk", "LIKE", "x"],
          ["path", "LIKE", "("]]}}])"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)/persistent/constraints",
                           "Constraints on root volumes are not supported"));
  std::string base = "/container/volumes(1)/persistent/constraints";
  EXPECT_TRUE(HasViolation(error, base + "(0)", "Missing field and operator"));
  EXPECT_TRUE(HasViolation(error, base + "(1)", "unknown constraint operator SOMETIMES"));
  EXPECT_TRUE(HasViolation(error, base + "(2)", "Operator must be one of LIKE, UNLIKE"));
  EXPECT_TRUE(HasViolation(error, base + "(3)", "Unsupported constraint disk,LIKE,x"));
  EXPECT_TRUE(HasViolation(error, base + "(4)", "Invalid regular expression"));
  AppDefinition app = parse_ok(mesos_app(R"([{"containerPath": "a", "persistent": {"type": "path",
      "size": 1, "constraints": [["path", "UNLIKE", "/mnt/slow.*"]]}}])"));
  ASSERT_EQ(app.container->volumes[0].persistent->constraints.size(), 1u);
}

TEST(PersistentVolumes, ResidentAppRules) {
  const char* volume = R"([{"containerPath": "data", "persistent": {"size": 1}}])";
  Error error = parse_error(mesos_app(volume, R"("unreachableStrategy": {"inactiveAfterSeconds": 1,
      "expungeAfterSeconds": 2}, "acceptedResourceRoles": ["slave_public"], "role": "*",
      "upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": 0.5}, )"));
  EXPECT_TRUE(HasViolation(error, "/unreachableStrategy",
                           "unreachableStrategy must be disabled for resident tasks"));
  EXPECT_TRUE(HasViolation(error, "/acceptedResourceRoles",
                           "A resident app must have `acceptedResourceRoles = [\"*\"]`."));
  EXPECT_TRUE(HasViolation(error, "/role", "Resident apps cannot have the role *"));
  EXPECT_TRUE(HasViolation(error, "/upgradeStrategy/maximumOverCapacity", "got 0.5, expected 0.0"));
  parse_ok(mesos_app(volume, R"("acceptedResourceRoles": ["*"], "role": "db", )"));
  EXPECT_TRUE(HasViolation(parse_error(R"({"id": "a", "cmd": "x", "residency": {}})"), "/",
                           "AppDefinition must contain persistent volumes and define residency"));
}

TEST(Volumes, KindRules) {
  Error error = parse_error(mesos_app(R"([{"containerPath": "/a"},
      {"containerPath": "b", "hostPath": "/h", "persistent": {"size": 1}},
      {"containerPath": "/c", "secret": "s"}])"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(0)",
                           "must specify one of hostPath, persistent, external or secret"));
  EXPECT_TRUE(HasViolation(error, "/container/volumes(1)",
                           "must specify only one of hostPath, persistent, external or secret"));
  EXPECT_TRUE(
      HasViolation(error, "/container/volumes(2)/secret", "secret volumes are not supported"));
  Error missing = parse_error(mesos_app(R"([{"hostPath": "/h"}])"));
  EXPECT_EQ(errors_at(missing, "/container/volumes(0)/containerPath"),
            std::vector<std::string>{"error.path.missing"});
}

}  // namespace
}  // namespace berth::marathon
