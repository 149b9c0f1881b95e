// AppScheduler driving a real MasterCore on a fake clock, with agents simulated in the test: they
// answer launches with TASK_RUNNING (or what a test asks) and kills with TASK_KILLED. Covers
// deployments, scaling, rolling upgrades under both extreme strategies, deletes, locks and
// force, constraints in the queue, backoff, and a master restart in the middle of a deployment.
#include "scheduler/app_scheduler.h"

#include <gtest/gtest.h>

#include "scheduler/app_driver.h"
#include "scheduler/simulated_cluster.h"

namespace berth::scheduler {
namespace {

class AppSchedulerTest : public ::testing::Test, public SimulatedCluster {};

TEST_F(AppSchedulerTest, NewAppStartsItsInstancesAndTheDeploymentEnds) {
  auto deployment = deploy(app("/web", 3));
  ASSERT_TRUE(deployment.ok()) << deployment.error().message;
  EXPECT_EQ(running("/web").size(), 3u);
  EXPECT_TRUE(scheduler_->deployments().empty());
  ASSERT_EQ(finished_.size(), 1u);
  EXPECT_EQ(finished_[0], deployment->id());
  // Spread over the three agents, with Marathon's environment.
  std::set<std::string> agents;
  for (const TaskRecord* task : running("/web")) agents.insert(task->agent_id);
  EXPECT_EQ(agents.size(), 3u);
  EXPECT_EQ(launched_[0].environment.at("MARATHON_APP_ID"), "/web");
  EXPECT_EQ(launched_[0].task_id.rfind("web.", 0), 0u);
}

TEST_F(AppSchedulerTest, DeploymentStaysUntilTasksRun) {
  hold_launches_ = true;
  auto deployment = deploy(app("/web", 2));
  ASSERT_TRUE(deployment.ok());
  EXPECT_EQ(scheduler_->deployments().size(), 1u);
  for (const TaskSpec& spec : launched_) report(spec.task_id, TaskState::kRunning);
  settle();
  EXPECT_TRUE(scheduler_->deployments().empty());
}

TEST_F(AppSchedulerTest, ScaleKeepsTasksAndTheirVersion) {
  ASSERT_TRUE(deploy(app("/web", 2)).ok());
  std::string version = running("/web")[0]->spec.app_version;
  AppDefinition scaled = *scheduler_->find_app("/web");
  scaled.instances = 4;
  ASSERT_TRUE(deploy(scaled).ok());
  EXPECT_EQ(running("/web").size(), 4u);
  for (const TaskRecord* task : running("/web")) EXPECT_EQ(task->spec.app_version, version);
  const AppDefinition* now = scheduler_->find_app("/web");
  EXPECT_NE(now->version_info.last_scaling_at, now->version_info.last_config_change_at);

  scaled.instances = 1;
  ASSERT_TRUE(deploy(scaled).ok());
  EXPECT_EQ(running("/web").size(), 1u);
  EXPECT_EQ(launched_.size(), 4u);
}

TEST_F(AppSchedulerTest, RollingUpgradeStartsNewBeforeStoppingOldByDefault) {
  ASSERT_TRUE(deploy(app("/web", 3)).ok());
  hold_launches_ = true;
  AppDefinition changed = *scheduler_->find_app("/web");
  changed.cmd = "sleep 2000";
  ASSERT_TRUE(deploy(changed).ok());
  // m=1, o=1: three new ones start beside the three old ones; nothing is killed yet.
  EXPECT_EQ(launched_.size(), 6u);
  EXPECT_EQ(running("/web").size(), 3u);
  for (std::size_t i = 3; i < 6; ++i) report(launched_[i].task_id, TaskState::kRunning);
  settle();
  auto tasks = running("/web");
  ASSERT_EQ(tasks.size(), 3u);
  for (const TaskRecord* task : tasks) EXPECT_EQ(task->spec.command, "sleep 2000");
  EXPECT_TRUE(scheduler_->deployments().empty());
}

TEST_F(AppSchedulerTest, StopThenStartWhenTheStrategyAllowsNoOverlap) {
  AppDefinition single = app("/db", 1);
  single.upgrade_strategy = {0.0, 0.0};
  ASSERT_TRUE(deploy(single).ok());
  hold_kills_ = true;
  single = *scheduler_->find_app("/db");
  single.cmd = "sleep 3000";
  ASSERT_TRUE(deploy(single).ok());
  // The old task is being killed; its replacement waits until it has ended.
  EXPECT_EQ(held_kills_.size(), 1u);
  EXPECT_EQ(launched_.size(), 1u);
  report(held_kills_[0], TaskState::kKilled);
  settle();
  ASSERT_EQ(launched_.size(), 2u);
  EXPECT_EQ(launched_[1].command, "sleep 3000");
  EXPECT_TRUE(scheduler_->deployments().empty());
}

TEST_F(AppSchedulerTest, DeleteStopsEveryTask) {
  ASSERT_TRUE(deploy(app("/web", 2)).ok());
  Root target = scheduler_->root();
  target.apps.erase("/web");
  ASSERT_TRUE(scheduler_->deploy(std::move(target), true).ok());
  settle();
  EXPECT_TRUE(scheduler_->tasks_of("/web").empty());
  EXPECT_EQ(scheduler_->find_app("/web"), nullptr);
  EXPECT_TRUE(scheduler_->deployments().empty());
}

TEST_F(AppSchedulerTest, ADestroyedAppTakesItsLastFailureWithIt) {
  launch_answer_ = TaskState::kFailed;
  ASSERT_TRUE(deploy(app("/web", 1)).ok());
  ASSERT_NE(scheduler_->last_failure("/web"), nullptr);
  Root target = scheduler_->root();
  target.apps.erase("/web");
  ASSERT_TRUE(scheduler_->deploy(std::move(target), true).ok());
  settle();
  EXPECT_EQ(scheduler_->last_failure("/web"), nullptr);
  launch_answer_ = TaskState::kRunning;
  ASSERT_TRUE(deploy(app("/web", 1)).ok());
  ASSERT_EQ(running("/web").size(), 1u);
  EXPECT_EQ(scheduler_->last_failure("/web"), nullptr) << "a new app under the same id";
}

TEST_F(AppSchedulerTest, LockedAppNeedsForce) {
  hold_launches_ = true;
  ASSERT_TRUE(deploy(app("/web", 1)).ok());
  ASSERT_EQ(scheduler_->deployments().size(), 1u);
  auto refused = deploy(app("/web", 2));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_EQ(scheduler_->locking_deployments({"/web"}).size(), 1u);
  auto forced = deploy(app("/web", 2), true);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  EXPECT_EQ(scheduler_->deployments().size(), 1u);
  EXPECT_EQ(scheduler_->deployments().begin()->first, forced->id());
}

TEST_F(AppSchedulerTest, UniqueHostnameLeavesTheFourthInstanceQueued) {
  AppDefinition spread = app("/spread", 4);
  spread.constraints = {{"hostname", marathon::Constraint::Operator::kUnique, std::nullopt}};
  ASSERT_TRUE(deploy(spread).ok());
  EXPECT_EQ(running("/spread").size(), 3u);
  auto queue = scheduler_->queue();
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].count, 1u);
  EXPECT_EQ(queue[0].refusals.at("UnfulfilledConstraint"), 3);
  EXPECT_EQ(scheduler_->deployments().size(), 1u);
}

