// Deployment plans: what each change becomes, step order by dependencies, cycles, and the JSON
// that GET /v2/deployments shows.
#include "scheduler/deployment_plan.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace berth::scheduler {
namespace {

using marathon::AppDefinition;
using std::chrono::seconds;
using Type = DeploymentActionType;

AppDefinition app(const std::string& id, std::vector<std::string> dependencies = {},
                  std::int64_t instances = 1) {
  AppDefinition definition;
  definition.id = id;
  definition.cmd = "sleep 1000";
  definition.instances = instances;
  definition.dependencies = std::move(dependencies);
  return definition;
}

AppMap apps(std::vector<AppDefinition> list) {
  AppMap out;
  for (auto& each : list) out.emplace(each.id, std::move(each));
  return out;
}

DeploymentPlan plan_of(const AppMap& original, const AppMap& target,
                       const GroupDependencies& original_groups = {},
                       const GroupDependencies& target_groups = {}) {
  auto plan = build_deployment_plan("d-1", WallTime{} + seconds(1), original, target,
                                    original_groups, target_groups);
  EXPECT_TRUE(plan.ok()) << (plan.ok() ? "" : plan.error().message);
  return plan.ok() ? std::move(plan).value() : DeploymentPlan{};
}

// Steps as lists of "Action /app" strings, for readable expectations.
std::vector<std::vector<std::string>> describe(const DeploymentPlan& plan) {
  std::vector<std::vector<std::string>> out;
  for (const auto& step : plan.steps) {
    std::vector<std::string> actions;
    for (const auto& action : step.actions) {
      actions.push_back(std::string(to_string(action.type)) + " " + action.app_id);
    }
    out.push_back(std::move(actions));
  }
  return out;
}

using Steps = std::vector<std::vector<std::string>>;

TEST(DeploymentPlan, NewAppIsStarted) {
  auto plan = plan_of({}, apps({app("/mongo")}));
  EXPECT_EQ(plan.id, "d-1");
  EXPECT_EQ(describe(plan), (Steps{{"StartApplication /mongo"}}));
  EXPECT_EQ(plan.affected_apps, std::vector<std::string>{"/mongo"});
}

TEST(DeploymentPlan, RemovedAppIsStopped) {
  auto plan = plan_of(apps({app("/mongo"), app("/web")}), apps({app("/web")}));
  EXPECT_EQ(describe(plan), (Steps{{"StopApplication /mongo"}}));
  EXPECT_EQ(plan.affected_apps, std::vector<std::string>{"/mongo"});
}

TEST(DeploymentPlan, InstancesOnlyIsScale) {
  auto scaled = app("/web", {}, 5);
  scaled.version += seconds(5);
  scaled.version_info.last_scaling_at = scaled.version;
  auto plan = plan_of(apps({app("/web")}), apps({scaled}));
  EXPECT_EQ(describe(plan), (Steps{{"ScaleApplication /web"}}));
}

TEST(DeploymentPlan, ChangedDefinitionIsRestart) {
  auto changed = app("/web", {}, 5);
  changed.mem = 256;
  auto plan = plan_of(apps({app("/web")}), apps({changed}));
  EXPECT_EQ(describe(plan), (Steps{{"RestartApplication /web"}}));
}

TEST(DeploymentPlan, NewConfigChangeTimeIsRestart) {
  // POST /v2/apps/{id}/restart: the same definition with a new lastConfigChangeAt.
  auto restarted = app("/web");
  restarted.version_info.last_config_change_at += seconds(30);
  auto plan = plan_of(apps({app("/web")}), apps({restarted}));
  EXPECT_EQ(describe(plan), (Steps{{"RestartApplication /web"}}));
}

TEST(DeploymentPlan, UnchangedAppsAppearNowhere) {
  auto same = app("/web");
  same.version += seconds(99);  // a new version of the group, nothing changed in the app
  auto plan = plan_of(apps({app("/web"), app("/db")}), apps({same, app("/db")}));
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.affected_apps.empty());
  EXPECT_EQ(deployment_to_json(plan, 0)["totalSteps"], 0);
}

