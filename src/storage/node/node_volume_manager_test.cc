// NodeVolumeManager on the fake driver: reference counts, epochs, reboots, fencing, bad
// requests, and a crash before and after every checkpoint write and every driver side effect,
// each followed by recovery that must repeat the interrupted call and leak nothing.
#include "storage/node/node_volume_manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "storage/node/fake_node_driver.h"

namespace berth {
namespace {

constexpr char kRoot[] = "/work/volume_mounts";
constexpr char kSandbox[] = "/work/sandboxes/t";

struct Crash {};

// A checkpoint store that can crash (throw) before or after its n-th write or removal.
class CrashingStore final : public VolumeCheckpointStore {
 public:
  Status write(const std::string& volume, std::string_view data) override {
    return step([&] { return inner.write(volume, data); });
  }
  Result<std::optional<std::string>> read(const std::string& volume) override {
    return inner.read(volume);
  }
  Status remove(const std::string& volume) override {
    return step([&] { return inner.remove(volume); });
  }
  Result<std::vector<std::string>> list() override { return inner.list(); }

  template <typename F>
  Status step(F apply) {
    bool crash = ++*ops == crash_at;
    if (crash && !crash_after) throw Crash{};
    Status done = apply();
    if (crash) throw Crash{};
    return done;
  }

  MemoryVolumeCheckpointStore inner;
  int* ops = nullptr;
  int crash_at = -1;
  bool crash_after = false;
};

TaskVolume task_volume(const std::string& name, std::uint64_t epoch = 1, bool external = true,
                       const std::string& path = "/data") {
  TaskVolume v;
  v.volume.name = name;
  v.volume.driver = "fake";
  v.volume.size_mib = 64;
  v.volume.epoch = epoch;
  v.volume.external = external;
  v.container_path = path;
  return v;
}

class NodeVolumeManagerTest : public ::testing::Test {
 protected:
  NodeVolumeManagerTest() { store.ops = &ops; }

  std::unique_ptr<NodeVolumeManager> make(const std::string& boot_id = "boot-1") {
    return std::make_unique<NodeVolumeManager>(NodeVolumeManagerOptions{kRoot, boot_id}, store,
                                               std::vector<NodeDriver*>{&driver});
  }

  int ops = 0;
  CrashingStore store;
  FakeNodeDriver driver;
};

TEST_F(NodeVolumeManagerTest, PublishStagesOnceAndCountsTasks) {
  auto manager = make();
  auto first = manager->publish_for_task("t1", task_volume("pg"), kSandbox);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->source, std::string(kRoot) + "/pg/tasks/t1");
  EXPECT_EQ(first->target, "/data");
  auto second = manager->publish_for_task("t2", task_volume("pg"), kSandbox);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(driver.calls,
            (std::vector<std::string>{"stage pg", "publish pg /work/volume_mounts/pg/tasks/t1",
                                      "publish pg /work/volume_mounts/pg/tasks/t2"}));
  ASSERT_EQ(manager->mounted().size(), 1u);
  EXPECT_EQ(manager->mounted()[0], (MountedVolume{"pg", 1, {"t1", "t2"}}));

  ASSERT_TRUE(manager->release_task("t1").ok());
  EXPECT_EQ(driver.staged.size(), 1u) << "the second task still uses it";
  EXPECT_EQ(driver.published.size(), 1u);
  ASSERT_TRUE(manager->release_task("t2").ok());
  EXPECT_TRUE(driver.staged.empty());
  EXPECT_TRUE(driver.published.empty());
  EXPECT_TRUE(store.inner.documents.empty());
  EXPECT_TRUE(manager->mounted().empty());
  EXPECT_TRUE(manager->release_task("t2").ok()) << "release is idempotent";
}

TEST_F(NodeVolumeManagerTest, RepeatedPublishIsANoOp) {
  auto manager = make();
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok());
  auto again = manager->publish_for_task("t1", task_volume("pg"), kSandbox);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(driver.calls.size(), 2u);
}

TEST_F(NodeVolumeManagerTest, RelativeContainerPathsLieInTheSandbox) {
  auto manager = make();
  auto mount = manager->publish_for_task("t1", task_volume("pg", 1, true, "data//pg/"), kSandbox);
  ASSERT_TRUE(mount.ok()) << mount.error().message;
  EXPECT_EQ(mount->target, std::string(kSandbox) + "/data/pg");
}

