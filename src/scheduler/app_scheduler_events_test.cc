// The scheduler's events, in the order the event stream shows them: deployment steps beginning,
// succeeding and failing, refused changes, health checks added, removed and failing. Driven on
// the simulated cluster of app_scheduler_test.cc.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "scheduler/app_scheduler.h"
#include "scheduler/health_check_events.h"
#include "scheduler/simulated_cluster.h"

namespace berth::scheduler {
namespace {

using nlohmann::json;

class AppSchedulerEventsTest : public ::testing::Test, public SimulatedCluster {
 protected:
  AppSchedulerEventsTest() { record(); }

  // Every event as one line: "<event> <what it names>".
  void record() {
    SchedulerEvents events;
    events.deployment_success = [this](const Deployment& d) {
      log_.push_back("success " + d.id());
    };
    events.deployment_failed = [this](const Deployment& d, const std::string& reason) {
      log_.push_back("failed " + d.id() + ": " + reason);
    };
    events.deployment_info = [this](const Deployment& d, std::size_t step) {
      log_.push_back("info " + d.id() + " " + std::to_string(step));
      plans_.push_back(json::parse(deployment_plan_json(d)));
      steps_.push_back(json::parse(deployment_step_json(d, step)));
    };
    events.deployment_step_success = [this](const Deployment& d, std::size_t step) {
      log_.push_back("step success " + d.id() + " " + std::to_string(step));
    };
    events.deployment_step_failure = [this](const Deployment& d, std::size_t step) {
      log_.push_back("step failure " + d.id() + " " + std::to_string(step));
    };
    events.group_change_success = [this](const std::string& group, WallTime) {
      log_.push_back("group " + group);
    };
    events.group_change_failed = [this](const std::string& group, WallTime,
                                        const std::string& reason) {
      log_.push_back("group failed " + group + ": " + reason.substr(0, reason.find('.')));
    };
    events.add_health_check = [this](const std::string& app, WallTime version,
                                     const marathon::HealthCheck& check) {
      log_.push_back("add check " + app + " " + check.path);
      EXPECT_EQ(version, scheduler_->find_app(app)->version);
    };
    events.remove_health_check = [this](const std::string& app,
                                        const marathon::HealthCheck& check) {
      log_.push_back("remove check " + app + " " + check.path);
    };
    events.failed_health_check = [this](const TaskRecord& task,
                                        const marathon::HealthCheck& check) {
      log_.push_back("check failed " + task.id() + " " + check.path);
    };
    scheduler_->set_events(std::move(events));
  }

  // The log from `first` on, with deployment ids replaced by d1, d2, ... in order of appearance.
  std::vector<std::string> lines(std::size_t first = 0) {
    std::vector<std::string> out;
    for (std::size_t i = first; i < log_.size(); ++i) {
      std::string line = log_[i];
      for (std::size_t n = 0; n < ids_.size(); ++n) {
        for (auto at = line.find(ids_[n]); at != std::string::npos; at = line.find(ids_[n])) {
          line.replace(at, ids_[n].size(), "d" + std::to_string(n + 1));
        }
      }
      out.push_back(line);
    }
    return out;
  }

  std::vector<std::string> check_lines(std::size_t first) {
    std::vector<std::string> out;
    for (const std::string& line : lines(first)) {
      if (line.find(" check ") != std::string::npos) out.push_back(line);
    }
    return out;
  }

  Result<Deployment> deploy_noting(const AppDefinition& definition, bool force = false) {
    auto deployment = deploy(definition, force);
    if (deployment.ok()) ids_.push_back(deployment->id());
    return deployment;
  }

  static marathon::HealthCheck check(const std::string& path) {
    marathon::HealthCheck check;
    check.protocol = "MESOS_HTTP";
    check.path = path;
    check.max_consecutive_failures = 0;  // never killed: these tests only watch the events
    return check;
  }

  void report_health(const std::string& task_id, HealthCheckResult result) {
    const TaskRecord* task = core_->find_task(task_id);
    ASSERT_NE(task, nullptr);
    StatusUpdate update{.uuid = random_.uuid(),
                        .task_id = task_id,
                        .seq = ++seq_,
                        .state = TaskState::kRunning,
                        .healthy = result.alive,
                        .health_results = {result}};
    ASSERT_TRUE(core_->update_status(sessions_[task->hostname], {update}).ok());
    settle();
  }

