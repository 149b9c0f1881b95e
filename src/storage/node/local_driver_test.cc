// LocalDriver on real directories and bind mounts (root only), and on btrfs, where volumes are
// subvolumes.
#include "storage/node/local_driver.h"

#include <sys/stat.h>

#include "storage/node/driver_test_util.h"
#include "storage/node/run_command.h"

namespace berth {
namespace {

#define ASSERT_OK(expr)                                   \
  do {                                                    \
    auto status_ = (expr);                                \
    ASSERT_TRUE(status_.ok()) << status_.error().message; \
  } while (false)

VolumeSpec local(const std::string& name) {
  VolumeSpec v;
  v.name = name;
  v.driver = "local";
  v.external = false;
  return v;
}

class LocalDriverTest : public testing::ScratchDir {};

TEST_F(LocalDriverTest, DataOutlivesUnstageUntilDestroyed) {
  LocalDriver driver({root + "/volumes"});
  const std::string staging = root + "/mounts/cache/staging";
  ASSERT_OK(driver.stage(local("cache"), staging));
  ASSERT_OK(driver.stage(local("cache"), staging));  // idempotent
  EXPECT_TRUE(mounted(staging));
  ASSERT_OK(driver.publish(local("cache"), staging, root + "/mounts/cache/tasks/t1", false));
  write_text(root + "/mounts/cache/tasks/t1/row", "kept");
  EXPECT_FALSE(driver.destroy(local("cache"), staging).ok()) << "refused while staged";
  ASSERT_OK(driver.unpublish(local("cache"), root + "/mounts/cache/tasks/t1"));
  ASSERT_OK(driver.unstage(local("cache"), staging, {}));
  EXPECT_FALSE(mounted(staging));
  EXPECT_EQ(read_text(driver.data_path("cache") + "/row"), "kept");

  ASSERT_OK(driver.stage(local("cache"), staging));
  EXPECT_EQ(read_text(staging + "/row"), "kept");
  ASSERT_OK(driver.unstage(local("cache"), staging, {}));
  ASSERT_OK(driver.destroy(local("cache"), staging));
  EXPECT_FALSE(std::filesystem::exists(driver.data_path("cache")));
}

TEST_F(LocalDriverTest, BtrfsVolumesAreSubvolumes) {
  const std::string image = root + "/btrfs.img";
  const std::string fs = root + "/btrfs";
  {
    std::ofstream(image).close();
    std::filesystem::resize_file(image, 256ull << 20);
  }
  auto made = run_command({"mkfs.btrfs", "-q", "-f", image}, std::chrono::minutes(1));
  if (!made.ok()) GTEST_SKIP() << "no mkfs.btrfs: " << made.error().message;
  auto loop = attach_loop(image, false);
  ASSERT_TRUE(loop.ok()) << loop.error().message;
  std::filesystem::create_directories(fs);
  ASSERT_EQ(::mount(loop->path().c_str(), fs.c_str(), "btrfs", 0, nullptr), 0) << errno;

  LocalDriver driver({fs + "/volumes"});
  const std::string staging = root + "/mounts/snap/staging";
  ASSERT_OK(driver.stage(local("snap"), staging));
  EXPECT_TRUE(*driver.uses_subvolumes());
  struct stat st {};
  ASSERT_EQ(::stat(driver.data_path("snap").c_str(), &st), 0);
  EXPECT_EQ(st.st_ino, 256u) << "a btrfs subvolume's root";
  write_text(staging + "/row", "x");
  ASSERT_OK(driver.unstage(local("snap"), staging, {}));
  ASSERT_OK(driver.destroy(local("snap"), staging));
  EXPECT_FALSE(std::filesystem::exists(driver.data_path("snap")));
}

}  // namespace
}  // namespace berth