TEST_F(NodeVolumeManagerTest, BadRequestsAreRefusedBeforeAnythingIsWritten) {
  auto manager = make();
  for (const char* path : {"../etc", "/a/../../etc", "/", "", "a/./b"}) {
    auto refused = manager->publish_for_task("t1", task_volume("pg", 1, true, path), kSandbox);
    ASSERT_FALSE(refused.ok()) << path;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidArgument) << path;
  }
  EXPECT_FALSE(manager->publish_for_task("../t", task_volume("pg"), kSandbox).ok());
  EXPECT_FALSE(manager->publish_for_task("t1", task_volume("../pg"), kSandbox).ok());
  TaskVolume unknown = task_volume("pg");
  unknown.volume.driver = "nfs";
  auto no_driver = manager->publish_for_task("t1", unknown, kSandbox);
  ASSERT_FALSE(no_driver.ok());
  EXPECT_NE(no_driver.error().message.find("not available"), std::string::npos);

  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("a"), kSandbox).ok());
  auto collision = manager->publish_for_task("t1", task_volume("b"), kSandbox);
  ASSERT_FALSE(collision.ok());
  EXPECT_NE(collision.error().message.find("already mounted at /data"), std::string::npos);
  EXPECT_EQ(store.inner.documents.size(), 1u);
}

TEST_F(NodeVolumeManagerTest, StaleEpochIsRefusedNewerEpochRestages) {
  auto manager = make();
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg", 3), kSandbox).ok());
  auto stale = manager->publish_for_task("t2", task_volume("pg", 2), kSandbox);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);

  ASSERT_TRUE(manager->publish_for_task("t2", task_volume("pg", 4), kSandbox).ok());
  EXPECT_EQ(std::count(driver.calls.begin(), driver.calls.end(), "stage pg"), 2);
  EXPECT_EQ(driver.pool_epochs["pg"], 4u);
  EXPECT_EQ(manager->mounted()[0].epoch, 4u);
}

TEST_F(NodeVolumeManagerTest, EpochRefusedByThePoolLeavesNothingBehind) {
  driver.pool_epochs["pg"] = 5;  // another node has it now
  auto manager = make();
  auto refused = manager->publish_for_task("t1", task_volume("pg", 4), kSandbox);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(driver.staged.empty());
  EXPECT_TRUE(store.inner.documents.empty());
  EXPECT_TRUE(manager->mounted().empty());
}

TEST_F(NodeVolumeManagerTest, FailedRestageKeepsTheExistingMount) {
  auto manager = make();
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg", 1), kSandbox).ok());
  driver.pool_epochs["pg"] = 9;
  ASSERT_FALSE(manager->publish_for_task("t2", task_volume("pg", 2), kSandbox).ok());
  ASSERT_EQ(manager->mounted().size(), 1u);
  EXPECT_EQ(manager->mounted()[0], (MountedVolume{"pg", 1, {"t1"}}));
  EXPECT_EQ(driver.published.size(), 1u);
}

TEST_F(NodeVolumeManagerTest, FailedPublishUndoesTheStage) {
  auto manager = make();
  driver.before = [](const std::string& call) -> Status {
    if (call.starts_with("publish")) return internal_error("mount: busy");
    return {};
  };
  auto failed = manager->publish_for_task("t1", task_volume("pg"), kSandbox);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("volume pg for task t1: mount: busy"), std::string::npos)
      << failed.error().message;
  EXPECT_TRUE(driver.staged.empty());
  EXPECT_TRUE(store.inner.documents.empty());
}

TEST_F(NodeVolumeManagerTest, FailedUnstageIsRetriedByRecovery) {
  auto manager = make();
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok());
  driver.before = [](const std::string& call) -> Status {
    if (call.starts_with("unstage")) return unavailable("umount: target is busy");
    return {};
  };
  EXPECT_FALSE(manager->release_task("t1").ok());
  EXPECT_EQ(manager->mounted().size(), 1u) << "possibly still mounted: still reported";
  driver.before = nullptr;
  auto recovered = make();
  ASSERT_TRUE(recovered->recover().ok());
  EXPECT_TRUE(driver.staged.empty());
  EXPECT_TRUE(store.inner.documents.empty());
}