  std::vector<std::string> log_;
  std::vector<std::string> ids_;
  std::vector<json> plans_;
  std::vector<json> steps_;
};

TEST_F(AppSchedulerEventsTest, ADeploymentAnnouncesEachStepThenItsSuccess) {
  AppDefinition db = app("/db", 1);
  AppDefinition web = app("/web", 1);
  web.dependencies = {"/db"};
  Root target = scheduler_->root();
  target.apps["/db"] = db;
  target.apps["/web"] = web;
  auto deployment = scheduler_->deploy(std::move(target), false);
  ASSERT_TRUE(deployment.ok()) << deployment.error().message;
  ids_.push_back(deployment->id());
  settle();
  EXPECT_EQ(lines(), (std::vector<std::string>{"group /", "info d1 0", "step success d1 0",
                                               "info d1 1", "step success d1 1", "success d1"}));
  ASSERT_EQ(steps_.size(), 2u);
  EXPECT_EQ(steps_[0], json::parse(R"({"actions":[{"action":"StartApplication","app":"/db"}]})"));
  EXPECT_EQ(steps_[1], json::parse(R"({"actions":[{"action":"StartApplication","app":"/web"}]})"));
  // The plan python3-marathon parses: exactly these keys, original and target as root groups.
  const json& plan = plans_[0];
  std::vector<std::string> keys;
  for (const auto& [key, value] : plan.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"id", "original", "steps", "target", "version"}));
  EXPECT_EQ(plan["id"], deployment->id());
  EXPECT_EQ(plan["version"], format_timestamp(deployment->plan.version));
  EXPECT_EQ(plan["steps"].size(), 2u);
  EXPECT_EQ(plan["original"]["id"], "/");
  EXPECT_TRUE(plan["original"]["apps"].empty());
  ASSERT_EQ(plan["target"]["apps"].size(), 2u);
  EXPECT_EQ(plan["target"]["apps"][0]["id"], "/db");
  EXPECT_EQ(plan["target"]["apps"][1]["dependencies"], json::array({"/db"}));
  EXPECT_EQ(plan["target"]["version"], plan["version"]);
  for (const char* key : {"groups", "pods", "dependencies"}) {
    EXPECT_TRUE(plan["target"].contains(key)) << key;
  }
}

TEST_F(AppSchedulerEventsTest, AnAppInAGroupShowsInItsGroupOfThePlan) {
  ASSERT_TRUE(deploy_noting(app("/prod/web", 1)).ok());
  ASSERT_FALSE(plans_.empty());
  const json& target = plans_[0]["target"];
  EXPECT_TRUE(target["apps"].empty());
  ASSERT_EQ(target["groups"].size(), 1u);
  EXPECT_EQ(target["groups"][0]["id"], "/prod");
  EXPECT_EQ(target["groups"][0]["apps"][0]["id"], "/prod/web");
}

TEST_F(AppSchedulerEventsTest, AForcedChangeFailsTheDeploymentItSupersedes) {
  hold_launches_ = true;
  ASSERT_TRUE(deploy_noting(app("/web", 1)).ok());
  auto refused = deploy(app("/web", 2));
  ASSERT_FALSE(refused.ok());
  ASSERT_TRUE(deploy_noting(app("/web", 2), true).ok());
  EXPECT_EQ(lines(),
            (std::vector<std::string>{"group /", "info d1 0",
                                      "group failed /: App is locked by one or more "
                                      "deployments",
                                      "step failure d1 0", "failed d1: superseded by deployment d2",
                                      "group /", "info d2 0"}));
}

