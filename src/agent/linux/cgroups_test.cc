// Cgroups on this machine's real hierarchies (v1 or v2, whichever it has). Needs root.
#include "agent/linux/cgroups.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace berth {
namespace {

using namespace std::chrono_literals;

class CgroupsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root";
    auto detected = Cgroups::detect();
    ASSERT_TRUE(detected.ok()) << detected.error().message;
    cgroups_.emplace(std::move(detected).value());
    name_ = "berth-test/cgroups-" + std::to_string(::getpid()) + "/c";
  }

  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (!cgroups_) return;
    (void)cgroups_->remove(name_);
    (void)cgroups_->remove("berth-test/cgroups-" + std::to_string(::getpid()));
    (void)cgroups_->remove("berth-test");
  }

  // A child that sleeps until killed.
  pid_t spawn_sleeper() {
    child_ = ::fork();
    if (child_ == 0) {
      ::pause();
      ::_exit(0);
    }
    return child_;
  }

  std::optional<Cgroups> cgroups_;
  std::string name_;
  pid_t child_ = -1;
};

TEST_F(CgroupsTest, DetectsTheHierarchies) {
  EXPECT_TRUE(cgroups_->has_controller("memory")) << cgroups_->describe();
  EXPECT_TRUE(cgroups_->has_controller("cpu")) << cgroups_->describe();
  EXPECT_FALSE(cgroups_->has_controller("no-such-controller"));
  auto missing = Cgroups::detect("/tmp");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no cgroup hierarchy at /tmp"), std::string::npos);
}

TEST_F(CgroupsTest, ProcessLifecycleInACgroup) {
  ASSERT_TRUE(cgroups_->create(name_).ok());
  EXPECT_TRUE(cgroups_->exists(name_));
  ASSERT_TRUE(cgroups_->set_limits(name_, {1.5, 48u << 20}).ok());
  pid_t pid = spawn_sleeper();
  ASSERT_TRUE(cgroups_->add_process(name_, pid).ok());
  EXPECT_EQ(*cgroups_->processes(name_), std::vector<pid_t>{pid});
  auto parent = name_.substr(0, name_.rfind('/'));
  EXPECT_EQ(*cgroups_->children(parent), std::vector<std::string>{"c"});
  EXPECT_EQ(*cgroups_->oom_kills(name_), 0u);

  auto removed_busy = cgroups_->remove(parent);
  EXPECT_FALSE(removed_busy.ok()) << "a cgroup with a child cannot go";

  auto killed = cgroups_->kill_all(name_, 2s);
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(*killed, 1u);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  child_ = -1;
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_TRUE(cgroups_->processes(name_)->empty());
  EXPECT_EQ(*cgroups_->kill_all(name_, 0ms), 0u);

  auto removed = cgroups_->remove(name_);
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_FALSE(cgroups_->exists(name_));
  EXPECT_TRUE(cgroups_->remove(name_).ok()) << "removing twice is fine";
  EXPECT_TRUE(cgroups_->processes(name_)->empty());
}

TEST_F(CgroupsTest, ErrorsNameTheFile) {
  ASSERT_TRUE(cgroups_->create(name_).ok());
  auto status = cgroups_->add_process(name_, 0x3fffffff);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(name_ + "/cgroup.procs"), std::string::npos)
      << status.error().message;
}

}  // namespace
}  // namespace berth
