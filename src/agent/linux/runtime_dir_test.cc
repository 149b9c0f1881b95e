// The runtime directory's file formats and /proc/<pid>/stat parsing.
#include "agent/linux/runtime_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace berth {
namespace {

TEST(RuntimeDirTest, SpecRoundTrips) {
  ContainerSpec spec;
  spec.task_id = "app.1";
  spec.shell = false;
  spec.command = "ignored";
  spec.arguments = {"/bin/echo", "a b"};
  spec.environment = {{"PORT0", "31000"}, {"EMPTY", ""}};
  spec.cpus = 0.25;
  spec.mem_mb = 64;
  spec.sandbox_dir = "/tmp/s";
  spec.mounts = {{"/w/volume_mounts/pg/tasks/app.1", "/data", true}};
  spec.hide_mounts = {"/w/volume_mounts"};
  auto decoded = decode_spec(encode_spec(spec));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->task_id, "app.1");
  EXPECT_FALSE(decoded->shell);
  EXPECT_EQ(decoded->arguments, spec.arguments);
  EXPECT_EQ(decoded->environment, spec.environment);
  EXPECT_DOUBLE_EQ(decoded->cpus, 0.25);
  EXPECT_EQ(decoded->mem_mb, 64u);
  EXPECT_EQ(decoded->sandbox_dir, "/tmp/s");
  EXPECT_EQ(decoded->mounts, spec.mounts);
  EXPECT_EQ(decoded->hide_mounts, spec.hide_mounts);
}

TEST(RuntimeDirTest, ExitStatusRoundTrips) {
  ContainerExit failed;
  failed.kind = ContainerExit::Kind::kLaunchFailed;
  failed.code = 127;
  failed.message = "exec nosuch: No such file or directory";
  auto decoded = decode_exit_status(encode_exit_status(failed));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->kind, ContainerExit::Kind::kLaunchFailed);
  EXPECT_EQ(decoded->code, 127);
  EXPECT_EQ(decoded->message, failed.message);

  auto signaled = decode_exit_status(R"({"signaled":true,"signal":15})");
  ASSERT_TRUE(signaled.ok());
  EXPECT_EQ(signaled->kind, ContainerExit::Kind::kSignaled);
  EXPECT_EQ(signaled->signal, 15);

  auto exited = decode_exit_status(R"({"exited":true,"code":3})");
  ASSERT_TRUE(exited.ok());
  EXPECT_EQ(exited->kind, ContainerExit::Kind::kExited);
  EXPECT_EQ(exited->code, 3);
}

TEST(RuntimeDirTest, TornFilesAreErrorsNotCrashes) {
  EXPECT_FALSE(decode_exit_status(R"({"exited":tr)").ok());
  EXPECT_FALSE(decode_exit_status(R"({"exited":true})").ok());
  EXPECT_FALSE(decode_spec("").ok());
  EXPECT_FALSE(decode_supervisor_pid(R"({"pid":"x"})").ok());
}

TEST(RuntimeDirTest, TaskIdsMustBeOnePathComponent) {
  EXPECT_TRUE(validate_task_id("web.5f2c-11ee").ok());
  for (const char* bad : {"", ".", "..", "a/b", "/abs"}) {
    auto status = validate_task_id(bad);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(RuntimeDirTest, ProcStatWithParenthesesInTheName) {
  // Field 22 (start time) is 19 fields after the ')'.
  auto stat = parse_proc_stat(
      "42 (evil) (name ) S 7 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10");
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->parent, 7);
  EXPECT_EQ(stat->start_time, 123456u);
  EXPECT_FALSE(parse_proc_stat("42 (short) S 7").has_value());
}

TEST(RuntimeDirTest, ReadsOwnProcStat) {
  auto stat = read_proc_stat(::getpid());
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->parent, ::getppid());
  EXPECT_GT(stat->start_time, 0u);
  EXPECT_FALSE(read_proc_stat(0x3fffffff).has_value());
}

}  // namespace
}  // namespace berth