TEST(DeploymentPlan, DependencyChainStartsOneLevelPerStep) {
  // /prod/web depends on "../db/mongo" and "../api" as given, resolved to absolute ids.
  auto target =
      apps({app("/prod/web", {"/prod/api", "/prod/db/mongo"}), app("/prod/api", {"/prod/db/mongo"}),
            app("/prod/db/mongo"), app("/tools/cron")});
  auto plan = plan_of({}, target);
  EXPECT_EQ(describe(plan),
            (Steps{{"StartApplication /prod/db/mongo", "StartApplication /tools/cron"},
                   {"StartApplication /prod/api"},
                   {"StartApplication /prod/web"}}));
  EXPECT_EQ(plan.affected_apps,
            (std::vector<std::string>{"/prod/api", "/prod/db/mongo", "/prod/web", "/tools/cron"}));
}

TEST(DeploymentPlan, UnchangedMiddleAppStillOrdersTheOthers) {
  auto original = apps({app("/web", {"/api"}), app("/api", {"/db"}), app("/db")});
  auto target = original;
  target.at("/web").mem = 512;
  target.at("/db").mem = 512;
  EXPECT_EQ(describe(plan_of(original, target)),
            (Steps{{"RestartApplication /db"}, {"RestartApplication /web"}}));
}

TEST(DeploymentPlan, StopsComeFirstDependentsBeforeDependencies) {
  auto original = apps({app("/web", {"/api"}), app("/api", {"/db"}), app("/db"), app("/other")});
  auto target = apps({app("/new", {"/other"}), app("/other")});
  EXPECT_EQ(describe(plan_of(original, target)), (Steps{{"StopApplication /web"},
                                                        {"StopApplication /api"},
                                                        {"StopApplication /db"},
                                                        {"StartApplication /new"}}));
}

TEST(DeploymentPlan, MixedActionsShareALevel) {
  auto original = apps({app("/db"), app("/cache"), app("/web", {"/db"})});
  auto target = original;
  target.at("/db").instances = 3;
  target.at("/cache").cmd = "redis-server";
  target.emplace("/queue", app("/queue"));
  target.at("/web").instances = 0;
  EXPECT_EQ(describe(plan_of(original, target)),
            (Steps{{"RestartApplication /cache", "ScaleApplication /db", "StartApplication /queue"},
                   {"ScaleApplication /web"}}));
}

TEST(DeploymentPlan, DependencyOnAGroupMeansEveryAppInIt) {
  auto target =
      apps({app("/web", {"/db"}), app("/db/mongo"), app("/db/redis", {"/db/mongo"}), app("/dbx")});
  EXPECT_EQ(describe(plan_of({}, target)),
            (Steps{{"StartApplication /db/mongo", "StartApplication /dbx"},
                   {"StartApplication /db/redis"},
                   {"StartApplication /web"}}));
}

TEST(DeploymentPlan, GroupDependenciesAreInherited) {
  auto target =
      apps({app("/prod/frontend/web"), app("/prod/frontend/assets"), app("/prod/backend/api")});
  GroupDependencies groups = {{"/prod/frontend", {"/prod/backend"}}};
  EXPECT_EQ(
      describe(plan_of({}, target, {}, groups)),
      (Steps{{"StartApplication /prod/backend/api"},
             {"StartApplication /prod/frontend/assets", "StartApplication /prod/frontend/web"}}));
  // The same dependency in the original orders the stops.
  EXPECT_EQ(describe(plan_of(target, {}, groups, {})),
            (Steps{{"StopApplication /prod/frontend/assets", "StopApplication /prod/frontend/web"},
                   {"StopApplication /prod/backend/api"}}));
}

TEST(DeploymentPlan, UnknownAndSelfDependenciesAreIgnored) {
  auto target = apps({app("/a", {"/missing", "/a"}), app("/g/b")});
  GroupDependencies groups = {{"/g", {"/g"}}};  // /g/b would depend on itself
  EXPECT_EQ(describe(plan_of({}, target, {}, groups)),
            (Steps{{"StartApplication /a", "StartApplication /g/b"}}));
}

