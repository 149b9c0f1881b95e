// Tests of PUT/PATCH semantics on apps, rollback bodies and array bodies.
#include <gtest/gtest.h>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "marathon/marathon_test_util.h"

namespace berth::marathon {
namespace {

using testing::errors_at;
using testing::HasViolation;

AppDefinition existing_app() {
  auto app = parse_app(R"({"id": "/web", "cmd": "python3 -m http.server $PORT0", "instances": 2,
      "cpus": 0.25, "labels": {"a": "1"}, "version": "2020-01-01T00:00:00.000Z"})");
  EXPECT_TRUE(app.ok());
  return *app;
}

TEST(AppUpdate, PartialUpdateMergesTopLevelFields) {
  AppDefinition existing = existing_app();
  auto scaled = apply_app_update(existing, R"({"instances": 5})", true);
  ASSERT_TRUE(scaled.ok()) << testing::describe(scaled.error());
  EXPECT_EQ(scaled->instances, 5);
  EXPECT_TRUE(existing.differs_only_in_instances(*scaled));
  EXPECT_EQ(scaled->version, existing.version);

  auto relabelled = apply_app_update(existing, R"({"labels": {"b": "2"}, "cpus": null})", true);
  ASSERT_TRUE(relabelled.ok());
  EXPECT_EQ(relabelled->labels, (std::map<std::string, std::string>{{"b", "2"}}));
  EXPECT_EQ(relabelled->cpus, 0.25);  // null leaves a field as it is
  EXPECT_EQ(relabelled->cmd, existing.cmd);
}

TEST(AppUpdate, PathIdWinsOverBodyId) {
  AppDefinition existing = existing_app();
  auto updated = apply_app_update(existing, R"({"id": "/elsewhere", "instances": 1})", true);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->id, "/web");
  auto replaced = apply_app_update(existing, R"({"id": "/elsewhere", "cmd": "x"})", false);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->id, "/web");
}

TEST(AppUpdate, FullReplacementStartsFromDefaults) {
  AppDefinition existing = existing_app();
  auto replaced = apply_app_update(existing, R"({"cmd": "sleep 10"})", false);
  ASSERT_TRUE(replaced.ok());
  EXPECT_EQ(replaced->instances, 1);
  EXPECT_EQ(replaced->cpus, 1.0);
  EXPECT_TRUE(replaced->labels.empty());
  EXPECT_EQ(replaced->version, existing.version);
}

TEST(AppUpdate, MergedResultIsValidatedAsAWhole) {
  AppDefinition existing = existing_app();
  auto negative = apply_app_update(existing, R"({"instances": -1})", true);
  ASSERT_FALSE(negative.ok());
  EXPECT_TRUE(HasViolation(negative.error(), "/instances", "got -1, expected 0 or more"));
  auto typed = apply_app_update(existing, R"({"instances": "many"})", true);
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.error().message, "Invalid JSON");
  auto malformed_body = apply_app_update(existing, R"({"instances": )", true);
  ASSERT_FALSE(malformed_body.ok());
  EXPECT_EQ(malformed_body.error().code, ErrorCode::kMalformed);
}

TEST(AppUpdate, ExclusiveAndLegacyFieldsReplaceTheirCounterparts) {
  AppDefinition existing = existing_app();
  auto args = apply_app_update(existing, R"({"args": ["sleep", "1"]})", true);
  ASSERT_TRUE(args.ok()) << testing::describe(args.error());
  EXPECT_FALSE(args->cmd);
  auto ports = apply_app_update(existing, R"({"ports": [8080]})", true);
  ASSERT_TRUE(ports.ok()) << testing::describe(ports.error());
  ASSERT_EQ(ports->port_definitions.size(), 1u);
  EXPECT_EQ(ports->port_definitions[0].port, 8080u);
  auto bridge = apply_app_update(existing, R"({"container": {"docker": {"image": "nginx",
      "network": "BRIDGE"}}})",
                                 true);
  ASSERT_TRUE(bridge.ok()) << testing::describe(bridge.error());
  EXPECT_FALSE(bridge->host_networking());
  EXPECT_TRUE(bridge->port_definitions.empty());
}

