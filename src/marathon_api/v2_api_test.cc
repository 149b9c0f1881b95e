// Contract tests of the v2 API: each endpoint's status codes, headers and bodies against the
// reference (marathon-api.md), driven through V2Api on a simulated cluster with no sockets.
#include "marathon_api/v2_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "scheduler/simulated_cluster.h"

namespace berth::marathon_api {
namespace {

using nlohmann::json;

class V2ApiTest : public ::testing::Test, public scheduler::SimulatedCluster {
 protected:
  V2ApiTest() { make_api(); }

  void make_api() {
    api_ = std::make_unique<V2Api>(
        ApiContext{*scheduler_,
                   *core_,
                   clock_,
                   ServerIdentity{"master.test", 8080, "fw-1", "master.test:5050"},
                   {}});
  }

  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    HttpRequest request;
    request.method = method;
    request.target = target;
    auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) {
      std::string query = target.substr(question + 1);
      std::size_t start = 0;
      while (start < query.size()) {
        auto amp = query.find('&', start);
        if (amp == std::string::npos) amp = query.size();
        std::string pair = query.substr(start, amp - start);
        auto eq = pair.find('=');
        request.query.emplace_back(pair.substr(0, eq),
                                   eq == std::string::npos ? "" : pair.substr(eq + 1));
        start = amp + 1;
      }
    }
    request.body = body;
    request.remote = "127.0.0.1:40000";
    auto response = api_->handle(request);
    EXPECT_TRUE(response.has_value()) << target;
    HttpResponse answer = response.value_or(HttpResponse{});
    settle();
    return answer;
  }

  static json body(const HttpResponse& response) { return json::parse(response.body); }

  std::unique_ptr<V2Api> api_;
};

constexpr char kWeb[] = R"({"id":"web","cmd":"sleep 1000","cpus":0.1,"mem":32,"instances":2})";

TEST_F(V2ApiTest, CreateAppAnswers201WithLocationAndAppInfo) {
  HttpResponse created = call("POST", "/v2/apps", kWeb);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.header("Location"), "http://master.test:8080/web");
  EXPECT_FALSE(created.header("Marathon-Deployment-Id").empty());
  json app = body(created);
  EXPECT_EQ(app["id"], "/web");
  EXPECT_EQ(app["tasksRunning"], 0);
  ASSERT_EQ(app["deployments"].size(), 1u);
  EXPECT_EQ(app["deployments"][0]["id"], created.header("Marathon-Deployment-Id"));

  json listed = body(call("GET", "/v2/apps"));
  ASSERT_EQ(listed["apps"].size(), 1u);
  EXPECT_EQ(listed["apps"][0]["tasksRunning"], 2);
  EXPECT_TRUE(listed["apps"][0]["deployments"].empty());
}

TEST_F(V2ApiTest, DuplicateAndInvalidAppsAreRefusedAsMarathonDoes) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  HttpResponse again = call("POST", "/v2/apps", kWeb);
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(body(again)["message"], "An app with id [/web] already exists.");

  HttpResponse broken = call("POST", "/v2/apps", R"({"id":"x",)");
  EXPECT_EQ(broken.status, 400);
  EXPECT_EQ(body(broken)["message"], "Invalid JSON");

  HttpResponse upper = call("POST", "/v2/apps", R"({"id":"Web","cmd":"sleep 1"})");
  EXPECT_EQ(upper.status, 422);
  EXPECT_EQ(body(upper)["details"][0]["path"], "/id");
  EXPECT_EQ(upper.content_type, "application/json");
  EXPECT_TRUE(scheduler_->root().apps.count("/web") == 1 && scheduler_->root().apps.size() == 1);
}

