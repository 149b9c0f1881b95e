// Tests of crash-safe file writes and directory helpers.
#include "common/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace berth {
namespace {

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("berth-atomic-" + std::to_string(::getpid()));
    ASSERT_TRUE(make_directories(dir_.string()).ok());
  }
  void TearDown() override { (void)remove_tree(dir_.string()); }
  std::filesystem::path dir_;
};

TEST_F(AtomicFileTest, WritesReplacesAndReads) {
  std::string path = (dir_ / "a.json").string();
  ASSERT_TRUE(write_file_atomically(path, "one").ok());
  ASSERT_TRUE(write_file_atomically(path, "two").ok());
  auto contents = read_file(path);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(contents->value(), "two");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_F(AtomicFileTest, MissingFileIsNulloptNotError) {
  auto contents = read_file((dir_ / "missing").string());
  ASSERT_TRUE(contents.ok());
  EXPECT_FALSE(contents->has_value());
}

TEST_F(AtomicFileTest, WriteIntoMissingDirectoryFailsWithPath) {
  std::string path = (dir_ / "no" / "such" / "file").string();
  auto status = write_file_atomically(path, "x");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find(path + ".tmp"), std::string::npos);
}

TEST_F(AtomicFileTest, ListsSorted) {
  ASSERT_TRUE(write_file_atomically((dir_ / "b").string(), "").ok());
  ASSERT_TRUE(write_file_atomically((dir_ / "a").string(), "").ok());
  auto names = list_directory(dir_.string());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace berth