TEST_F(NodeVolumeManagerTest, RecoveryKeepsMountsOfLiveTasks) {
  auto manager = make();
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok());
  manager.reset();
  driver.calls.clear();
  auto recovered = make();
  ASSERT_TRUE(recovered->recover().ok());
  EXPECT_TRUE(driver.calls.empty()) << "nothing was interrupted: nothing is repeated";
  EXPECT_EQ(recovered->mounted(), (std::vector<MountedVolume>{{"pg", 1, {"t1"}}}));
  EXPECT_EQ(recovered->claimed_tasks(), std::vector<std::string>{"t1"});
}

TEST_F(NodeVolumeManagerTest, RebootForgetsMountsButKeepsClaimsUntilReleased) {
  auto manager = make("boot-1");
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok());
  ASSERT_TRUE(
      manager->publish_for_task("t1", task_volume("logs", 1, true, "/logs"), kSandbox).ok());
  manager.reset();
  driver.reboot();
  driver.calls.clear();

  auto rebooted = make("boot-2");
  ASSERT_TRUE(rebooted->recover().ok());
  EXPECT_TRUE(driver.calls.empty()) << "nothing to repeat after a reboot";
  EXPECT_TRUE(rebooted->mounted().empty());
  EXPECT_EQ(rebooted->claimed_tasks(), std::vector<std::string>{"t1"});
  EXPECT_EQ(rebooted->volumes().at("pg").state, StageState::kUnstaged);

  // A new task stages again; the old one's release cleans its leftovers.
  ASSERT_TRUE(rebooted->publish_for_task("t2", task_volume("pg"), kSandbox).ok());
  EXPECT_EQ(rebooted->mounted(), (std::vector<MountedVolume>{{"pg", 1, {"t2"}}}));
  ASSERT_TRUE(rebooted->release_task("t1").ok());
  EXPECT_FALSE(store.inner.documents.contains("logs"));
  EXPECT_TRUE(rebooted->volumes().contains("pg"));
  ASSERT_TRUE(rebooted->release_task("t2").ok());
  EXPECT_TRUE(store.inner.documents.empty());
  EXPECT_TRUE(driver.staged.empty());
}

TEST_F(NodeVolumeManagerTest, CheckpointRecordsTheStagedDeviceAndUnstageGetsIt) {
  auto manager = make();
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok());
  const StagedDevice device = driver.staged.begin()->second.device;
  ASSERT_FALSE(device.empty());
  EXPECT_EQ(manager->volumes().at("pg").device, device);
  auto saved = decode_node_volume(store.inner.documents.at("pg"));
  ASSERT_TRUE(saved.ok());
  EXPECT_EQ(saved->device, device) << "persisted, for the next agent";

  manager.reset();
  auto recovered = make();  // the same mount namespace: the mount is still there
  ASSERT_TRUE(recovered->recover().ok());
  EXPECT_EQ(recovered->volumes().at("pg").device, device);
  ASSERT_TRUE(recovered->release_task("t1").ok());
  EXPECT_EQ(driver.unstaged_devices, std::vector<StagedDevice>{device});
}

// The PostgreSQL end-to-end tests' stale state: a node killed and started again with the same
// work dir on the same kernel (test clusters, `berth dev`) has a new mount namespace. Recovery
// believed the checkpoint, reported the volume mounted, and its unstage then waited on the loop
// device of the node that held the volume since.
TEST_F(NodeVolumeManagerTest, NodeBackInANewMountNamespaceForgetsItsMountsWithoutAReboot) {
  auto manager = make("boot-1");
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok());
  ASSERT_TRUE(manager->publish_for_task("t2", task_volume("cache", 0, false), kSandbox).ok());
  manager.reset();
  driver.reboot();  // the mounts went with the node's namespace; the kernel stayed
  driver.calls.clear();

  auto back = make("boot-1");
  ASSERT_TRUE(back->recover().ok());
  EXPECT_TRUE(driver.calls.empty()) << "nothing to repeat, nothing to wait for";
  EXPECT_TRUE(back->mounted().empty()) << "nothing is reported mounted";
  EXPECT_EQ(back->claimed_tasks(), (std::vector<std::string>{"t1", "t2"}));
  EXPECT_EQ(back->volumes().at("pg").state, StageState::kUnstaged);
  EXPECT_EQ(back->volumes().at("pg").claims.at("t1").state, ClaimState::kUnpublished);
  EXPECT_TRUE(back->volumes().at("pg").device.empty()) << "the device is no longer ours";

  // Releasing the dead tasks cleans up without naming a device unstage could wait on.
  ASSERT_TRUE(back->release_task("t1").ok());
  ASSERT_TRUE(back->release_task("t2").ok());
  EXPECT_EQ(driver.unstaged_devices, (std::vector<StagedDevice>{{}, {}}));
  EXPECT_TRUE(store.inner.documents.empty());
  EXPECT_TRUE(back->mounted().empty());
}