TEST_F(V2ApiTest, GetAppAcceptsDoubleSlashesAndEmbedsTasks) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  HttpResponse got = call("GET", "/v2/apps//web");
  ASSERT_EQ(got.status, 200);
  json app = body(got)["app"];
  EXPECT_EQ(app["tasks"].size(), 2u);
  json task = app["tasks"][0];
  EXPECT_EQ(task["appId"], "/web");
  EXPECT_EQ(task["state"], "TASK_RUNNING");
  EXPECT_TRUE(task.contains("slaveId"));
  EXPECT_FALSE(task.contains("agentId"));
  EXPECT_GE(task["servicePorts"].size(), task["ports"].size());

  HttpResponse missing = call("GET", "/v2/apps/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body(missing)["message"], "App '/nope' does not exist");
}

TEST_F(V2ApiTest, PutScalesPatchUpdatesAndPutCreates) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  HttpResponse scaled = call("PUT", "/v2/apps/web", R"({"instances":3})");
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_TRUE(body(scaled).contains("deploymentId"));
  EXPECT_EQ(running("/web").size(), 3u);

  HttpResponse patched = call("PATCH", "/v2/apps/web", R"({"cmd":"sleep 2000"})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(*scheduler_->find_app("/web")->cmd, "sleep 2000");
  EXPECT_EQ(scheduler_->find_app("/web")->instances, 3);

  HttpResponse created = call("PUT", "/v2/apps/api", R"({"cmd":"sleep 5","mem":16,"cpus":0.1})");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_NE(scheduler_->find_app("/api"), nullptr);
  EXPECT_EQ(call("PATCH", "/v2/apps/ghost", R"({"instances":1})").status, 404);
}

TEST_F(V2ApiTest, SuspendByScalingToZeroThenDestroy) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  ASSERT_EQ(call("PUT", "/v2/apps/web", R"({"instances":0})").status, 200);
  EXPECT_TRUE(scheduler_->tasks_of("/web").empty());
  HttpResponse deleted = call("DELETE", "/v2/apps/web");
  ASSERT_EQ(deleted.status, 200);
  EXPECT_EQ(call("GET", "/v2/apps/web").status, 404);
  EXPECT_EQ(body(call("GET", "/v2/apps"))["apps"].size(), 0u);
}

TEST_F(V2ApiTest, VersionsAndRollback) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  clock_.advance(std::chrono::milliseconds(5));
  ASSERT_EQ(call("PUT", "/v2/apps/web", R"({"cmd":"sleep 7"})").status, 200);
  json versions = body(call("GET", "/v2/apps/web/versions"))["versions"];
  ASSERT_EQ(versions.size(), 2u);
  std::string first = versions[1];
  HttpResponse old = call("GET", "/v2/apps/web/versions/" + first);
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(body(old)["cmd"], "sleep 1000");
  EXPECT_FALSE(body(old).contains("tasksRunning"));

  HttpResponse rolled = call("PUT", "/v2/apps/web", R"({"version":")" + first + R"("})");
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  EXPECT_EQ(*scheduler_->find_app("/web")->cmd, "sleep 1000");
  HttpResponse mixed = call("PUT", "/v2/apps/web", R"({"version":")" + first + R"(","cmd":"x"})");
  EXPECT_EQ(mixed.status, 422);
}

TEST_F(V2ApiTest, RestartReplacesEveryTask) {
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  std::set<std::string> before;
  for (const TaskRecord* task : running("/web")) before.insert(task->id());
  HttpResponse restarted = call("POST", "/v2/apps/web/restart");
  ASSERT_EQ(restarted.status, 200) << restarted.body;
  auto after = running("/web");
  ASSERT_EQ(after.size(), 2u);
  for (const TaskRecord* task : after) EXPECT_EQ(before.count(task->id()), 0u);
}