TEST(DeploymentPlan, CyclesAreRejected) {
  auto target = apps({app("/a", {"/b"}), app("/b", {"/c"}), app("/c", {"/a"}), app("/d")});
  auto plan = build_deployment_plan("d", WallTime{}, {}, target);
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(plan.error().message, "Dependency graph has cyclic dependencies.");

  auto levels = dependency_levels(apps({app("/x", {"/y"}), app("/y", {"/x"})}));
  ASSERT_FALSE(levels.ok());
  EXPECT_EQ(levels.error().message, "Dependency graph has cyclic dependencies.");

  // Through group inheritance.
  GroupDependencies groups = {{"/front", {"/back"}}, {"/back", {"/front"}}};
  EXPECT_FALSE(build_deployment_plan("d", WallTime{}, {}, apps({app("/front/a"), app("/back/b")}),
                                     {}, groups)
                   .ok());
}

TEST(DeploymentPlan, CyclicOriginalStillStopsEverything) {
  auto original = apps({app("/a", {"/b"}), app("/b", {"/a"})});
  EXPECT_EQ(describe(plan_of(original, {})), (Steps{{"StopApplication /a", "StopApplication /b"}}));
}

TEST(DeploymentPlan, LongChainNeedsNoDeepRecursion) {
  std::vector<AppDefinition> chain;
  const int length = 5000;
  for (int i = 0; i < length; ++i) {
    chain.push_back(app("/c" + std::to_string(i),
                        i == 0 ? std::vector<std::string>{}
                               : std::vector<std::string>{"/c" + std::to_string(i - 1)}));
  }
  auto levels = dependency_levels(apps(chain));
  ASSERT_TRUE(levels.ok());
  ASSERT_EQ(levels->size(), static_cast<std::size_t>(length));
  EXPECT_EQ(levels->back(), std::vector<std::string>{"/c4999"});
}

TEST(DeploymentPlanJson, DeploymentObjectHasExactlyTheClientsKeys) {
  auto original = apps({app("/foo"), app("/old")});
  auto target = apps({app("/foo", {}, 3), app("/bar", {"/foo"})});
  auto plan = plan_of(original, target);
  ASSERT_EQ(plan.steps.size(), 3u);

  nlohmann::json readiness =
      nlohmann::json::array({{{"name", "readinessCheck"}, {"taskId", "foo.1"}, {"ready", false}}});
  auto json = deployment_to_json(plan, 2, {{"/foo", readiness}});
  auto expected = nlohmann::json::parse(R"({
    "id": "d-1",
    "version": "1970-01-01T00:00:01.000Z",
    "affectedApps": ["/bar", "/foo", "/old"],
    "affectedPods": [],
    "steps": [
      {"actions": [{"action": "StopApplication", "app": "/old"}]},
      {"actions": [{"action": "ScaleApplication", "app": "/foo"}]},
      {"actions": [{"action": "StartApplication", "app": "/bar"}]}
    ],
    "currentActions": [
      {"action": "ScaleApplication", "app": "/foo",
       "readinessCheckResults": [{"name": "readinessCheck", "taskId": "foo.1", "ready": false}]}
    ],
    "currentStep": 2,
    "totalSteps": 3
  })");
  EXPECT_EQ(json, expected) << json.dump(2);
}

TEST(DeploymentPlanJson, CurrentStepBoundsAndEmptyReadiness) {
  auto plan = plan_of({}, apps({app("/a"), app("/b", {"/a"})}));
  auto none = deployment_to_json(plan, 0);
  EXPECT_EQ(none["currentStep"], 0);
  EXPECT_EQ(none["currentActions"], nlohmann::json::array());
  auto last = deployment_to_json(plan, 99);
  EXPECT_EQ(last["currentStep"], 2);
  EXPECT_EQ(last["currentActions"],
            nlohmann::json::parse(
                R"([{"action": "StartApplication", "app": "/b", "readinessCheckResults": []}])"));
}

TEST(DeploymentPlanJson, DryRunSteps) {
  auto plan = plan_of({}, apps({app("/x")}));
  EXPECT_EQ(deployment_steps_to_json(plan),
            nlohmann::json::parse(
                R"({"steps": [{"actions": [{"action": "StartApplication", "app": "/x"}]}]})"));
}

}  // namespace
}  // namespace berth::scheduler