TEST_F(NodeVolumeManagerTest, FenceUnmountsExternalVolumesOnly) {
  auto manager = make();
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok());
  ASSERT_TRUE(manager->publish_for_task("t2", task_volume("pg", 1, true, "/other"), kSandbox).ok());
  ASSERT_TRUE(manager->publish_for_task("t3", task_volume("cache", 0, false), kSandbox).ok());
  ASSERT_TRUE(manager->fence_all_external().ok());
  EXPECT_EQ(manager->mounted(), (std::vector<MountedVolume>{{"cache", 0, {"t3"}}}));
  EXPECT_EQ(driver.staged.size(), 1u);
  EXPECT_EQ(driver.published.size(), 1u);
  EXPECT_FALSE(store.inner.documents.contains("pg"));
  EXPECT_TRUE(manager->release_task("t1").ok()) << "releasing a fenced task is a no-op";
}

TEST_F(NodeVolumeManagerTest, LargerSizeGrowsTheStagedVolume) {
  auto manager = make();
  ASSERT_TRUE(manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok());
  TaskVolume bigger = task_volume("pg");
  bigger.volume.size_mib = 128;
  ASSERT_TRUE(manager->publish_for_task("t2", bigger, kSandbox).ok());
  EXPECT_EQ(driver.staged.begin()->second.size_mib, 128);
}

TEST_F(NodeVolumeManagerTest, CheckpointRoundTrip) {
  NodeVolume volume;
  volume.spec = task_volume("pg").volume;
  volume.state = StageState::kUnstaging;
  volume.boot_id = "b";
  volume.claims["t1"] = {ClaimState::kUnpublishing, "/s", "/t", true};
  auto decoded = decode_node_volume(encode_node_volume(volume));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, volume);
  volume.device = {"/dev/loop3", (7u << 8) | 3u, 1276, 2049, 123456789012};
  decoded = decode_node_volume(encode_node_volume(volume));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, volume);
  EXPECT_FALSE(decode_node_volume("{").ok());
}

// The workload every crash test runs: two tasks share one volume, one task has two volumes,
// then all are released.
// `epoch` is where the master's epochs start: a rerun after a crash gets newer ones.
void workload(NodeVolumeManager& manager, std::uint64_t epoch = 1) {
  auto ok = [](const auto& result) { ASSERT_TRUE(result.ok()) << result.error().message; };
  ok(manager.publish_for_task("t1", task_volume("pg", epoch), kSandbox));
  ok(manager.publish_for_task("t2", task_volume("pg", epoch + 1), kSandbox));
  ok(manager.publish_for_task("t1", task_volume("logs", epoch, true, "logs"), kSandbox));
  ok(manager.release_task("t1"));
  ok(manager.release_task("t2"));
}

// Everything the driver has mounted is on record, in a state that admits it.
void expect_no_leaks(const FakeNodeDriver& driver, const NodeVolumeManager& manager) {
  for (const auto& [path, staged] : driver.staged) {
    ASSERT_TRUE(manager.volumes().contains(staged.volume)) << "leaked stage " << path;
    EXPECT_NE(manager.volumes().at(staged.volume).state, StageState::kUnstaged) << path;
  }
  for (const auto& [target, published] : driver.published) {
    bool recorded = false;
    for (const auto& [name, volume] : manager.volumes()) {
      for (const auto& [task, claim] : volume.claims) {
        recorded = recorded || (claim.source == target && claim.state != ClaimState::kUnpublished);
      }
    }
    EXPECT_TRUE(recorded) << "leaked publish " << target;
  }
}