TEST_F(V2ApiTest, KillTasksWithAndWithoutScale) {
  ASSERT_EQ(
      call("POST", "/v2/apps", R"({"id":"web","cmd":"sleep 1","cpus":0.1,"mem":16,"instances":3})")
          .status,
      201);
  std::string victim = running("/web")[0]->id();
  HttpResponse killed = call("DELETE", "/v2/apps/web/tasks/" + victim);
  ASSERT_EQ(killed.status, 200) << killed.body;
  EXPECT_EQ(body(killed)["task"]["id"], victim);
  EXPECT_EQ(running("/web").size(), 3u);  // replaced

  HttpResponse both = call("DELETE", "/v2/apps/web/tasks?scale=true&wipe=true");
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(body(both)["message"], "You cannot use scale and wipe at the same time.");

  std::string one = running("/web")[0]->id();
  HttpResponse scaled =
      call("POST", "/v2/tasks/delete?scale=True", R"({"ids":[")" + one + R"("]})");
  ASSERT_EQ(scaled.status, 200) << scaled.body;
  EXPECT_TRUE(body(scaled).contains("deploymentId"));
  EXPECT_EQ(scheduler_->find_app("/web")->instances, 2);
  EXPECT_EQ(running("/web").size(), 2u);

  EXPECT_EQ(call("POST", "/v2/tasks/delete", R"({"ids":["nodot"]})").status, 400);
  EXPECT_EQ(call("DELETE", "/v2/apps/web/tasks/web.nothere").status, 404);
}

TEST_F(V2ApiTest, TasksListFiltersByStatus) {
  hold_launches_ = true;
  ASSERT_EQ(call("POST", "/v2/apps", kWeb).status, 201);
  EXPECT_EQ(body(call("GET", "/v2/tasks?status=running"))["tasks"].size(), 0u);
  EXPECT_EQ(body(call("GET", "/v2/tasks?status=staging"))["tasks"].size(), 2u);
  EXPECT_EQ(body(call("GET", "/v2/tasks"))["tasks"].size(), 2u);
}

TEST_F(V2ApiTest, LockedAppIs409WithItsDeploymentsAndForceOverrides) {
  hold_launches_ = true;
  HttpResponse created = call("POST", "/v2/apps", kWeb);
  ASSERT_EQ(created.status, 201);
  HttpResponse locked = call("PUT", "/v2/apps/web", R"({"instances":5})");
  ASSERT_EQ(locked.status, 409);
  json answer = body(locked);
  EXPECT_EQ(answer["deployments"][0]["id"], created.header("Marathon-Deployment-Id"));
  EXPECT_NE(answer["message"].get<std::string>().find("force=true"), std::string::npos);
  EXPECT_EQ(call("PUT", "/v2/apps/web?force=true", R"({"instances":5})").status, 200);
}

TEST_F(V2ApiTest, DeploymentsListAndCancel) {
  hold_launches_ = true;
  HttpResponse created = call("POST", "/v2/apps", kWeb);
  std::string id = created.header("Marathon-Deployment-Id");
  json list = body(call("GET", "/v2/deployments"));
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], id);
  EXPECT_EQ(list[0]["affectedApps"][0], "/web");
  EXPECT_EQ(list[0]["currentStep"], 1);
  EXPECT_EQ(list[0]["steps"][0]["actions"][0]["action"], "StartApplication");

  HttpResponse reverted = call("DELETE", "/v2/deployments/" + id);
  ASSERT_EQ(reverted.status, 200) << reverted.body;
  EXPECT_EQ(scheduler_->find_app("/web"), nullptr);  // the revert removes the new app
  std::string revert = body(reverted)["deploymentId"];
  HttpResponse forced = call("DELETE", "/v2/deployments/" + revert + "?force=true");
  EXPECT_TRUE(forced.status == 202 || forced.status == 404) << forced.status;
  HttpResponse missing = call("DELETE", "/v2/deployments/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body(missing)["message"], "DeploymentPlan nope does not exist");
}

TEST_F(V2ApiTest, DeploymentsShowReadinessOfNewTasks) {
  ASSERT_EQ(call("POST", "/v2/apps",
                 R"({"id":"ready","cmd":"sleep 1","cpus":0.1,"mem":16,
                     "portDefinitions":[{"port":0,"name":"http-api"}],
                     "readinessChecks":[{"name":"warm","path":"/ready"}]})")
                .status,
            201);
  json list = body(call("GET", "/v2/deployments"));
  ASSERT_EQ(list.size(), 1u);  // running, not ready: the deployment waits
  json results = list[0]["currentActions"][0]["readinessCheckResults"];
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0]["name"], "warm");
  EXPECT_EQ(results[0]["ready"], false);
  ASSERT_EQ(launched_.size(), 1u);
  ASSERT_TRUE(launched_[0].readiness_check.has_value());
}

