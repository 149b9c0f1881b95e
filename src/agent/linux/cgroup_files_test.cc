// The files Cgroups writes for each version, on a plain directory tree that stands in for the
// kernel's (so that v2 is checked on machines that only have v1 controllers, and the reverse).
// No root needed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "agent/linux/cgroups.h"
#include "common/atomic_file.h"

namespace berth {
namespace {

class CgroupFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/berth-cgroup-files-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override { (void)remove_tree(root_); }

  // The kernel creates control files with a cgroup; here the test does, empty.
  void touch(const std::string& dir, std::initializer_list<const char*> files) {
    ASSERT_TRUE(make_directories(dir).ok());
    for (const char* file : files) std::ofstream(dir + "/" + file).flush();
  }

  static std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string root_;
};

TEST_F(CgroupFilesTest, V2EnablesControllersDownTheTreeAndWritesLimits) {
  const std::string unified = root_ + "/unified";
  touch(unified, {"cgroup.subtree_control"});
  touch(unified + "/berth", {"cgroup.subtree_control"});
  touch(unified + "/berth/a1", {"cgroup.subtree_control"});
  touch(unified + "/berth/a1/t1", {"cpu.weight", "cpu.max", "memory.max", "memory.swap.max"});
  auto cgroups =
      Cgroups::with_layout(Cgroups::Version::kV2, {{unified, {"cpu", "memory", "pids"}}});

  ASSERT_TRUE(cgroups.create("berth/a1/t1").ok());
  for (const char* level : {"", "/berth", "/berth/a1"}) {
    EXPECT_EQ(read(unified + level + "/cgroup.subtree_control"), "+cpu +memory +pids") << level;
  }
  auto status = cgroups.set_limits("berth/a1/t1", {0.5, 64u << 20});
  ASSERT_TRUE(status.ok()) << status.error().message;
  // 512 shares -> weight 20, as runc and systemd convert; quota 0.5 of a 100 ms period.
  EXPECT_EQ(read(unified + "/berth/a1/t1/cpu.weight"), "20");
  EXPECT_EQ(read(unified + "/berth/a1/t1/cpu.max"), "50000 100000");
  EXPECT_EQ(read(unified + "/berth/a1/t1/memory.max"), std::to_string(64u << 20));
  EXPECT_EQ(read(unified + "/berth/a1/t1/memory.swap.max"), "0");
}

TEST_F(CgroupFilesTest, V2LeavesEnabledControllersAlone) {
  const std::string unified = root_ + "/unified";
  touch(unified, {});
  std::ofstream(unified + "/cgroup.subtree_control") << "cpu memory pids";
  touch(unified + "/t", {});
  auto cgroups = Cgroups::with_layout(Cgroups::Version::kV2, {{unified, {"cpu", "memory"}}});
  ASSERT_TRUE(cgroups.create("t").ok());
  EXPECT_EQ(read(unified + "/cgroup.subtree_control"), "cpu memory pids");
}

TEST_F(CgroupFilesTest, V1WritesEachLimitInItsHierarchy) {
  const std::string cpu = root_ + "/cpu,cpuacct";
  const std::string memory = root_ + "/memory";
  touch(cpu + "/berth/t1", {"cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us"});
  touch(memory + "/berth/t1",
        {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "memory.swappiness"});
  auto cgroups = Cgroups::with_layout(Cgroups::Version::kV1,
                                      {{cpu, {"cpu", "cpuacct"}}, {memory, {"memory"}}});
  ASSERT_TRUE(cgroups.create("berth/t1").ok());
  ASSERT_TRUE(cgroups.set_limits("berth/t1", {2, 100u << 20}).ok());
  EXPECT_EQ(read(cpu + "/berth/t1/cpu.shares"), "2048");
  EXPECT_EQ(read(cpu + "/berth/t1/cpu.cfs_period_us"), "100000");
  EXPECT_EQ(read(cpu + "/berth/t1/cpu.cfs_quota_us"), "200000");
  EXPECT_EQ(read(memory + "/berth/t1/memory.limit_in_bytes"), std::to_string(100u << 20));
  EXPECT_EQ(read(memory + "/berth/t1/memory.memsw.limit_in_bytes"), std::to_string(100u << 20));
  EXPECT_EQ(read(memory + "/berth/t1/memory.swappiness"), "") << "memsw limits swap already";
  EXPECT_EQ(cgroups.paths("berth/t1"),
            (std::vector<std::string>{cpu + "/berth/t1", memory + "/berth/t1"}));
}

TEST_F(CgroupFilesTest, UnlimitedWritesNothingAndErrorsNameTheFile) {
  const std::string memory = root_ + "/memory";
  touch(memory + "/t", {});
  auto cgroups = Cgroups::with_layout(Cgroups::Version::kV1, {{memory, {"memory"}}});
  EXPECT_TRUE(cgroups.set_limits("t", {0, 0}).ok());
  auto status = cgroups.set_limits("t", {0, 1u << 20});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message,
            "write " + memory + "/t/memory.limit_in_bytes: No such file or directory");
}

}  // namespace
}  // namespace berth