TEST(AppUpdate, AddingAVolumeAppliesTheVolumeDefaults) {
  AppDefinition existing = existing_app();
  auto resident = apply_app_update(existing, R"({"instances": 1, "container": {"type": "MESOS",
      "volumes": [{"containerPath": "data", "persistent": {"size": 10}}]}})",
                                   true);
  ASSERT_TRUE(resident.ok()) << testing::describe(resident.error());
  EXPECT_EQ(resident->upgrade_strategy, (UpgradeStrategy{0.5, 0.0}));
  EXPECT_TRUE(resident->unreachable_strategy.disabled);
  EXPECT_TRUE(resident->residency);
  // And dropping it again brings back the defaults of a plain app.
  auto plain = apply_app_update(*resident, R"({"container": {"type": "MESOS"}})", true);
  ASSERT_TRUE(plain.ok()) << testing::describe(plain.error());
  EXPECT_EQ(plain->upgrade_strategy, UpgradeStrategy{});
  EXPECT_FALSE(plain->unreachable_strategy.disabled);
  EXPECT_FALSE(plain->residency);
}

TEST(RollbackRequest, DetectsVersionOnlyBodies) {
  auto none = parse_rollback_request(R"({"instances": 3})");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  auto rollback = parse_rollback_request(R"({"version": "2015-09-25T15:13:48.343Z"})");
  ASSERT_TRUE(rollback.ok());
  ASSERT_TRUE(*rollback);
  EXPECT_EQ(format_timestamp(**rollback), "2015-09-25T15:13:48.343Z");
  auto with_id =
      parse_rollback_request(R"({"id": "/web", "version": "2015-09-25T15:13:48Z", "extra": 1})");
  ASSERT_TRUE(with_id.ok());
  EXPECT_TRUE(*with_id);
  auto mixed = parse_rollback_request(R"({"version": "2015-09-25T15:13:48Z", "instances": 2})");
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(HasViolation(mixed.error(), "/",
                           "The 'version' field may only be combined with the 'id' field."));
  auto bad = parse_rollback_request(R"({"version": "last tuesday"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "Invalid JSON");
}

TEST(AppUpdates, ArrayBodiesCreateUpdateAndRollBack) {
  AppDefinition web = existing_app();
  AppLookup lookup = [&](const std::string& id) -> const AppDefinition* {
    return id == "/web" ? &web : nullptr;
  };
  auto changes = apply_app_updates(R"([{"id": "web", "instances": 4},
      {"id": "/new", "cmd": "sleep 1"}, {"id": "/web", "version": "2019-01-01T00:00:00Z"}])",
                                   true, false, lookup);
  ASSERT_TRUE(changes.ok()) << testing::describe(changes.error());
  ASSERT_EQ(changes->size(), 3u);
  EXPECT_EQ((*changes)[0].app.instances, 4);
  EXPECT_FALSE((*changes)[0].created);
  EXPECT_EQ((*changes)[1].app.id, "/new");
  EXPECT_TRUE((*changes)[1].created);
  EXPECT_TRUE((*changes)[2].rollback_to);

  auto missing_id = apply_app_updates(R"([{"instances": 4}])", true, false, lookup);
  ASSERT_FALSE(missing_id.ok());
  EXPECT_EQ(missing_id.error().message, "requirement failed: App Update must have app id set");

  auto unknown = apply_app_updates(R"([{"id": "/nope", "instances": 1}])", true, true, lookup);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().message, "App '/nope' does not exist");

  auto invalid =
      apply_app_updates(R"([{"id": "/web"}, {"id": "/web", "cpus": -1}])", true, false, lookup);
  ASSERT_FALSE(invalid.ok());
  EXPECT_TRUE(HasViolation(invalid.error(), "/(1)/cpus", "got -1.0, expected 0.001 or more"));

  auto not_array = apply_app_updates(R"({"id": "/web"})", true, false, lookup);
  ASSERT_FALSE(not_array.ok());
  EXPECT_EQ(errors_at(not_array.error(), "/"), std::vector<std::string>{"error.expected.jsarray"});
}

}  // namespace
}  // namespace berth::marathon