TEST_F(V2ApiTest, QueueShowsWhyAnAppWaitsAndDelayResets) {
  ASSERT_EQ(call("POST", "/v2/apps", R"({"id":"big","cmd":"sleep 1","cpus":100,"mem":16})").status,
            201);
  json queue = body(call("GET", "/v2/queue"))["queue"];
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0]["app"]["id"], "/big");
  EXPECT_EQ(queue[0]["count"], 1);
  EXPECT_EQ(queue[0]["processedOffersSummary"]["rejectSummaryLastOffers"][0]["reason"],
            "InsufficientCpus");
  EXPECT_TRUE(queue[0]["delay"].contains("timeLeftSeconds"));
  EXPECT_EQ(call("DELETE", "/v2/queue/big/delay").status, 204);
  EXPECT_EQ(call("DELETE", "/v2/queue/other/delay").status, 404);
}

TEST_F(V2ApiTest, ImageAppsWaitInTheQueueWithAReason) {
  ASSERT_EQ(
      call(
          "POST", "/v2/apps",
          R"({"id":"mongo","mem":128,"cpus":0.1,"container":{"type":"DOCKER","docker":{"image":"mongo"}}})")
          .status,
      201);
  EXPECT_TRUE(scheduler_->tasks_of("/mongo").empty());
  json queue = body(call("GET", "/v2/queue"))["queue"];
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_NE(queue[0]["processedOffersSummary"]["message"].get<std::string>().find("image"),
            std::string::npos);
}

TEST_F(V2ApiTest, InfoHasOnlyTheKeysClientsAccept) {
  json info = body(call("GET", "/v2/info"));
  std::set<std::string> allowed{
      "name",        "version",         "buildref",         "elected",     "leader",
      "frameworkId", "marathon_config", "zookeeper_config", "http_config", "event_subscriber"};
  for (const auto& [key, value] : info.items()) EXPECT_EQ(allowed.count(key), 1u) << key;
  EXPECT_TRUE(info["marathon_config"].is_object());
  EXPECT_TRUE(info["zookeeper_config"].is_object());
  EXPECT_TRUE(info["http_config"].is_object());
  EXPECT_EQ(body(call("GET", "/v2/leader"))["leader"], "master.test:8080");
  HttpResponse unknown = call("GET", "/v2/nothing");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(body(unknown)["message"], "URI not found");
}

TEST_F(V2ApiTest, GroupsDeployInDependencyOrder) {
  hold_launches_ = true;
  HttpResponse created = call("POST", "/v2/groups", R"({
    "id": "/prod",
    "apps": [
      {"id": "db", "cmd": "sleep 1", "cpus": 0.1, "mem": 16},
      {"id": "web", "cmd": "sleep 1", "cpus": 0.1, "mem": 16, "dependencies": ["db"]}
    ]})");
  ASSERT_EQ(created.status, 201) << created.body;
  // Only the database starts until it runs.
  ASSERT_EQ(launched_.size(), 1u);
  EXPECT_EQ(launched_[0].app_id, "/prod/db");
  report(launched_[0].task_id, TaskState::kRunning);
  settle();
  ASSERT_EQ(launched_.size(), 2u);
  EXPECT_EQ(launched_[1].app_id, "/prod/web");

  json root = body(call("GET", "/v2/groups"));
  EXPECT_EQ(root["id"], "/");
  ASSERT_EQ(root["groups"].size(), 1u);
  EXPECT_EQ(root["groups"][0]["id"], "/prod");
  EXPECT_EQ(root["groups"][0]["apps"].size(), 2u);
  EXPECT_FALSE(root.contains("enforceRole"));

  HttpResponse twice = call("POST", "/v2/groups", R"({"id":"/prod"})");
  EXPECT_EQ(twice.status, 409);

  HttpResponse dry = call("PUT", "/v2/groups/prod?dryRun=true&force=true", R"({"scaleBy":2})");
  ASSERT_EQ(dry.status, 200) << dry.body;
  EXPECT_TRUE(body(dry).contains("steps"));
  EXPECT_EQ(scheduler_->find_app("/prod/web")->instances, 1);
}

