// BlockpoolDriver on real sparse images, loop devices, mkfs and mounts (root only): formatted
// once, data kept across unstage and stage, stale epochs and double attaches refused, growth
// online and offline; and the NodeVolumeManager over it across an agent restart.
#include "storage/node/blockpool_driver.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "storage/node/driver_test_util.h"
#include "storage/node/node_volume_manager.h"

namespace berth {
namespace {

VolumeSpec spec(std::uint64_t epoch, std::int64_t size_mib = 64, std::string fs = "ext4") {
  VolumeSpec v;
  v.name = "pgdata";
  v.driver = "blockpool";
  v.size_mib = size_mib;
  v.fs_type = std::move(fs);
  v.epoch = epoch;
  return v;
}

class BlockpoolDriverTest : public testing::ScratchDir {
 protected:
  void SetUp() override {
    ScratchDir::SetUp();
    if (root.empty()) return;
    driver = std::make_unique<BlockpoolDriver>(
        BlockpoolOptions{.pool_dir = root + "/pool", .lock_timeout = std::chrono::seconds(2)});
    staging = root + "/mounts/pgdata/staging";
  }

  std::uint64_t total_bytes() {
    auto stats = driver->stats(spec(1), staging);
    EXPECT_TRUE(stats.ok());
    return stats.ok() ? stats->total_bytes : 0;
  }