TEST_F(AppSchedulerTest, ClusterConstraintPinsToTheAttribute) {
  AppDefinition db = app("/db", 2);
  db.constraints = {{"disk", marathon::Constraint::Operator::kCluster, "ssd"}};
  ASSERT_TRUE(deploy(db).ok());
  for (const TaskRecord* task : running("/db")) EXPECT_EQ(task->hostname, "10.0.0.3");
}

TEST_F(AppSchedulerTest, FailuresDelayRelaunchesWithBackoff) {
  AppDefinition flaky = app("/flaky", 1);
  flaky.backoff_seconds = 10;
  launch_answer_ = TaskState::kFailed;
  ASSERT_TRUE(deploy(flaky).ok());
  EXPECT_EQ(launched_.size(), 1u);
  advance(seconds(5));
  EXPECT_EQ(launched_.size(), 1u);  // still in its 10 s delay
  auto queue = scheduler_->queue();
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_GT(queue[0].delay_until, clock_.now());
  advance(seconds(6));
  EXPECT_EQ(launched_.size(), 2u);
  // An operator resets the delay: the next launch does not wait 11.5 s.
  ASSERT_TRUE(scheduler_->reset_delay("/flaky").ok());
  settle();
  EXPECT_EQ(launched_.size(), 3u);
}

TEST_F(AppSchedulerTest, UnhealthyTaskIsKilledAndReplaced) {
  AppDefinition web = app("/web", 1);
  marathon::HealthCheck check;
  check.protocol = "MESOS_HTTP";
  check.max_consecutive_failures = 3;
  web.health_checks = {check};
  ASSERT_TRUE(deploy(web).ok());
  ASSERT_EQ(launched_.size(), 1u);
  ASSERT_EQ(launched_[0].health_checks.size(), 1u);
  const TaskRecord* task = core_->find_task(launched_[0].task_id);
  SessionRef ref = sessions_[task->hostname];
  StatusUpdate sick{
      .uuid = "sick",
      .task_id = task->id(),
      .seq = ++seq_,
      .state = TaskState::kRunning,
      .healthy = false,
      .health_results = {HealthCheckResult{.alive = false, .consecutive_failures = 3}}};
  ASSERT_TRUE(core_->update_status(ref, {sick}).ok());
  settle();
  EXPECT_EQ(launched_.size(), 2u);
  EXPECT_TRUE(is_terminal(core_->find_task(launched_[0].task_id)->state));
}