TEST_F(V2ApiTest, GroupVersionsListShowAndRollBack) {
  ASSERT_EQ(call("POST", "/v2/groups",
                 R"({"id":"/team","apps":[{"id":"x","cmd":"sleep 1","cpus":0.1,"mem":16}]})")
                .status,
            201);
  std::string first = body(call("GET", "/v2/groups/team"))["version"];
  clock_.advance(std::chrono::milliseconds(5));
  ASSERT_EQ(call("PUT", "/v2/groups/team",
                 R"({"apps":[{"id":"x","cmd":"sleep 2","cpus":0.1,"mem":16},
                             {"id":"y","cmd":"sleep 3","cpus":0.1,"mem":16}]})")
                .status,
            200);
  json versions = body(call("GET", "/v2/groups/team/versions"));
  ASSERT_TRUE(versions.is_array());
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[1], first);

  json old = body(call("GET", "/v2/groups/team/versions/" + first));
  ASSERT_EQ(old["apps"].size(), 1u);
  EXPECT_EQ(old["apps"][0]["cmd"], "sleep 1");

  HttpResponse rolled = call("PUT", "/v2/groups/team", R"({"version":")" + first + R"("})");
  ASSERT_EQ(rolled.status, 200) << rolled.body;
  EXPECT_EQ(scheduler_->find_app("/team/y"), nullptr);
  EXPECT_EQ(*scheduler_->find_app("/team/x")->cmd, "sleep 1");
  EXPECT_EQ(call("GET", "/v2/groups/team/versions/2001-01-01T00:00:00.000Z").status, 404);
}

TEST_F(V2ApiTest, TooManyRunningDeploymentsIs403) {
  hold_launches_ = true;
  for (int i = 0; i < 100; ++i) {
    std::string app =
        R"({"id":"a)" + std::to_string(i) + R"(","cmd":"sleep 1","cpus":0.01,"mem":1})";
    ASSERT_EQ(call("POST", "/v2/apps", app).status, 201) << i;
  }
  HttpResponse refused = call("POST", "/v2/apps", R"({"id":"one-more","cmd":"sleep 1","mem":1})");
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(body(refused)["message"], "Max number of running deployments is exceeded.");
  EXPECT_EQ(scheduler_->find_app("/one-more"), nullptr);
}

TEST_F(V2ApiTest, CyclicDependenciesAre422) {
  HttpResponse cyclic = call("POST", "/v2/groups", R"({
    "id": "/loop",
    "apps": [
      {"id": "a", "cmd": "sleep 1", "dependencies": ["b"]},
      {"id": "b", "cmd": "sleep 1", "dependencies": ["a"]}
    ]})");
  EXPECT_EQ(cyclic.status, 422) << cyclic.body;
  EXPECT_NE(cyclic.body.find("Dependency graph has cyclic dependencies."), std::string::npos);
  EXPECT_TRUE(scheduler_->root().apps.empty());
}

TEST_F(V2ApiTest, DeleteGroupRemovesEverythingInIt) {
  ASSERT_EQ(call("POST", "/v2/groups",
                 R"({"id":"/team","apps":[{"id":"x","cmd":"sleep 1","cpus":0.1,"mem":16}]})")
                .status,
            201);
  EXPECT_EQ(running("/team/x").size(), 1u);
  ASSERT_EQ(call("DELETE", "/v2/groups/team").status, 200);
  EXPECT_TRUE(scheduler_->root().apps.empty());
  EXPECT_EQ(call("GET", "/v2/groups/team").status, 404);
}

}  // namespace
}  // namespace berth::marathon_api
