// Tests of reading sandbox files: chunks, the tail offset, and every way out of a sandbox refused.
#include "agent/sandbox_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace berth {
namespace {

namespace fs = std::filesystem;

class SandboxFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/berth-sandbox-files-XXXXXX";
    base_ = ::mkdtemp(pattern);
    root_ = base_ + "/sandboxes";
    fs::create_directories(root_ + "/t1/logs");
    write(root_ + "/t1/stdout", "hello\nworld\n");
    write(root_ + "/t1/logs/app.log", "nested");
    fs::create_directories(root_ + "/t2");
    write(root_ + "/t2/stdout", "other task");
    write(base_ + "/secret", "outside");
  }
  void TearDown() override { fs::remove_all(base_); }

  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
  }

  std::string base_;
  std::string root_;
};

TEST_F(SandboxFilesTest, ReadsChunksAndTheSize) {
  auto all = read_sandbox_file(root_, "t1/stdout", 0, -1);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->data, "hello\nworld\n");
  EXPECT_EQ(all->offset, 0);

  auto part = read_sandbox_file(root_, "t1/stdout", 6, 3);
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(part->data, "wor");
  EXPECT_EQ(part->offset, 6);

  auto size = read_sandbox_file(root_, "t1/stdout", -1, -1);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->data, "");
  EXPECT_EQ(size->offset, 12);

  auto past_end = read_sandbox_file(root_, "t1/stdout", 100, 10);
  ASSERT_TRUE(past_end.ok());
  EXPECT_EQ(past_end->data, "");

  auto nested = read_sandbox_file(root_, "t1/logs/app.log", 0, -1);
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->data, "nested");
}

TEST_F(SandboxFilesTest, MissingFilesAndTasksAreNotFound) {
  EXPECT_EQ(read_sandbox_file(root_, "t1/stderr", 0, -1).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(read_sandbox_file(root_, "t9/stdout", 0, -1).error().code, ErrorCode::kNotFound);
}

TEST_F(SandboxFilesTest, PathsThatLeaveTheSandboxAreRefused) {
  for (const char* path : {"../secret", "t1/../../secret", "t1/../t2/stdout", "/etc/passwd",
                           "t1//stdout", "t1/./stdout", "t1", "", "t1/"}) {
    auto read = read_sandbox_file(root_, path, 0, -1);
    ASSERT_FALSE(read.ok()) << path;
    EXPECT_EQ(read.error().code, ErrorCode::kMalformed) << path;
  }
  EXPECT_EQ(read_sandbox_file(root_, "t1/logs", 0, -1).error().code, ErrorCode::kMalformed);
  EXPECT_EQ(read_sandbox_file(root_, "t1/stdout", -2, 1).error().code, ErrorCode::kMalformed);
}

// A task owns its sandbox and can plant links in it; none may be followed out of it.
TEST_F(SandboxFilesTest, LinksPlantedByATaskAreNotFollowedOut) {
  fs::create_symlink(base_ + "/secret", root_ + "/t1/absolute");
  fs::create_symlink("../../secret", root_ + "/t1/relative");
  fs::create_symlink("../t2", root_ + "/t1/neighbour");
  fs::create_directory_symlink(root_ + "/t2", root_ + "/t3");
  for (const char* path : {"t1/absolute", "t1/relative", "t1/neighbour/stdout"}) {
    auto read = read_sandbox_file(root_, path, 0, -1);
    ASSERT_FALSE(read.ok()) << path << " read " << read->data;
    EXPECT_EQ(read.error().code, ErrorCode::kMalformed) << path;
  }
  // A sandbox that is itself a link is no sandbox.
  EXPECT_EQ(read_sandbox_file(root_, "t3/stdout", 0, -1).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace berth
