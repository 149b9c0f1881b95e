// The volume structs' JSON: round trips, old messages without volumes, and the names and sizes
// a node must never be handed.
#include "api/volume_protocol.h"

#include <gtest/gtest.h>

#include "api/agent_protocol.h"

namespace berth {
namespace {

TaskVolume pgdata() {
  TaskVolume volume;
  volume.volume.name = "pgdata";
  volume.volume.driver = "blockpool";
  volume.volume.size_mib = 1024;
  volume.volume.fs_type = "xfs";
  volume.volume.options = {{"iops", "150"}};
  volume.volume.epoch = 7;
  volume.container_path = "/var/lib/postgresql/data";
  volume.read_only = true;
  return volume;
}

TEST(VolumeProtocolTest, TaskVolumeRoundTrip) {
  auto parsed = parse_task_volume(to_json(pgdata()));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, pgdata());
}

TEST(VolumeProtocolTest, MountedVolumeRoundTrip) {
  MountedVolume mounted{"pgdata", 3, {"app.1", "app.2"}};
  auto parsed = parse_mounted_volume(to_json(mounted));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, mounted);
}

TEST(VolumeProtocolTest, DefaultsForAbsentFields) {
  auto parsed =
      parse_task_volume(R"({"volume":{"name":"v1","driver":"local"},"container_path":"data"})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->volume.fs_type, "ext4");
  EXPECT_EQ(parsed->volume.epoch, 0u);
  EXPECT_TRUE(parsed->volume.external);
  EXPECT_FALSE(parsed->read_only);
}

TEST(VolumeProtocolTest, NamesThatCouldLeaveTheirDirectoryAreRefused) {
  for (const char* name :
       {"", ".", "..", "../etc", "a/b", "-x", ".hidden", "Upper", "a b", "a;rm", "a$b"}) {
    EXPECT_FALSE(validate_volume_name(name).ok()) << name;
  }
  EXPECT_FALSE(validate_volume_name(std::string("a\0b", 3)).ok());
  EXPECT_FALSE(validate_volume_name(std::string(129, 'a')).ok());
  for (const char* name : {"pgdata", "a", "0", "my-vol_1.data"}) {
    EXPECT_TRUE(validate_volume_name(name).ok()) << name;
  }
}

TEST(VolumeProtocolTest, BadValuesAreRefusedWithTheirField) {
  auto bad_name =
      parse_task_volume(R"({"volume":{"name":"../x","driver":"local"},"container_path":"/d"})");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_EQ(bad_name.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad_name.error().message.find("volume name"), std::string::npos);

  auto huge = parse_task_volume(
      R"({"volume":{"name":"v","driver":"local","size_mib":999999999999},"container_path":"/d"})");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("size_mib"), std::string::npos);

  auto negative = parse_task_volume(
      R"({"volume":{"name":"v","driver":"local","size_mib":-1},"container_path":"/d"})");
  EXPECT_FALSE(negative.ok());

  auto bad_fs = parse_task_volume(
      R"({"volume":{"name":"v","driver":"local","fs_type":"ext4 -O x"},"container_path":"/d"})");
  EXPECT_FALSE(bad_fs.ok());

  auto no_path = parse_task_volume(R"({"volume":{"name":"v","driver":"local"}})");
  EXPECT_FALSE(no_path.ok());

  auto wrong_type = parse_task_volume(
      R"({"volume":{"name":"v","driver":"local","size_mib":"big"},"container_path":"/d"})");
  ASSERT_FALSE(wrong_type.ok());
  EXPECT_NE(wrong_type.error().message.find("invalid task volume"), std::string::npos);
}

TEST(VolumeProtocolTest, TaskSpecCarriesVolumes) {
  TaskSpec spec;
  spec.task_id = "db.1";
  spec.command = "postgres";
  spec.volumes = {pgdata()};
  auto parsed = parse_task_spec(to_json(spec));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->volumes.size(), 1u);
  EXPECT_EQ(parsed->volumes[0], pgdata());
}

TEST(VolumeProtocolTest, TaskSpecWithoutVolumesHasNoVolumesField) {
  TaskSpec spec;
  spec.task_id = "t1";
  EXPECT_EQ(to_json(spec).find("volumes"), std::string::npos);
  auto old = parse_task_spec(R"({"task_id":"t1","command":"true"})");
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_TRUE(old->volumes.empty());
}

TEST(VolumeProtocolTest, TaskSpecWithABadVolumeIsRefused) {
  auto parsed = parse_task_spec(
      R"({"task_id":"t1","volumes":[{"volume":{"name":"a/b","driver":"x"},"container_path":"/d"}]})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("task spec t1"), std::string::npos);
}

TEST(VolumeProtocolTest, RegistrationCarriesMountedVolumes) {
  RegisterAgent message;
  message.hostname = "node-1";
  message.port = 5051;
  message.volumes = {{"pgdata", 4, {"db.1"}}};
  auto parsed = parse_register_agent(to_json(message));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->volumes.size(), 1u);
  EXPECT_EQ(parsed->volumes[0], message.volumes[0]);

  auto old = parse_register_agent(R"({"hostname":"n","port":1,"resources":{}})");
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_TRUE(old->volumes.empty());
}

}  // namespace
}  // namespace berth