TEST_F(NodeVolumeManagerTest, CrashAtEveryStepIsRecovered) {
  // A clean run counts the steps (checkpoint writes and driver side effects).
  int steps = 0;
  driver.after = [&](const std::string&) {};
  {
    auto manager = make();
    workload(*manager);
  }
  steps = ops + static_cast<int>(driver.calls.size());
  ASSERT_GT(steps, 10);

  int crashes = 0;
  for (int at = 1; at <= steps; ++at) {
    for (bool after : {false, true}) {
      SCOPED_TRACE("crash at step " + std::to_string(at) + (after ? " after" : " before"));
      store.inner.documents.clear();
      driver = FakeNodeDriver();
      ops = 0;
      store.crash_at = at;
      store.crash_after = after;
      // Driver calls share the step count with the store's writes.
      driver.before = [&](const std::string&) -> Status {
        if (++ops == at && !after) throw Crash{};
        return {};
      };
      driver.after = [&](const std::string&) {
        if (ops == at && after) throw Crash{};
      };
      bool crashed = false;
      try {
        auto manager = make();
        workload(*manager);
      } catch (const Crash&) {
        crashed = true;
      }
      store.crash_at = -1;
      driver.before = nullptr;
      driver.after = nullptr;
      ASSERT_TRUE(crashed) << "every step of the clean run is reached again";
      ++crashes;

      auto recovered = make();
      auto status = recovered->recover();
      ASSERT_TRUE(status.ok()) << status.error().message;
      expect_no_leaks(driver, *recovered);
      // The agent releases the tasks it finds dead, then runs the workload again.
      for (const auto& task : recovered->claimed_tasks()) {
        ASSERT_TRUE(recovered->release_task(task).ok());
      }
      workload(*recovered, 10);
      EXPECT_TRUE(driver.staged.empty());
      EXPECT_TRUE(driver.published.empty());
      EXPECT_TRUE(store.inner.documents.empty());
    }
  }
  EXPECT_EQ(crashes, 2 * steps);
}

// Each transitional state names the call that recovery repeats first.
TEST_F(NodeVolumeManagerTest, RecoveryRepeatsTheInterruptedCall) {
  struct Case {
    const char* crash_in;  // the driver call that never returned
    const char* repeated;  // recovery's first driver call
  };
  for (const Case& c :
       {Case{"stage", "stage pg"}, Case{"publish", "publish pg /work/volume_mounts/pg/tasks/t1"},
        Case{"unpublish", "unpublish pg /work/volume_mounts/pg/tasks/t1"},
        Case{"unstage", "unstage pg"}}) {
    SCOPED_TRACE(c.crash_in);
    store.inner.documents.clear();
    driver = FakeNodeDriver();
    const std::string prefix = std::string(c.crash_in) + " ";
    driver.after = [&](const std::string& call) {
      if (call.starts_with(prefix)) throw Crash{};
    };
    EXPECT_THROW(
        {
          auto manager = make();
          if (manager->publish_for_task("t1", task_volume("pg"), kSandbox).ok()) {
            (void)manager->release_task("t1").ok();
          }
        },
        Crash);
    driver.after = nullptr;
    driver.calls.clear();
    auto recovered = make();
    ASSERT_TRUE(recovered->recover().ok());
    ASSERT_FALSE(driver.calls.empty());
    EXPECT_EQ(driver.calls[0], c.repeated);
  }
}

TEST(VolumeCheckpointStoreTest, FilesRoundTripAndListIgnoresTemporaries) {
  auto dir =
      std::filesystem::temp_directory_path() / ("berth-volume-store-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  FileVolumeCheckpointStore store(dir.string());
  ASSERT_TRUE(store.init().ok());
  ASSERT_TRUE(store.write("pg", "{}").ok());
  { std::ofstream(dir / "x.json.tmp") << "partial"; }
  auto names = store.list();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, std::vector<std::string>{"pg"});
  EXPECT_EQ(**store.read("pg"), "{}");
  ASSERT_TRUE(store.remove("pg").ok());
  ASSERT_TRUE(store.remove("pg").ok());
  EXPECT_FALSE(store.read("pg")->has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace berth
