// The app scheduler with a real VolumeController: Marathon's external and persistent volumes are
// claimed for launches, released when tasks end, fenced when a node is lost and kept on their
// agent for resident apps.
#include "scheduler/app_volumes.h"

#include <gtest/gtest.h>

#include "scheduler/simulated_cluster.h"
#include "storage/volume_controller.h"

namespace berth::scheduler {
namespace {

// Forwards the core's news of agents to the controller, as the live master's VolumeWiring does.
class ControllerFeed final : public AgentListener {
 public:
  explicit ControllerFeed(VolumeController& controller) : controller_(controller) {}
  void agent_registered(const std::string& id, const RegisterAgent& message) override {
    (void)controller_.agent_reported(id, message.volumes);
  }
  void agent_heartbeat(const std::string& id, Instant acked_at) override {
    (void)controller_.agent_heartbeat(id, acked_at);
  }
  void agent_unreachable(const std::string& id, Instant last_seen) override {
    (void)controller_.agent_unreachable(id, last_seen);
  }

 private:
  VolumeController& controller_;
};

class AppVolumesTest : public ::testing::Test, public SimulatedCluster {
 protected:
  explicit AppVolumesTest(VolumeControllerConfig config = {}) {
    controller_ = std::make_unique<VolumeController>(clock_, store_, config);
    EXPECT_TRUE(controller_->recover().ok());
    volumes_ = std::make_unique<AppVolumes>(*controller_, [this](const auto& orders) {
      orders_.insert(orders_.end(), orders.begin(), orders.end());
    });
    feed_ = std::make_unique<ControllerFeed>(*controller_);
    core_->add_agent_listener(*feed_);
    scheduler_->set_volumes(volumes_.get());
    core_->on_task_changed([this](const TaskRecord& task) {
      if (is_terminal(task.state)) volumes_->release(task.id());
    });
    controller_->on_event([this](const VolumeEvent& event) {
      if (const VolumeRecord* volume = controller_->find(event.volume)) {
        scheduler_->volume_changed(volume->app_id);
      }
    });
  }

  AppDefinition external_app(const std::string& id) {
    AppDefinition definition = app(id, 1);
    definition.upgrade_strategy = {0.0, 0.0};
    marathon::Volume volume;
    volume.container_path = "pgdata";
    volume.external =
        marathon::ExternalVolume{.name = "pg1",
                                 .provider = "dvdi",
                                 .size = 2,
                                 .options = {{"dvdi/driver", "rexray"}, {"dvdi/newfstype", "xfs"}}};
    definition.container = marathon::Container{.type = "MESOS", .volumes = {volume}};
    return definition;
  }

  AppDefinition resident_app(const std::string& id, std::int64_t instances) {
    AppDefinition definition = app(id, instances);
    definition.upgrade_strategy = {0.5, 0.0};
    definition.unreachable_strategy.disabled = true;
    marathon::Volume volume;
    volume.container_path = "data";
    volume.persistent = marathon::PersistentVolume{.size = 64};
    definition.container = marathon::Container{.type = "MESOS", .volumes = {volume}};
    return definition;
  }

  // What an agent would report after mounting or unmounting: the volumes its running tasks use.
  void report_mounts(const std::string& agent_id) {
    std::vector<MountedVolume> mounts;
    for (const TaskRecord* task : core_->live_tasks_of("/db")) {
      if (task->agent_id != agent_id) continue;
      for (const TaskVolume& used : task->spec.volumes) {
        mounts.push_back({used.volume.name, used.volume.epoch, {task->id()}});
      }
    }
    auto orders = controller_->agent_reported(agent_id, mounts);
    ASSERT_TRUE(orders.ok()) << orders.error().message;
  }

