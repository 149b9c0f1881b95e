// For the root-only driver tests: a scratch directory in a private mount namespace, and a
// teardown that unmounts and detaches everything below it even when a test failed halfway.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/loop.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "storage/node/loop_devices.h"
#include "storage/node/node_mounts.h"

namespace berth::testing {

class ScratchDir : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Mounts made by the tests die with this process's namespace, whatever happens.
    static bool done = false;
    if (!done && ::geteuid() == 0) {
      done = ::unshare(CLONE_NEWNS) == 0 &&
             ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
    }
  }

  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (loop devices and mounts)";
    char pattern[] = "/tmp/berth-node-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    root = pattern;
    ASSERT_TRUE(make_private_mount_root(root + "/mounts").ok());
  }

  void TearDown() override {
    if (root.empty()) return;
    // Deepest mounts first.
    std::vector<std::string> mounts;
    std::ifstream in("/proc/self/mountinfo");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string a, b, c, d, point;
      fields >> a >> b >> c >> d >> point;
      if (point.starts_with(root)) mounts.push_back(point);
    }
    std::sort(mounts.begin(), mounts.end(),
              [](const auto& x, const auto& y) { return x.size() > y.size(); });
    for (const auto& point : mounts) ::umount2(point.c_str(), MNT_DETACH);
    for (const auto& entry : std::filesystem::directory_iterator("/sys/block")) {
      const std::string name = entry.path().filename();
      if (!name.starts_with("loop")) continue;
      if (loop_backing_file("/dev/" + name).starts_with(root)) {
        int fd = ::open(("/dev/" + name).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
          ::ioctl(fd, LOOP_CLR_FD, 0);
          ::close(fd);
        }
      }
    }
    if (std::getenv("BERTH_KEEP_WORK_DIRS") == nullptr) std::filesystem::remove_all(root);
  }

  static void write_text(const std::string& path, const std::string& text) {
    std::ofstream out(path);
    out << text;
  }
  static std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  static bool mounted(const std::string& path) {
    auto source = mount_source(path);
    return source.ok() && source->has_value();
  }

  std::string root;
};

}  // namespace berth::testing
