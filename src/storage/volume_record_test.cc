// Volume records: validation messages and both JSON forms.
#include "storage/volume_record.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace berth {
namespace {

std::string first_rule(const Status& status) {
  if (status.ok() || status.error().fields.empty()) return "";
  return status.error().fields[0].path + ": " + status.error().fields[0].errors[0];
}

TEST(VolumeName, AcceptsPlainNames) {
  for (const char* name : {"pgdata", "a", "mysql-data_1.v2", "0db"}) {
    EXPECT_TRUE(check_volume_name(name).ok()) << name;
  }
  EXPECT_TRUE(check_volume_name(std::string(kMaxVolumeNameLength, 'a')).ok());
}

TEST(VolumeName, RefusesPathsShellAndControlCharacters) {
  EXPECT_EQ(first_rule(check_volume_name("")), "/name: must not be empty");
  EXPECT_EQ(first_rule(check_volume_name("a/b")),
            "/name: may contain only lowercase letters, digits, '.', '_' and '-'; found '/' at "
            "position 1");
  EXPECT_EQ(first_rule(check_volume_name("a..b")), "/name: must not contain '..'");
  EXPECT_EQ(first_rule(check_volume_name("..")), "/name: must not contain '..'");
  EXPECT_EQ(first_rule(check_volume_name(std::string("a\0b", 3))),
            "/name: may contain only lowercase letters, digits, '.', '_' and '-'; found NUL at "
            "position 1");
  EXPECT_EQ(first_rule(check_volume_name(".hidden")),
            "/name: must start with a lowercase letter or a digit; found '.' at position 0");
  for (const char* bad : {"a;rm", "a b", "a$x", "a`x`", "a|b", "a&b", "a'b", "a\"b", "a\nb", "a>b",
                          "a*b", "Pgdata"}) {
    EXPECT_FALSE(check_volume_name(bad).ok()) << bad;
  }
  EXPECT_EQ(first_rule(check_volume_name(std::string(kMaxVolumeNameLength + 1, 'a'))),
            "/name: must be at most 128 characters long, got 129");
  // The caller's JSON path is used.
  EXPECT_EQ(check_volume_name("a/b", "/container/volumes(0)/external/name").error().fields[0].path,
            "/container/volumes(0)/external/name");
}

TEST(VolumeSize, BoundsDependOnTheFilesystem) {
  EXPECT_TRUE(validate_volume_size(16, "ext4").ok());
  EXPECT_EQ(first_rule(validate_volume_size(15, "ext4")), "/size: must be at least 16 MiB, got 15");
  EXPECT_EQ(first_rule(validate_volume_size(-1, "ext4")), "/size: must be at least 16 MiB, got -1");
  EXPECT_EQ(first_rule(validate_volume_size(100, "xfs")),
            "/size: must be at least 300 MiB for xfs, got 100");
  EXPECT_TRUE(validate_volume_size(kMaxVolumeSizeMiB, "xfs").ok());
  EXPECT_EQ(first_rule(validate_volume_size(kMaxVolumeSizeMiB + 1, "ext4")),
            "/size: must be at most 67108864 MiB (64 TiB), got 67108865");
  EXPECT_EQ(first_rule(validate_fs_type("btrfs")), "/fsType: must be ext4 or xfs, got 'btrfs'");
}

TEST(VolumeOptions, NamesValuesAndTotalSize) {
  EXPECT_TRUE(validate_volume_options({{"dvdi/iops", "150"}, {"volumetype", "io1"}}).ok());
  EXPECT_EQ(first_rule(validate_volume_options({{"a b", "1"}})),
            "/options(\"a b\"): option names may contain only letters, digits, '.', '_', '-' and "
            "'/'; found ' '");
  EXPECT_EQ(first_rule(validate_volume_options({{"k", "x\ny"}})),
            "/options(\"k\"): option values must not contain control characters; found 0x0a");
  EXPECT_EQ(first_rule(validate_volume_options({{"k", std::string(5000, 'x')}})),
            "/options: options must total at most 4096 bytes, got 5001");
}

VolumeRecord sample() {
  VolumeRecord v;
  v.name = "pgdata";
  v.driver = "blockpool";
  v.size_mib = 2048;
  v.fs_type = "xfs";
  v.options = {{"iops", "150"}};
  v.access = VolumeAccess::kShared;
  v.state = VolumeState::kAttached;
  v.attachment = VolumeAttachment{"a-1", 7, WallTime(std::chrono::milliseconds(1767225600123))};
  v.claims = {"pg.1", "pg.2"};
  v.app_id = "/db/pg";
  v.history.push_back({"a-0", 3, WallTime(std::chrono::milliseconds(1767225500000)),
                       WallTime(std::chrono::milliseconds(1767225550000)), "fenced"});
  v.last_error = VolumeError{"attach pgdata on agent a-0: timed out",
                             WallTime(std::chrono::milliseconds(1767225540000))};
  v.created_at = WallTime(std::chrono::milliseconds(1767225400000));
  v.updated_at = WallTime(std::chrono::milliseconds(1767225600123));
  return v;
}

TEST(VolumeRecordJson, StoreFormRoundTrips) {
  VolumeRecord v = sample();
  auto back = volume_from_store_json(volume_to_store_json(v));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, v);