  std::unique_ptr<VolumeController> controller_;
  std::unique_ptr<AppVolumes> volumes_;
  std::unique_ptr<ControllerFeed> feed_;
  std::vector<VolumeOrder> orders_;
};

TEST_F(AppVolumesTest, ExternalVolumeIsClaimedForTheLaunchWithAnEpoch) {
  ASSERT_TRUE(deploy(external_app("/db")).ok());
  ASSERT_EQ(running("/db").size(), 1u);
  const TaskRecord& task = *running("/db")[0];
  ASSERT_EQ(task.spec.volumes.size(), 1u);
  const TaskVolume& used = task.spec.volumes[0];
  EXPECT_EQ(used.volume.name, "pg1");
  EXPECT_EQ(used.volume.driver, "blockpool") << "rexray is an alias";
  EXPECT_EQ(used.volume.size_mib, 2048);
  EXPECT_EQ(used.volume.fs_type, "xfs");
  EXPECT_EQ(used.container_path, "pgdata");
  EXPECT_GT(used.volume.epoch, 0u);
  const VolumeRecord* volume = controller_->find("pg1");
  ASSERT_NE(volume, nullptr);
  EXPECT_EQ(volume->state, VolumeState::kAttaching);
  EXPECT_EQ(volume->attachment->agent_id, task.agent_id);
  EXPECT_EQ(volume->claims, std::set<std::string>{task.id()});
  EXPECT_EQ(volume->app_id, "/db");
}

TEST_F(AppVolumesTest, OnlyAgentsWithTheVolumesDriverAreConsidered) {
  add_agent("10.0.0.1", std::vector<std::string>{"local"});
  add_agent("10.0.0.2", std::vector<std::string>{"blockpool", "local"});
  add_agent("10.0.0.3", std::vector<std::string>{"local"});
  ASSERT_TRUE(deploy(external_app("/db")).ok());
  ASSERT_EQ(running("/db").size(), 1u);
  EXPECT_EQ(running("/db")[0]->hostname, "10.0.0.2") << "the only agent with a volume pool";
}

TEST_F(AppVolumesTest, TheQueueSaysWhenNoAgentHasTheVolumesDriver) {
  for (const char* host : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    add_agent(host, std::vector<std::string>{"local"});
  }
  (void)deploy(external_app("/db"));
  EXPECT_TRUE(running("/db").empty());
  auto queue = scheduler_->queue();
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_NE(queue[0].message.find("has no volume driver 'blockpool'"), std::string::npos)
      << queue[0].message;
}

TEST_F(AppVolumesTest, TheDvdiEnvironmentOfAnAppWithoutContainerVolumesIsClaimedToo) {
  AppDefinition definition = app("/legacy", 1);
  definition.upgrade_strategy = {0.0, 0.0};
  definition.env = {{"DVDI_VOLUME_NAME", "dv1"},
                    {"DVDI_VOLUME_DRIVER", "rexray"},
                    {"DVDI_VOLUME_OPTS", "size=2,newfstype=xfs"}};
  ASSERT_TRUE(deploy(definition).ok());
  ASSERT_EQ(running("/legacy").size(), 1u);
  const TaskRecord& task = *running("/legacy")[0];
  ASSERT_EQ(task.spec.volumes.size(), 1u);
  EXPECT_EQ(task.spec.volumes[0].volume.name, "dv1");
  EXPECT_EQ(task.spec.volumes[0].volume.driver, "blockpool");
  EXPECT_EQ(task.spec.volumes[0].volume.size_mib, 2048);
  EXPECT_EQ(task.spec.volumes[0].container_path, "/var/lib/rexray/volumes/dv1");
  EXPECT_GT(task.spec.volumes[0].volume.epoch, 0u) << "claimed, so fenced like any other";
  EXPECT_EQ(controller_->find("dv1")->claims, std::set<std::string>{task.id()});
}

TEST_F(AppVolumesTest, ASharedVolumeKeepsAllItsTasksOnOneNode) {
  AppDefinition definition = external_app("/web");
  definition.instances = 3;
  definition.container->volumes[0].external->shared = true;
  ASSERT_TRUE(deploy(definition).ok());
  auto tasks = running("/web");
  ASSERT_EQ(tasks.size(), 3u);
  for (const TaskRecord* task : tasks) {
    EXPECT_EQ(task->agent_id, tasks[0]->agent_id) << "one node at a time";
    EXPECT_EQ(task->spec.volumes[0].volume.epoch, tasks[0]->spec.volumes[0].volume.epoch);
  }
  EXPECT_EQ(controller_->find("pg1")->access, VolumeAccess::kShared);
  EXPECT_EQ(controller_->find("pg1")->claims.size(), 3u);
}

TEST_F(AppVolumesTest, AFailedTaskIsReplacedOnTheAgentThatHasTheVolume) {
  ASSERT_TRUE(deploy(external_app("/db")).ok());
  const TaskRecord first = *running("/db")[0];
  report_mounts(first.agent_id);
  report(first.id(), TaskState::kFailed);
  EXPECT_EQ(controller_->find("pg1")->state, VolumeState::kDetaching);
  ASSERT_EQ(orders_.size(), 1u);
  EXPECT_EQ(orders_[0].kind, VolumeOrder::Kind::kUnmount);
  advance(seconds(5));  // the launch backoff
  ASSERT_EQ(running("/db").size(), 1u);
  const TaskRecord& second = *running("/db")[0];
  EXPECT_NE(second.id(), first.id());
  EXPECT_EQ(second.agent_id, first.agent_id);
  EXPECT_EQ(second.spec.volumes[0].volume.epoch, first.spec.volumes[0].volume.epoch)
      << "same node, same attachment";
}

TEST_F(AppVolumesTest, ALostNodeIsFencedThenTheAppMovesWithANewEpoch) {
  ASSERT_TRUE(deploy(external_app("/db")).ok());
  const TaskRecord first = *running("/db")[0];
  report_mounts(first.agent_id);
  silent_hosts_.insert(hosts_[first.agent_id]);
  // Heartbeats stop. Until the core gives up on the agent nothing moves.
  advance(seconds(5));
  EXPECT_EQ(controller_->find("pg1")->state, VolumeState::kAttached);
  EXPECT_EQ(scheduler_->tasks_of("/db").size(), 1u);
  // With the default settings the lease (5 s + 1 s of drift, from the last acknowledged
  // heartbeat) has run out by the time the agent is declared unreachable (6 missed seconds).
  advance(seconds(5));
  std::vector<const TaskRecord*> now = running("/db");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_NE(now[0]->agent_id, first.agent_id);
  EXPECT_GT(now[0]->spec.volumes[0].volume.epoch, first.spec.volumes[0].volume.epoch);
  EXPECT_EQ(controller_->find("pg1")->attachment->agent_id, now[0]->agent_id);
  EXPECT_EQ(controller_->find("pg1")->history.back().ended_by, "fenced");
}

class LongLeaseTest : public AppVolumesTest {
 protected:
  static VolumeControllerConfig long_lease() {
    VolumeControllerConfig config;
    config.lease = seconds(30);
    return config;
  }
  LongLeaseTest() : AppVolumesTest(long_lease()) {}
};

TEST_F(LongLeaseTest, TheReplacementWaitsForTheFenceAndTheQueueSaysWhy) {
  ASSERT_TRUE(deploy(external_app("/db")).ok());
  const TaskRecord first = *running("/db")[0];
  report_mounts(first.agent_id);
  silent_hosts_.insert(hosts_[first.agent_id]);
  advance(seconds(10));
  EXPECT_EQ(controller_->find("pg1")->state, VolumeState::kFencing);
  EXPECT_TRUE(running("/db").empty());
  auto queue = scheduler_->queue();
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_NE(queue[0].message.find("pg1"), std::string::npos) << queue[0].message;
  advance(seconds(25));
  ASSERT_EQ(running("/db").size(), 1u);
  EXPECT_NE(running("/db")[0]->agent_id, first.agent_id);
}

TEST_F(AppVolumesTest, ALostNodeDoesNotDelayTheRelaunchWithBackoff) {
  ASSERT_TRUE(deploy(external_app("/db")).ok());
  const TaskRecord first = *running("/db")[0];
  report_mounts(first.agent_id);
  silent_hosts_.insert(hosts_[first.agent_id]);
  // In small steps: the relaunch must follow the fence at once, not after backoffSeconds.
  std::optional<Instant> fenced;
  for (int step = 0; step < 200; ++step) {
    clock_.advance(milliseconds(50));
    for (const auto& [host, ref] : sessions_) {
      if (silent_hosts_.count(host) == 0) (void)core_->heartbeat(ref);
    }
    settle();
    VolumeState state = controller_->find("pg1")->state;
    if (!fenced && state != VolumeState::kAttached && state != VolumeState::kFencing) {
      fenced = clock_.now();
    }
    if (fenced) break;
  }
  ASSERT_TRUE(fenced.has_value());
  ASSERT_EQ(running("/db").size(), 1u);
  EXPECT_NE(running("/db")[0]->id(), first.id());
  EXPECT_EQ(scheduler_->last_failure("/db")->id(), first.id()) << "still shown as a failure";
}

TEST_F(AppVolumesTest, ResidentInstancesKeepTheirSlotsAndAgents) {
  ASSERT_TRUE(deploy(resident_app("/db", 2)).ok());
  auto tasks = running("/db");
  ASSERT_EQ(tasks.size(), 2u);
  std::map<std::string, std::string> agent_of;  // volume -> agent
  for (const TaskRecord* task : tasks) {
    ASSERT_EQ(task->spec.volumes.size(), 1u);
    EXPECT_FALSE(task->spec.volumes[0].volume.external);
    EXPECT_EQ(task->spec.volumes[0].volume.driver, "local");
    agent_of[task->spec.volumes[0].volume.name] = task->agent_id;
  }
  EXPECT_EQ(agent_of.count("db.data.0"), 1u);
  EXPECT_EQ(agent_of.count("db.data.1"), 1u);
  for (const auto& [name, agent] : agent_of) report_mounts(agent);

  // Scale down to one: the other volume stays, unclaimed, on its agent.
  AppDefinition one = resident_app("/db", 1);
  ASSERT_TRUE(deploy(one).ok());
  advance(seconds(1));
  ASSERT_EQ(running("/db").size(), 1u);
  for (const auto& [name, agent] : agent_of) report_mounts(agent);
  std::string kept = running("/db")[0]->spec.volumes[0].volume.name;
  std::string idle = kept == "db.data.0" ? "db.data.1" : "db.data.0";
  const VolumeRecord* idle_volume = controller_->find(idle);
  ASSERT_NE(idle_volume, nullptr);
  EXPECT_TRUE(idle_volume->claims.empty());
  EXPECT_EQ(idle_volume->pinned_agent, agent_of[idle]);

  // Scale up again: the new instance gets the idle volume back, on its agent.
  ASSERT_TRUE(deploy(resident_app("/db", 2)).ok());
  advance(seconds(1));
  ASSERT_EQ(running("/db").size(), 2u);
  for (const TaskRecord* task : running("/db")) {
    EXPECT_EQ(task->agent_id, agent_of[task->spec.volumes[0].volume.name]);
  }
}

TEST_F(AppVolumesTest, WipeDestroysTheVolumeAndTheReplacementStartsAfresh) {
  ASSERT_TRUE(deploy(resident_app("/db", 1)).ok());
  const TaskRecord first = *running("/db")[0];
  report_mounts(first.agent_id);
  auto killed = scheduler_->kill_tasks({first.id()}, false, false, /*wipe=*/true);
  ASSERT_TRUE(killed.ok());
  settle();
  report_mounts(first.agent_id);  // the agent unmounted it
  advance(seconds(1));
  EXPECT_EQ(controller_->find("db.data.0"), nullptr) << "wiped";
  ASSERT_EQ(running("/db").size(), 1u);
  EXPECT_EQ(running("/db")[0]->spec.volumes[0].volume.name, "db.data.1");
}

TEST_F(AppVolumesTest, DestroyingAResidentAppDeletesItsVolumes) {
  ASSERT_TRUE(deploy(resident_app("/db", 1)).ok());
  const TaskRecord first = *running("/db")[0];
  report_mounts(first.agent_id);
  Root target = scheduler_->root();
  target.apps.erase("/db");
  ASSERT_TRUE(scheduler_->deploy(std::move(target), false).ok());
  settle();
  report_mounts(first.agent_id);
  advance(seconds(11));  // the next full pass
  EXPECT_EQ(controller_->find("db.data.0"), nullptr);
}

TEST_F(AppVolumesTest, AResidentTaskWaitsForItsAgentAndTheQueueSaysWhy) {
  ASSERT_TRUE(deploy(resident_app("/db", 1)).ok());
  const TaskRecord first = *running("/db")[0];
  report_mounts(first.agent_id);
  silent_hosts_.insert(hosts_[first.agent_id]);
  advance(seconds(10));
  // The operator gives up on the task; its replacement can only run where its data is.
  ASSERT_TRUE(core_->expunge(first.id()).ok());
  advance(seconds(2));
  EXPECT_TRUE(running("/db").empty());
  auto queue = scheduler_->queue();
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_NE(queue[0].message.find("local volume 'db.data.0' lives on agent " + first.agent_id),
            std::string::npos)
      << queue[0].message;
  EXPECT_EQ(queue[0].refusals.count("NoCorrespondingReservationFound"), 1u);
}

TEST_F(AppVolumesTest, ClaimsOfTasksTheMasterDoesNotKnowAreReleased) {
  VolumeSpec spec{.name = "stray", .driver = "blockpool"};
  ASSERT_TRUE(
      controller_->claim_for_launch({"ghost", sessions_["10.0.0.1"].agent_id, "/x", spec}).ok());
  volumes_->release_orphans([this](const std::string& id) { return core_->find_task(id); });
  EXPECT_TRUE(controller_->find("stray")->claims.empty());
}

TEST_F(AppVolumesTest, LocalVolumeNamesAreValidForLongAppIds) {
  std::string long_id = "/" + std::string(200, 'a') + "/b";
  std::string name = local_volume_name(long_id, "Data Dir", 12);
  EXPECT_TRUE(validate_volume_name(name).ok()) << name;
  EXPECT_EQ(name.substr(name.size() - 12), ".data-dir.12");
  EXPECT_EQ(local_volume_name("/prod/db", "pgdata", 0), "prod_db.pgdata.0");
}

}  // namespace
}  // namespace berth::scheduler
