// Tests of group bodies, dependency cycles, cluster-wide volume names and GroupInfo output.
#include "marathon/group_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "marathon/marathon_test_util.h"

namespace berth::marathon {
namespace {

using nlohmann::json;
using testing::errors_at;
using testing::HasViolation;

AppDefinition app_with(const std::string& id, std::vector<std::string> dependencies = {}) {
  AppDefinition app;
  app.id = id;
  app.cmd = "sleep 1";
  app.dependencies = std::move(dependencies);
  return app;
}

TEST(GroupUpdate, NestedIdsResolveAgainstTheirGroups) {
  auto update = parse_group_update(R"({"id": "prod", "dependencies": ["../shared"],
      "apps": [{"id": "web", "cmd": "x", "dependencies": ["db/mongo"]}],
      "groups": [{"id": "db", "apps": [{"id": "/prod/db/mongo", "cmd": "mongod"}],
                  "dependencies": ["/prod/cache"]}]})",
                                   "/");
  ASSERT_TRUE(update.ok()) << testing::describe(update.error());
  EXPECT_EQ(update->id, "/prod");
  EXPECT_EQ(update->dependencies, std::vector<std::string>{"/shared"});
  ASSERT_TRUE(update->apps);
  EXPECT_EQ((*update->apps)[0].id, "/prod/web");
  EXPECT_EQ((*update->apps)[0].dependencies, std::vector<std::string>{"/prod/db/mongo"});
  ASSERT_TRUE(update->groups);
  EXPECT_EQ((*update->groups)[0].id, "/prod/db");
  EXPECT_EQ((*(*update->groups)[0].apps)[0].id, "/prod/db/mongo");
  std::vector<AppDefinition> apps = apps_of(*update);
  ASSERT_EQ(apps.size(), 2u);
  EXPECT_EQ(apps[1].id, "/prod/db/mongo");
}

TEST(GroupUpdate, PathIdIsTheBase) {
  auto update = parse_group_update(R"({"apps": [{"id": "a", "cmd": "x"}]})", "/prod/");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->id, "/prod");
  EXPECT_EQ((*update->apps)[0].id, "/prod/a");
  EXPECT_FALSE(update->groups);
  EXPECT_FALSE(update->dependencies);
}

TEST(GroupUpdate, ChildrenMustLieBelowTheirGroup) {
  auto update = parse_group_update(R"({"id": "/prod",
      "apps": [{"id": "/other/web", "cmd": "x"}], "groups": [{"id": "/elsewhere"}]})");
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(update.error().message, "Object is not valid");
  EXPECT_TRUE(HasViolation(update.error(), "/apps(0)/id", "Identifier is not child of '/prod'"));
  EXPECT_TRUE(HasViolation(update.error(), "/groups(0)/id", "Identifier is not child of '/prod'"));
}

TEST(GroupUpdate, NestedValidationAndTypeErrorPaths) {
  auto invalid = parse_group_update(R"({"id": "/prod", "groups": [{"id": "db",
      "apps": [{"id": "pg", "cmd": "x", "cpus": -1}]}]})");
  ASSERT_FALSE(invalid.ok());
  EXPECT_TRUE(
      HasViolation(invalid.error(), "/groups(0)/apps(0)/cpus", "got -1.0, expected 0.001 or more"));
  auto typed = parse_group_update(R"({"id": "/prod", "apps": [{"id": "a", "cmd": 1}],
      "scaleBy": "x"})");
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.error().message, "Invalid JSON");
  EXPECT_EQ(errors_at(typed.error(), "/apps(0)/cmd"),
            std::vector<std::string>{"error.expected.jsstring"});
  EXPECT_EQ(errors_at(typed.error(), "/scaleBy"),
            std::vector<std::string>{"error.expected.jsnumber"});
  auto missing = parse_group_update(R"({"id": "/prod", "groups": [{}]})");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(errors_at(missing.error(), "/groups(0)/id"),
            std::vector<std::string>{"error.path.missing"});
  auto bad_id = parse_group_update(R"({"id": "/Prod"})");
  ASSERT_FALSE(bad_id.ok());
  EXPECT_FALSE(errors_at(bad_id.error(), "/id").empty());
  auto malformed_body = parse_group_update(R"({"id": )");
  ASSERT_FALSE(malformed_body.ok());
  EXPECT_EQ(malformed_body.error().code, ErrorCode::kMalformed);
}