  v.kind = VolumeKind::kLocal;
  v.driver = "local";
  v.pinned_agent = "a-1";
  v.state = VolumeState::kFencing;
  v.deadline = WallTime(std::chrono::milliseconds(1767225606000));
  back = volume_from_store_json(volume_to_store_json(v));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

TEST(VolumeRecordJson, StoreFormRefusesAStateThatContradictsTheAttachment) {
  VolumeRecord v = sample();
  v.state = VolumeState::kAvailable;  // but still with an attachment
  auto back = volume_from_store_json(volume_to_store_json(v));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().code, ErrorCode::kInternal);
  EXPECT_FALSE(volume_from_store_json("{").ok());
  EXPECT_FALSE(
      volume_from_store_json(R"({"name":"x","driver":"d","size_mib":1,"state":"NAPPING"})").ok());
}

TEST(VolumeRecordJson, ApiFormIsCamelCaseWithTimestamps) {
  auto doc = nlohmann::json::parse(volume_to_api_json(sample()));
  EXPECT_EQ(doc["name"], "pgdata");
  EXPECT_EQ(doc["size"], 2048);
  EXPECT_EQ(doc["fsType"], "xfs");
  EXPECT_EQ(doc["kind"], "external");
  EXPECT_EQ(doc["accessMode"], "shared");
  EXPECT_EQ(doc["state"], "ATTACHED");
  EXPECT_EQ(doc["appId"], "/db/pg");
  EXPECT_EQ(doc["attachment"]["agentId"], "a-1");
  EXPECT_EQ(doc["attachment"]["epoch"], 7);
  EXPECT_EQ(doc["attachment"]["since"], "2026-01-01T00:00:00.123Z");
  EXPECT_EQ(doc["claims"], nlohmann::json::array({"pg.1", "pg.2"}));
  EXPECT_EQ(doc["attachmentHistory"][0]["endedBy"], "fenced");
  EXPECT_EQ(doc["lastError"]["message"], "attach pgdata on agent a-0: timed out");
  EXPECT_FALSE(doc.contains("fenceAt"));
}

TEST(VolumeCreateRequestJson, ParsesAndReportsEveryBadField) {
  auto ok = parse_volume_create_request(
      R"({"name":"pgdata","size":1024,"fsType":"xfs","options":{"iops":"150"},"accessMode":"shared"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->name, "pgdata");
  EXPECT_EQ(ok->size_mib, 1024);
  EXPECT_EQ(ok->fs_type, "xfs");
  EXPECT_EQ(ok->access, VolumeAccess::kShared);
  EXPECT_EQ(ok->kind, VolumeKind::kExternal);

  auto bad = parse_volume_create_request(R"({"size":"big","options":{"iops":150},"kind":"cloud"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  std::vector<std::string> paths;
  for (const auto& f : bad.error().fields) paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"/size", "/options(\"iops\")", "/kind", "/name"}));

  auto broken = parse_volume_create_request("{\"name\":");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, ErrorCode::kMalformed);
}

}  // namespace
}  // namespace berth

namespace berth {
namespace {

TEST(VolumeLifecycle, NamesRoundTripAndEdgesFollowTheDiagram) {
  for (VolumeState s : {VolumeState::kCreating, VolumeState::kAvailable, VolumeState::kAttaching,
                        VolumeState::kAttached, VolumeState::kDetaching, VolumeState::kFencing,
                        VolumeState::kDeleting}) {
    EXPECT_EQ(parse_volume_state(to_string(s)), s);
  }
  EXPECT_FALSE(parse_volume_state("attached").has_value());
  using S = VolumeState;
  // A volume is never handed from one node to another without passing through AVAILABLE.
  for (S from : {S::kAttaching, S::kAttached, S::kDetaching, S::kFencing}) {
    EXPECT_FALSE(is_allowed_transition(from, S::kDeleting)) << to_string(from);
    EXPECT_FALSE(is_allowed_transition(from, S::kCreating)) << to_string(from);
  }
  EXPECT_FALSE(is_allowed_transition(S::kAvailable, S::kAttached));  // only through ATTACHING
  EXPECT_FALSE(is_allowed_transition(S::kAvailable, S::kFencing));
  EXPECT_FALSE(is_allowed_transition(S::kDeleting, S::kAvailable));
  EXPECT_FALSE(is_allowed_transition(S::kCreating, S::kAttaching));
  EXPECT_TRUE(is_allowed_transition(S::kFencing, S::kAvailable));
  EXPECT_TRUE(is_allowed_transition(S::kAttached, S::kFencing));
  EXPECT_TRUE(is_transitional(S::kFencing));
  EXPECT_FALSE(is_transitional(S::kAttached));
  EXPECT_TRUE(has_attachment(S::kDetaching));
  EXPECT_FALSE(has_attachment(S::kAvailable));
}

}  // namespace
}  // namespace berth