  std::unique_ptr<BlockpoolDriver> driver;
  std::string staging;
};

#define ASSERT_OK(expr)                                   \
  do {                                                    \
    auto status_ = (expr);                                \
    ASSERT_TRUE(status_.ok()) << status_.error().message; \
  } while (false)

TEST_F(BlockpoolDriverTest, FormatsOnceAndKeepsDataAcrossUnstageAndStage) {
  ASSERT_OK(driver->stage(spec(1), staging));
  EXPECT_TRUE(mounted(staging));
  const std::string image = driver->image_path("pgdata");
  struct stat st {};
  ASSERT_EQ(::stat(image.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 64 << 20);
  EXPECT_LT(st.st_blocks * 512, st.st_size) << "the image is sparse";
  EXPECT_EQ(read_text(driver->epoch_path("pgdata")), "1\n");
  write_text(staging + "/row", "committed");

  ASSERT_OK(driver->stage(spec(1), staging));  // idempotent
  ASSERT_OK(driver->unstage(spec(1), staging, {}));
  EXPECT_FALSE(mounted(staging));
  EXPECT_TRUE(loops_holding(image)->empty()) << "autoclear detached the loop device";
  EXPECT_FALSE(std::filesystem::exists(staging));
  ASSERT_OK(driver->unstage(spec(1), staging, {}));  // idempotent

  ASSERT_OK(driver->stage(spec(2), staging));
  EXPECT_EQ(read_text(staging + "/row"), "committed") << "not formatted a second time";
  ASSERT_OK(driver->unstage(spec(2), staging, {}));
}

TEST_F(BlockpoolDriverTest, Xfs) {
  ASSERT_OK(driver->stage(spec(1, 320, "xfs"), staging));
  write_text(staging + "/row", "x");
  ASSERT_OK(driver->unstage(spec(1, 320, "xfs"), staging, {}));
  ASSERT_OK(driver->stage(spec(1, 320, "xfs"), staging));
  EXPECT_EQ(read_text(staging + "/row"), "x");
  ASSERT_OK(driver->unstage(spec(1, 320, "xfs"), staging, {}));

  auto small = driver->stage(
      [] {
        VolumeSpec v = spec(1, 64, "xfs");
        v.name = "tiny";
        return v;
      }(),
      root + "/mounts/tiny/staging");
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.error().message.find("xfs needs at least"), std::string::npos);
  auto unknown = driver->stage(spec(1, 64, "btrfs"), staging);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(BlockpoolDriverTest, StaleEpochIsRefused) {
  ASSERT_OK(driver->stage(spec(5), staging));
  ASSERT_OK(driver->unstage(spec(5), staging, {}));
  auto stale = driver->stage(spec(4), staging);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_NE(stale.error().message.find("epoch 4 is stale: the pool records 5"), std::string::npos)
      << stale.error().message;
  EXPECT_FALSE(mounted(staging));

  // Staged with 5, then another node took it with 6: a re-stage here with 5 is refused too.
  ASSERT_OK(driver->stage(spec(5), staging));
  write_text(driver->epoch_path("pgdata"), "6\n");
  EXPECT_FALSE(driver->stage(spec(5), staging).ok());
  ASSERT_OK(driver->stage(spec(7), staging));
  EXPECT_EQ(read_text(driver->epoch_path("pgdata")), "7\n");
  ASSERT_OK(driver->unstage(spec(7), staging, {}));
}

TEST_F(BlockpoolDriverTest, AttachIsRefusedWhileALoopDeviceHoldsTheImage) {
  ASSERT_OK(driver->stage(spec(1), staging));
  auto second = driver->stage(spec(1), root + "/mounts/other/staging");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("still held by /dev/loop"), std::string::npos)
      << second.error().message;
  ASSERT_OK(driver->unstage(spec(1), staging, {}));

  // A loop device someone else left attached.
  auto held = attach_loop(driver->image_path("pgdata"), true);
  ASSERT_TRUE(held.ok()) << held.error().message;
  auto refused = driver->stage(spec(1), staging);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(mounted(staging));
}

TEST_F(BlockpoolDriverTest, StagingWaitsForThePoolLock) {
  ::mkdir((root + "/pool").c_str(), 0755);
  int fd = ::open((root + "/pool/pgdata.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // another node is formatting
  auto locked = driver->stage(spec(1), staging);
  ::close(fd);
  ASSERT_FALSE(locked.ok());
  EXPECT_NE(locked.error().message.find("still held by another node"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(driver->image_path("pgdata")));
}

TEST_F(BlockpoolDriverTest, Ext4GrowsOnlineOrAtTheNextStage) {
  ASSERT_OK(driver->stage(spec(1, 64), staging));
  write_text(staging + "/row", "kept");
  const auto before = total_bytes();
  auto online = driver->stage(spec(1, 128), staging);
  if (online.ok()) {
    EXPECT_GT(total_bytes(), before + (48ull << 20));
  } else {
    // Online ext4 resizing needs CAP_SYS_RESOURCE, which containers often drop.
    EXPECT_NE(online.error().message.find("the next stage grows it offline"), std::string::npos)
        << online.error().message;
    EXPECT_TRUE(mounted(staging));
    EXPECT_EQ(read_text(staging + "/row"), "kept");
  }
  ASSERT_OK(driver->unstage(spec(1), staging, {}));
  ASSERT_OK(driver->stage(spec(1, 192), staging));  // offline, before the mount
  EXPECT_GT(total_bytes(), before + (112ull << 20));
  EXPECT_EQ(read_text(staging + "/row"), "kept");
  ASSERT_OK(driver->stage(spec(1, 64), staging));  // never shrinks
  ASSERT_OK(driver->unstage(spec(1), staging, {}));
}

TEST_F(BlockpoolDriverTest, XfsGrowsOnline) {
  ASSERT_OK(driver->stage(spec(1, 320, "xfs"), staging));
  write_text(staging + "/row", "kept");
  const auto before = total_bytes();
  ASSERT_OK(driver->stage(spec(1, 448, "xfs"), staging));
  EXPECT_GT(total_bytes(), before + (96ull << 20));
  EXPECT_EQ(read_text(staging + "/row"), "kept");
  ASSERT_OK(driver->unstage(spec(1, 448, "xfs"), staging, {}));
}

TEST_F(BlockpoolDriverTest, PublishBindsPerTaskAndUnstageWaitsForIt) {
  ASSERT_OK(driver->stage(spec(1), staging));
  const std::string rw = root + "/mounts/pgdata/tasks/t1";
  const std::string ro = root + "/mounts/pgdata/tasks/t2";
  ASSERT_OK(driver->publish(spec(1), staging, rw, false));
  ASSERT_OK(driver->publish(spec(1), staging, rw, false));  // idempotent
  ASSERT_OK(driver->publish(spec(1), staging, ro, true));
  write_text(rw + "/row", "via t1");
  EXPECT_EQ(read_text(staging + "/row"), "via t1");
  EXPECT_EQ(read_text(ro + "/row"), "via t1");
  int fd = ::open((ro + "/other").c_str(), O_WRONLY | O_CREAT, 0644);
  EXPECT_LT(fd, 0);
  EXPECT_EQ(errno, EROFS);

  auto busy = driver->unstage(spec(1), staging, {});
  ASSERT_FALSE(busy.ok()) << "published twice: still in use";
  EXPECT_EQ(busy.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(mounted(staging));

  ASSERT_OK(driver->unpublish(spec(1), rw));
  ASSERT_OK(driver->unpublish(spec(1), rw));  // idempotent
  ASSERT_OK(driver->unpublish(spec(1), ro));
  EXPECT_FALSE(std::filesystem::exists(root + "/mounts/pgdata/tasks"));
  ASSERT_OK(driver->unstage(spec(1), staging, {}));
  EXPECT_FALSE(std::filesystem::exists(root + "/mounts/pgdata"));
  EXPECT_FALSE(driver->publish(spec(1), staging, rw, false).ok()) << "not staged";
}

// What a node finds when it comes back in a new mount namespace on the same kernel (test
// clusters, `berth dev`): its mount gone, its loop device detached by autoclear, and the image
// attached and mounted by another node, quite possibly through the same device number.
TEST_F(BlockpoolDriverTest, StaleUnstageNeitherWaitsForNorTouchesAnotherNodesLoopDevice) {
  auto ours = driver->stage(spec(1), staging);
  ASSERT_TRUE(ours.ok()) << ours.error().message;
  EXPECT_TRUE(ours->path.starts_with("/dev/loop"));
  EXPECT_TRUE(still_attached(*ours));
  ASSERT_EQ(::umount2(staging.c_str(), 0), 0);  // the node's namespace went
  const std::string other = root + "/mounts/other/staging";
  auto theirs = driver->stage(spec(2), other);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  EXPECT_NE(theirs->diskseq, ours->diskseq);
  EXPECT_FALSE(still_attached(*ours)) << ours->path << " is not our attachment any more";
  EXPECT_TRUE(still_attached(*theirs));

  auto staged = driver->still_staged(spec(1), staging, *ours);
  ASSERT_TRUE(staged.ok()) << staged.error().message;
  EXPECT_FALSE(*staged);
  const auto started = std::chrono::steady_clock::now();
  ASSERT_OK(driver->unstage(spec(1), staging, *ours));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1))
      << "waited on the other node's device";
  EXPECT_TRUE(mounted(other)) << "the other node's mount is left alone";
  EXPECT_TRUE(still_attached(*theirs));
  write_text(other + "/row", "theirs");
  ASSERT_OK(driver->unstage(spec(2), other, *theirs));
  EXPECT_TRUE(loops_holding(driver->image_path("pgdata"))->empty());
}

TEST_F(BlockpoolDriverTest, UnstageWaitsForItsOwnDeviceHeldElsewhere) {
  auto ours = driver->stage(spec(1), staging);
  ASSERT_TRUE(ours.ok()) << ours.error().message;
  // A copy of the mount in a task's namespace that outlives the staging mount; here, an open
  // descriptor on the device keeps it attached the same way.
  int held = ::open(ours->path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(held, 0);
  BlockpoolDriver quick(BlockpoolOptions{.pool_dir = root + "/pool",
                                         .release_timeout = std::chrono::milliseconds(200)});
  auto busy = quick.unstage(spec(1), staging, *ours);
  ASSERT_FALSE(busy.ok());
  EXPECT_NE(busy.error().message.find(ours->path + " still holds the image"), std::string::npos)
      << busy.error().message;
  auto staged = quick.still_staged(spec(1), staging, *ours);
  ASSERT_TRUE(staged.ok());
  EXPECT_TRUE(*staged) << "unmounted here, but still attached for us";
  ::close(held);  // the last holder: autoclear detaches it
  ASSERT_OK(quick.unstage(spec(1), staging, *ours));
  EXPECT_FALSE(still_attached(*ours));
}

// The same, through the manager: the node's checkpoint says STAGED, the node is back in a new
// namespace while another node holds the volume; recovery reports nothing mounted, and releasing
// the dead task's claim is quick and leaves the other node alone.
TEST_F(BlockpoolDriverTest, ManagerForgetsTheMountsOfAnEarlierMountNamespace) {
  FileVolumeCheckpointStore store(root + "/meta/volumes");
  ASSERT_OK(store.init());
  NodeVolumeManagerOptions options{root + "/mounts", "boot-a"};
  {
    NodeVolumeManager manager(options, store, {driver.get()});
    ASSERT_OK(manager.recover());
    auto mount = manager.publish_for_task("db.1", {spec(3), "data", false}, root + "/sandbox");
    ASSERT_TRUE(mount.ok()) << mount.error().message;
    EXPECT_FALSE(manager.volumes().at("pgdata").device.empty());
    ASSERT_EQ(::umount2(mount->source.c_str(), 0), 0);  // the namespace and its mounts went
    ASSERT_EQ(::umount2(staging.c_str(), 0), 0);
  }
  const std::string other = root + "/mounts/other/staging";
  auto theirs = driver->stage(spec(4), other);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;

  NodeVolumeManager back(options, store, {driver.get()});
  ASSERT_OK(back.recover());
  EXPECT_TRUE(back.mounted().empty());
  EXPECT_EQ(back.claimed_tasks(), std::vector<std::string>{"db.1"});
  const auto started = std::chrono::steady_clock::now();
  ASSERT_OK(back.release_task("db.1"));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
  EXPECT_TRUE(store.list()->empty());
  EXPECT_TRUE(mounted(other));
  EXPECT_TRUE(still_attached(*theirs));
  ASSERT_OK(driver->unstage(spec(4), other, *theirs));
}

TEST_F(BlockpoolDriverTest, ManagerKeepsMountsAcrossAnAgentRestart) {
  FileVolumeCheckpointStore store(root + "/meta/volumes");
  ASSERT_OK(store.init());
  NodeVolumeManagerOptions options{root + "/mounts", "boot-a"};
  TaskVolume request{spec(3), "data", false};
  std::string source;
  {
    NodeVolumeManager manager(options, store, {driver.get()});
    ASSERT_OK(manager.recover());
    auto mount = manager.publish_for_task("db.1", request, root + "/sandbox");
    ASSERT_TRUE(mount.ok()) << mount.error().message;
    EXPECT_EQ(mount->target, root + "/sandbox/data");
    source = mount->source;
    write_text(source + "/row", "acknowledged");
  }
  NodeVolumeManager restarted(options, store, {driver.get()});
  ASSERT_OK(restarted.recover());
  EXPECT_TRUE(mounted(source));
  EXPECT_EQ(restarted.mounted(), (std::vector<MountedVolume>{{"pgdata", 3, {"db.1"}}}));
  ASSERT_OK(restarted.release_task("db.1"));
  EXPECT_FALSE(mounted(staging));
  EXPECT_TRUE(loops_holding(driver->image_path("pgdata"))->empty());
  EXPECT_TRUE(store.list()->empty());

  // The data is in the pool: a fresh stage (another node, a later epoch) sees it.
  ASSERT_OK(driver->stage(spec(4), staging));
  EXPECT_EQ(read_text(staging + "/row"), "acknowledged");
  ASSERT_OK(driver->unstage(spec(4), staging, {}));
}

}  // namespace
}  // namespace berth