TEST(GroupUpdate, ScaleByAndVersion) {
  auto update =
      parse_group_update(R"({"scaleBy": 1.5, "version": "2015-09-25T15:13:48.343Z"})", "/prod");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->scale_by, 1.5);
  ASSERT_TRUE(update->version);
  EXPECT_EQ(format_timestamp(*update->version), "2015-09-25T15:13:48.343Z");
}

TEST(DependencyCycles, DetectsCyclesThroughAppsAndGroups) {
  EXPECT_TRUE(check_dependency_cycles({app_with("/a", {"/b"}), app_with("/b")}, {}).ok());
  Status direct = check_dependency_cycles({app_with("/a", {"/b"}), app_with("/b", {"/a"})}, {});
  ASSERT_FALSE(direct.ok());
  EXPECT_EQ(direct.error().message, "Object is not valid");
  EXPECT_TRUE(HasViolation(direct.error(), "/", "Dependency graph has cyclic dependencies."));
  EXPECT_FALSE(check_dependency_cycles({app_with("/a", {"/a"})}, {}).ok());
  // An app depending on a group waits for every app in it.
  EXPECT_FALSE(
      check_dependency_cycles({app_with("/web/app", {"/db"}), app_with("/db/pg", {"/web/app"})}, {})
          .ok());
  // Ids that sort between a group and its apps ("/db-x" < "/db/pg") do not hide the apps.
  EXPECT_FALSE(check_dependency_cycles(
                   {app_with("/web", {"/db"}), app_with("/db-x"), app_with("/db/pg", {"/web"})}, {})
                   .ok());
  // Apps inherit their groups' dependencies.
  std::vector<GroupDefinition> groups = {GroupDefinition{"/web", {"/db"}, {}}};
  EXPECT_TRUE(check_dependency_cycles({app_with("/web/app"), app_with("/db/pg")}, groups).ok());
  EXPECT_FALSE(
      check_dependency_cycles({app_with("/web/app"), app_with("/db/pg", {"/web"})}, groups).ok());
  // A long chain without a cycle.
  std::vector<AppDefinition> chain;
  for (int i = 0; i < 500; ++i) {
    chain.push_back(app_with("/a" + std::to_string(i), {"/a" + std::to_string(i + 1)}));
  }
  EXPECT_TRUE(check_dependency_cycles(chain, {}).ok());
  chain.push_back(app_with("/a500", {"/a0"}));
  EXPECT_FALSE(check_dependency_cycles(chain, {}).ok());
}

AppDefinition dvdi_app(const std::string& id, const std::string& volume, bool shared = false) {
  AppDefinition app = app_with(id);
  Container container;
  container.type = "MESOS";
  Volume v;
  v.container_path = "data";
  v.external = ExternalVolume{volume, "dvdi",      std::nullopt, {{"dvdi/driver", "rexray"}},
                              shared, std::nullopt};
  container.volumes.push_back(v);
  app.container = container;
  return app;
}

TEST(ValidateCluster, ExternalVolumeNamesAreUniqueAcrossApps) {
  EXPECT_TRUE(validate_cluster({dvdi_app("/a", "v1"), dvdi_app("/b", "v2")}).ok());
  EXPECT_TRUE(validate_cluster({dvdi_app("/a", "v1", true), dvdi_app("/b", "v1", true)}).ok());
  Status status = validate_cluster(
      {dvdi_app("/nested/app1", "pg"), dvdi_app("/nested/app2", "pg"), dvdi_app("/top", "other")});
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(HasViolation(status.error(), "/groups(0)/apps(0)/externalVolumes(0)",
                           "Volume name 'pg' in /nested/app1 conflicts with volume(s) of same name "
                           "in app(s): /nested/app2"));
  EXPECT_TRUE(HasViolation(status.error(), "/groups(0)/apps(1)/externalVolumes(0)",
                           "Volume name 'pg' in /nested/app2 conflicts with volume(s) of same name "
                           "in app(s): /nested/app1"));
  Status three = validate_cluster({dvdi_app("/a", "x"), dvdi_app("/b", "x"), dvdi_app("/c", "x")});
  ASSERT_FALSE(three.ok());
  EXPECT_TRUE(HasViolation(three.error(), "/apps(0)/externalVolumes(0)",
                           "Volume name 'x' in /a conflicts with volume(s) of same name in "
                           "app(s): /b, /c"));
}

