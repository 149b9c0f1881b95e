// The supervisor's filesystem fence on real loop-mounted images, ext4 and xfs (root only): once
// shut down, the filesystem refuses writes, its later unmount writes no byte to the image, the
// agent's unstage goes through without an error, and what was synced before the fence is there
// at the next mount.
#include "agent/linux/filesystem_fence.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "storage/node/blockpool_driver.h"
#include "storage/node/driver_test_util.h"

namespace berth {
namespace {

VolumeSpec spec(std::uint64_t epoch, const std::string& fs) {
  VolumeSpec v;
  v.name = "fenced";
  v.driver = "blockpool";
  v.size_mib = fs == "xfs" ? 320 : 64;
  v.fs_type = fs;
  v.epoch = epoch;
  return v;
}

// The image's bytes as the pool would serve them to another node: fsynced, then read.
std::vector<std::uint64_t> fingerprint(const std::string& image) {
  int fd = ::open(image.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0);
  ::fsync(fd);
  std::vector<std::uint64_t> sums;
  std::vector<char> chunk(1 << 20);
  ssize_t n;
  while ((n = ::read(fd, chunk.data(), chunk.size())) > 0) {
    std::uint64_t hash = 1469598103934665603ull;  // FNV-1a, one per MiB
    for (ssize_t i = 0; i < n; ++i)
      hash = (hash ^ static_cast<unsigned char>(chunk[i])) * 1099511628211ull;
    sums.push_back(hash);
  }
  ::close(fd);
  return sums;
}

void syncfs_at(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::syncfs(fd), 0);
  ::close(fd);
}

class FilesystemFenceTest : public testing::ScratchDir,
                            public ::testing::WithParamInterface<std::string> {
 protected:
  void SetUp() override {
    ScratchDir::SetUp();
    if (root.empty()) return;
    driver = std::make_unique<BlockpoolDriver>(BlockpoolOptions{.pool_dir = root + "/pool"});
    // Through a symlink, as a work dir may be: a shut-down xfs answers EIO to a stat of its
    // root, so the mount point cannot be resolved by following it to the end.
    std::filesystem::create_directory_symlink(root + "/mounts", root + "/link");
    staging = root + "/link/fenced/staging";
  }

  // Stages the volume and leaves it as a killed task would: a synced file, and more written
  // but not synced (data and metadata dirty in the page cache).
  StagedDevice stage_and_write() {
    auto device = driver->stage(spec(1, GetParam()), staging);
    EXPECT_TRUE(device.ok()) << device.error().message;
    int fd = ::open((staging + "/acknowledged").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(::write(fd, "committed\n", 10), 10);
    EXPECT_EQ(::fsync(fd), 0);
    ::close(fd);
    for (int i = 0; i < 20; ++i) {
      ::mkdir((staging + "/dir" + std::to_string(i)).c_str(), 0755);
      write_text(staging + "/dir" + std::to_string(i) + "/unsynced", std::string(50000, 'x'));
    }
    return device.ok() ? *device : StagedDevice{};
  }

  // After the fence: no write goes through, and an agent's unstage (the unmount) leaves the
  // image exactly as the fence left it.
  void expect_fenced_and_unstage_writes_nothing(const StagedDevice& device) {
    int fd = ::open((staging + "/late").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    EXPECT_LT(fd, 0) << "a shut-down filesystem takes no new file";
    EXPECT_EQ(errno, EIO);
    const std::string image = driver->image_path("fenced");
    const auto before = fingerprint(image);
    auto unstaged = driver->unstage(spec(1, GetParam()), staging, device);
    ASSERT_TRUE(unstaged.ok()) << unstaged.error().message;
    EXPECT_FALSE(mounted(staging));
    EXPECT_EQ(read_text("/proc/self/mountinfo").find("fenced/staging"), std::string::npos);
    EXPECT_TRUE(loops_holding(image)->empty());
    EXPECT_EQ(fingerprint(image), before) << "the shut-down filesystem wrote at its unmount";

    // Another node's next mount replays the journal and has everything synced before the fence.
    ASSERT_TRUE(driver->stage(spec(2, GetParam()), staging).ok());
    EXPECT_EQ(read_text(staging + "/acknowledged"), "committed\n");
    EXPECT_FALSE(std::filesystem::exists(staging + "/late"));
    ASSERT_TRUE(driver->unstage(spec(2, GetParam()), staging, {}).ok());
  }

  std::unique_ptr<BlockpoolDriver> driver;
  std::string staging;
};

TEST_P(FilesystemFenceTest, ShutDownAfterSyncWritesNothingMoreEvenAtTheUnmount) {
  const StagedDevice device = stage_and_write();
  syncfs_at(staging);  // as the supervisor does before the shutdown
  auto shut = shut_down_filesystem(staging + "/dir0");  // any path inside it will do
  ASSERT_TRUE(shut.ok()) << shut.error().message;
  ASSERT_TRUE(shut_down_filesystem(staging).ok()) << "a second shutdown (another task) is fine";
  expect_fenced_and_unstage_writes_nothing(device);
}

// Without the syncfs the shutdown's log flush leaves dirty metadata in the block device's page
// cache (ext4 on Linux 6.18: the superblock, group descriptors, bitmaps, an inode table block),
// which the unmount or the flusher would write later; the flush after the shutdown writes it now.
TEST_P(FilesystemFenceTest, ShutDownWithoutSyncStillLeavesNothingForLater) {
  const StagedDevice device = stage_and_write();
  ASSERT_TRUE(shut_down_filesystem(staging).ok());
  expect_fenced_and_unstage_writes_nothing(device);
}

INSTANTIATE_TEST_SUITE_P(Filesystems, FilesystemFenceTest, ::testing::Values("ext4", "xfs"));

}  // namespace
}  // namespace berth