TEST_F(AppSchedulerEventsTest, CancellingFailsTheCurrentStep) {
  hold_launches_ = true;
  ASSERT_TRUE(deploy_noting(app("/web", 1)).ok());
  ASSERT_TRUE(deploy_noting(app("/api", 1)).ok());
  std::size_t before = log_.size();
  ASSERT_TRUE(scheduler_->cancel(ids_[0], /*force=*/true).ok());
  EXPECT_EQ(lines(before), (std::vector<std::string>{"step failure d1 0", "failed d1: cancelled"}));

  before = log_.size();
  auto revert = scheduler_->cancel(ids_[1], /*force=*/false);
  ASSERT_TRUE(revert.ok() && revert->has_value());
  ids_.push_back((*revert)->id());
  EXPECT_EQ(lines(before), (std::vector<std::string>{"step failure d2 0", "failed d2: rolled back",
                                                     "group /", "info d3 0"}));
}

TEST_F(AppSchedulerEventsTest, HealthChecksComeAndGoWithTheirConfiguration) {
  // Tasks never report healthy here, so deployments stay: each change forces the next.
  AppDefinition web = app("/web", 1);
  web.health_checks = {check("/a")};
  ASSERT_TRUE(deploy_noting(web).ok());
  EXPECT_EQ(lines(), (std::vector<std::string>{"group /", "add check /web /a", "info d1 0"}));

  std::size_t before = log_.size();
  AppDefinition scaled = *scheduler_->find_app("/web");
  scaled.instances = 2;
  ASSERT_TRUE(deploy_noting(scaled, true).ok());
  EXPECT_TRUE(check_lines(before).empty());

  before = log_.size();
  AppDefinition changed = *scheduler_->find_app("/web");
  changed.health_checks = {check("/b"), check("/c")};
  ASSERT_TRUE(deploy_noting(changed, true).ok());
  EXPECT_EQ(
      check_lines(before),
      (std::vector<std::string>{"remove check /web /a", "add check /web /b", "add check /web /c"}));

  before = log_.size();
  Root without = scheduler_->root();
  without.apps.erase("/web");
  ASSERT_TRUE(scheduler_->deploy(std::move(without), true).ok());
  settle();
  EXPECT_EQ(check_lines(before),
            (std::vector<std::string>{"remove check /web /b", "remove check /web /c"}));
}

TEST_F(AppSchedulerEventsTest, EachFailedProbeIsReportedOnce) {
  AppDefinition web = app("/web", 1);
  web.health_checks = {check("/health")};
  ASSERT_TRUE(deploy_noting(web).ok());
  ASSERT_EQ(launched_.size(), 1u);
  const std::string task = launched_[0].task_id;
  std::size_t before = log_.size();
  report_health(task, {.alive = false, .consecutive_failures = 1, .last_failure_ms = 1000});
  // The agent repeats the same result with the task's next update: no new failure.
  report_health(task, {.alive = false, .consecutive_failures = 1, .last_failure_ms = 1000});
  report_health(task, {.alive = false, .consecutive_failures = 2, .last_failure_ms = 2000});
  report_health(task, {.alive = true, .consecutive_failures = 0, .last_success_ms = 3000});
  // Healthy at last, the task ends the deployment too.
  EXPECT_EQ(lines(before), (std::vector<std::string>{"check failed " + task + " /health",
                                                     "check failed " + task + " /health",
                                                     "step success d1 0", "success d1"}));
}

TEST(HealthCheckChangesTest, OnlyNewConfigurationsChangeChecks) {
  auto at = [](int millis) { return from_epoch_millis(millis); };
  AppDefinition a;
  a.id = "/a";
  a.health_checks = {marathon::HealthCheck{}};
  a.version = at(1);
  a.version_info = {at(1), at(1)};
  AppDefinition a_scaled = a;
  a_scaled.version = at(2);
  a_scaled.version_info = {at(2), at(1)};
  AppDefinition b = a;
  b.id = "/b";
  EXPECT_TRUE(health_check_changes({{"/a", a}}, {{"/a", a_scaled}}).empty());
  auto changes = health_check_changes({{"/a", a}}, {{"/b", b}});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].app_id, "/a");
  EXPECT_FALSE(changes[0].added);
  EXPECT_EQ(changes[1].app_id, "/b");
  EXPECT_TRUE(changes[1].added);
  EXPECT_EQ(changes[1].version, at(1));
}

}  // namespace
}  // namespace berth::scheduler