TEST(GroupInfo, RendersTheTreeWithOnlyTheClientsKeys) {
  AppDefinition web = app_with("/prod/web");
  web.version = from_epoch_millis(2000);
  AppDefinition pg = app_with("/prod/db/pg");
  pg.version = from_epoch_millis(3000);
  std::vector<AppDefinition> apps = {pg, web, app_with("/top")};
  std::vector<GroupDefinition> groups = {
      GroupDefinition{"/prod", {"/shared"}, from_epoch_millis(1000)}};
  AppRenderer render = [](const AppDefinition& app) { return app_to_json(app); };

  auto root = group_info_json("/", apps, groups, GroupEmbed{}, render);
  ASSERT_TRUE(root.ok());
  json tree = json::parse(*root);
  std::function<void(const json&)> check_keys = [&](const json& group) {
    for (const auto& [key, value] : group.items()) {
      EXPECT_TRUE(key == "id" || key == "apps" || key == "groups" || key == "pods" ||
                  key == "dependencies" || key == "version")
          << key;
    }
    for (const json& child : group["groups"]) check_keys(child);
  };
  check_keys(tree);
  EXPECT_EQ(tree["id"], "/");
  ASSERT_EQ(tree["apps"].size(), 1u);
  EXPECT_EQ(tree["apps"][0]["id"], "/top");
  ASSERT_EQ(tree["groups"].size(), 1u);
  const json& prod = tree["groups"][0];
  EXPECT_EQ(prod["id"], "/prod");
  EXPECT_EQ(prod["dependencies"], json::array({"/shared"}));
  EXPECT_EQ(prod["version"], "1970-01-01T00:00:01.000Z");
  EXPECT_EQ(prod["pods"], json::array());
  ASSERT_EQ(prod["apps"].size(), 1u);
  EXPECT_EQ(prod["apps"][0]["id"], "/prod/web");
  ASSERT_EQ(prod["groups"].size(), 1u);
  EXPECT_EQ(prod["groups"][0]["id"], "/prod/db");
  EXPECT_EQ(prod["groups"][0]["version"], "1970-01-01T00:00:03.000Z");  // newest inside
  EXPECT_EQ(prod["groups"][0]["dependencies"], json::array());

  GroupEmbed only_apps = resolve_group_embed({"group.apps"});
  auto flat = group_info_json("/prod", apps, groups, only_apps, render);
  ASSERT_TRUE(flat.ok());
  json flat_json = json::parse(*flat);
  EXPECT_TRUE(flat_json.contains("apps"));
  EXPECT_FALSE(flat_json.contains("groups"));
  EXPECT_FALSE(flat_json.contains("pods"));

  auto missing = group_info_json("/nope", apps, groups, GroupEmbed{}, render);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "Group '/nope' does not exist");

  auto empty_root = group_info_json("/", {}, {}, GroupEmbed{}, render);
  ASSERT_TRUE(empty_root.ok());
  EXPECT_EQ(json::parse(*empty_root)["apps"], json::array());
}

TEST(GroupInfo, GroupExistence) {
  std::vector<AppDefinition> apps = {app_with("/a/b/c")};
  std::vector<GroupDefinition> groups = {GroupDefinition{"/x/y", {}, {}}};
  EXPECT_TRUE(group_exists("/", apps, groups));
  EXPECT_TRUE(group_exists("/a", apps, groups));
  EXPECT_TRUE(group_exists("/a/b", apps, groups));
  EXPECT_FALSE(group_exists("/a/b/c", apps, groups));  // an app, not a group
  EXPECT_TRUE(group_exists("/x", apps, groups));
  EXPECT_TRUE(group_exists("//x/y/", apps, groups));
  EXPECT_FALSE(group_exists("/q", apps, groups));
}

}  // namespace
}  // namespace berth::marathon