TEST_F(AppSchedulerTest, MasterRestartInTheMiddleOfADeploymentCarriesOn) {
  hold_launches_ = true;
  auto deployment = deploy(app("/web", 2));
  ASSERT_TRUE(deployment.ok());
  ASSERT_EQ(launched_.size(), 2u);
  std::vector<std::string> ids{launched_[0].task_id, launched_[1].task_id};

  start();  // a new master and scheduler on the same store
  std::vector<std::string> hosts;
  for (const auto& [host, ref] : sessions_) hosts.push_back(host);
  for (const std::string& host : hosts) add_agent(host);
  settle();
  ASSERT_EQ(scheduler_->deployments().size(), 1u);
  EXPECT_EQ(scheduler_->deployments().begin()->first, deployment->id());
  EXPECT_EQ(launched_.size(), 2u);  // no duplicate launches
  for (const std::string& id : ids) report(id, TaskState::kRunning);
  settle();
  EXPECT_TRUE(scheduler_->deployments().empty());
  ASSERT_NE(scheduler_->find_app("/web"), nullptr);
  EXPECT_EQ(scheduler_->versions("/web").size(), 1u);
}

TEST_F(AppSchedulerTest, ServicePortsAreUniqueAndKept) {
  ASSERT_TRUE(deploy(app("/a", 1)).ok());
  ASSERT_TRUE(deploy(app("/b", 1)).ok());
  std::uint32_t a_port = scheduler_->find_app("/a")->port_definitions[0].port;
  std::uint32_t b_port = scheduler_->find_app("/b")->port_definitions[0].port;
  EXPECT_EQ(a_port, 10000u);
  EXPECT_EQ(b_port, 10001u);
  // Re-deploying /a with "any port" keeps its number and so changes nothing.
  std::size_t launches = launched_.size();
  ASSERT_TRUE(deploy(app("/a", 1)).ok());
  EXPECT_EQ(scheduler_->find_app("/a")->port_definitions[0].port, a_port);
  EXPECT_EQ(launched_.size(), launches);
}

TEST_F(AppSchedulerTest, ScaleDownKeepsTheSpreadConstraintsAskFor) {
  AppDefinition spread = app("/spread", 4);
  spread.constraints = {{"disk", marathon::Constraint::Operator::kGroupBy, std::nullopt}};
  ASSERT_TRUE(deploy(spread).ok());
  ASSERT_EQ(running("/spread").size(), 4u);
  spread = *scheduler_->find_app("/spread");
  spread.instances = 2;
  ASSERT_TRUE(deploy(spread).ok());
  auto left = running("/spread");
  ASSERT_EQ(left.size(), 2u);
  // One on the ssd agent, one on a spinning one.
  std::set<std::string> kinds;
  for (const TaskRecord* task : left)
    kinds.insert(task->hostname == "10.0.0.3" ? "ssd" : "spinning");
  EXPECT_EQ(kinds.size(), 2u);
}

TEST_F(AppSchedulerTest, UnreachableTasksAreReplacedThenExpunged) {
  AppDefinition web = app("/web", 3);
  web.constraints = {{"hostname", marathon::Constraint::Operator::kMaxPer, "2"}};
  web.unreachable_strategy = {false, 0, 60};
  ASSERT_TRUE(deploy(web).ok());
  const TaskRecord* lost = running("/web")[0];
  std::string lost_id = lost->id();
  silent_hosts_.insert(lost->hostname);
  advance(seconds(10));  // past 5 missed heartbeats
  EXPECT_EQ(core_->find_task(lost_id)->state, TaskState::kUnreachable);
  EXPECT_EQ(running("/web").size(), 3u);  // replaced elsewhere
  advance(seconds(61));
  EXPECT_EQ(core_->find_task(lost_id)->state, TaskState::kGone);
  EXPECT_TRUE(scheduler_->deployments().empty());
}

TEST_F(AppSchedulerTest, DisabledUnreachableStrategyWaitsForTheAgent) {
  AppDefinition db = app("/db", 1);
  db.unreachable_strategy = {true, 0, 0};
  ASSERT_TRUE(deploy(db).ok());
  silent_hosts_.insert(running("/db")[0]->hostname);
  advance(seconds(30));
  EXPECT_EQ(launched_.size(), 1u);
}

TEST(AppDriverTest, RollingArithmeticKeepsTheHealthFloor) {
  // n=3, m=0.7: ceil(2.1) = 3 must stay ready, so no old task may go before a new one is ready.
  AppDefinition app;
  app.id = "/x";
  app.instances = 3;
  app.upgrade_strategy = {0.7, 0.0};
  app.version_info.last_config_change_at = WallTime(seconds(100));
  std::vector<TaskRecord> records(3);
  std::vector<const TaskRecord*> tasks;
  for (std::size_t i = 0; i < records.size(); ++i) {
    records[i].spec.task_id = "old" + std::to_string(i);
    records[i].spec.app_version = "old";
    records[i].state = TaskState::kRunning;
    tasks.push_back(&records[i]);
  }
  DriveDecision decision = drive({&app, tasks, WallTime{}});
  EXPECT_TRUE(decision.kill.empty());
  // Both bounds meet (3 ready, capacity 3): the deadlock breaker allows one extra task.
  EXPECT_EQ(decision.launch, 1u);
}

}  // namespace
}  // namespace berth::scheduler
