// LinuxContainerizer against the real kernel: processes, pid and mount namespaces, cgroups.
// Needs root. Waits are bounded waits on events (an exit reported, a file appearing); none is a
// sleep standing in for an assertion.
#include "agent/linux/linux_containerizer.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "agent/linux/test_event_loop.h"
#include "common/atomic_file.h"
#include "common/strings.h"

namespace berth {
namespace {

using namespace std::chrono_literals;
using Kind = ContainerExit::Kind;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

bool process_alive(pid_t pid) {
  auto stat = read_proc_stat(pid);
  return stat && stat->state != 'Z';
}

// Bounded wait for something outside the loop (a file a command writes).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

class LinuxContainerizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, cgroups)";
    char pattern[] = "/tmp/berth-containerizer-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    base_ = pattern;
    static std::atomic<int> counter{0};
    cgroup_root_ = "berth-test/" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
    containerizer_ = make_containerizer();
  }

  void TearDown() override {
    if (base_.empty()) return;
    containerizer_.reset();
    // Whatever a test left behind, through a fresh instance: every task is an orphan to it.
    auto cleaner = make_containerizer();
    cleaner->recover({});
    auto cgroups = Cgroups::detect(mount_);
    if (cgroups.ok()) {
      (void)cgroups->remove(cgroup_root_);
      (void)cgroups->remove("berth-test");  // fails while other test processes use it
    }
    (void)remove_tree(base_);
  }

  LinuxContainerizer::Options options() const {
    LinuxContainerizer::Options options;
    options.runtime_dir = base_ + "/containers";
    options.cgroup_root = cgroup_root_;
    options.cgroup_mount = mount_;
    options.supervisor_path = BERTH_TEST_SUPERVISOR;
    options.volume_lease_file = base_ + "/volume_lease";
    return options;
  }

  std::unique_ptr<LinuxContainerizer> make_containerizer() {
    auto containerizer = std::make_unique<LinuxContainerizer>(loop_.hooks(), options());
    auto status = containerizer->init();
    EXPECT_TRUE(status.ok()) << status.error().message;
    containerizer->set_exit_callback([this](ContainerExit exit) {
      EXPECT_EQ(exits_.count(exit.task_id), 0u) << "reported twice: " << exit.task_id;
      exits_[exit.task_id] = exit;
    });
    return containerizer;
  }

  ContainerSpec spec(const std::string& id, const std::string& command) {
    ContainerSpec spec;
    spec.task_id = id;
    spec.command = command;
    spec.cpus = 0.5;
    spec.mem_mb = 64;
    spec.sandbox_dir = base_ + "/sandboxes/" + id;
    EXPECT_TRUE(make_directories(spec.sandbox_dir).ok());
    return spec;
  }

  void launch(const ContainerSpec& spec) {
    auto status = containerizer_->launch(spec);
    ASSERT_TRUE(status.ok()) << status.error().message;
  }

  // Waits for the exit of `id` to be reported.
  ContainerExit wait_exit(const std::string& id, std::chrono::milliseconds timeout = 15s) {
    bool reported = loop_.run_until([&] { return exits_.count(id) != 0; }, timeout);
    EXPECT_TRUE(reported) << "no exit reported for " << id;
    if (!reported) return {id, Kind::kGone, -1, -1, "not reported"};
    return exits_[id];
  }

  // Waits until the command of `spec` has written `name` in its sandbox.
  void wait_file(const ContainerSpec& spec, const std::string& name) {
    ASSERT_TRUE(eventually([&] { return exists(spec.sandbox_dir + "/" + name); }))
        << spec.task_id << " never wrote " << name
        << "; stderr: " << slurp(spec.sandbox_dir + "/stderr");
  }

  std::vector<std::string> cgroup_dirs(const std::string& id) const {
    auto cgroups = Cgroups::detect(mount_);
    return cgroups.ok() ? cgroups->paths(cgroup_root_ + "/" + id) : std::vector<std::string>{};
  }

  std::string mount_ = "/sys/fs/cgroup";
  std::string base_;
  std::string cgroup_root_;
  TestEventLoop loop_;
  std::map<std::string, ContainerExit> exits_;
  std::unique_ptr<LinuxContainerizer> containerizer_;
};

TEST_F(LinuxContainerizerTest, ReportsExitCodes) {
  launch(spec("ok", "exit 0"));
  launch(spec("bad", "exit 3"));
  EXPECT_EQ(containerizer_->running().size(), 2u);
  ContainerExit ok = wait_exit("ok");
  ContainerExit bad = wait_exit("bad");
  EXPECT_EQ(ok.kind, Kind::kExited);
  EXPECT_EQ(ok.code, 0);
  EXPECT_EQ(bad.kind, Kind::kExited);
  EXPECT_EQ(bad.code, 3) << bad.message;
  EXPECT_TRUE(containerizer_->running().empty());
}

TEST_F(LinuxContainerizerTest, ExitIsReportedThroughPostNotFromInsideACall) {
  launch(spec("t", "exit 0"));
  // Let the supervisor finish without running the loop, then make calls: none may report.
  ASSERT_TRUE(
      eventually([&] { return exists(containerizer_->runtime_dir("t").exit_status_path()); }));
  containerizer_->signal("t", SIGTERM);
  EXPECT_TRUE(exits_.empty());
  EXPECT_EQ(wait_exit("t").kind, Kind::kExited);
}

TEST_F(LinuxContainerizerTest, OutputLandsInTheSandbox) {
  ContainerSpec s = spec("out", "echo to stdout; echo to stderr >&2; pwd");
  launch(s);
  EXPECT_EQ(wait_exit("out").code, 0);
  EXPECT_EQ(slurp(s.sandbox_dir + "/stdout"), "to stdout\n" + s.sandbox_dir + "\n");
  EXPECT_EQ(slurp(s.sandbox_dir + "/stderr"), "to stderr\n");
}

TEST_F(LinuxContainerizerTest, EnvironmentIsExactlyTheSpecsPlusPath) {
  ContainerSpec s = spec("env", "");
  s.shell = false;
  s.arguments = {"env"};  // looked up in the task's PATH
  s.environment = {{"MESOS_TASK_ID", "env"}, {"GREETING", "hello world"}};
  launch(s);
  ASSERT_EQ(wait_exit("env").code, 0);
  std::string out = slurp(s.sandbox_dir + "/stdout");
  std::set<std::string> lines;
  for (auto line : split(trim(out), '\n')) lines.emplace(line);
  EXPECT_EQ(lines, (std::set<std::string>{
                       "MESOS_TASK_ID=env", "GREETING=hello world",
                       "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}));

  ContainerSpec own_path = spec("own-path", "");
  own_path.shell = false;
  own_path.arguments = {"/usr/bin/env"};
  own_path.environment = {{"PATH", "/nowhere"}};
  launch(own_path);
  ASSERT_EQ(wait_exit("own-path").code, 0);
  EXPECT_EQ(slurp(own_path.sandbox_dir + "/stdout"), "PATH=/nowhere\n");
}

TEST_F(LinuxContainerizerTest, TaskHasItsOwnPidNamespaceAndProc) {
  ContainerSpec s = spec("ns", "echo pid=$$; ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline");
  launch(s);
  ASSERT_EQ(wait_exit("ns").code, 0);
  std::string text = slurp(s.sandbox_dir + "/stdout");
  auto out = split(text, '\n');
  ASSERT_GE(out.size(), 3u);
  EXPECT_EQ(out[0], "pid=2");
  // The supervisor, the shell, ls and grep; nothing of the host.
  EXPECT_LE(std::stoi(std::string(out[1])), 4);
  EXPECT_NE(out[2].find("__supervise"), std::string_view::npos) << "pid 1 is the supervisor";
  // The agent's own /proc is untouched by the task's mount.
  EXPECT_TRUE(exists("/proc/" + std::to_string(::getpid())));
}

TEST_F(LinuxContainerizerTest, SigtermReachesTheCommand) {
  ContainerSpec s = spec(
      "term", "trap 'echo got TERM; exit 0' TERM; touch ready; while true; do sleep 0.05; done");
  launch(s);
  wait_file(s, "ready");
  containerizer_->signal("term", SIGTERM);
  ContainerExit exit = wait_exit("term");
  EXPECT_EQ(exit.kind, Kind::kExited);
  EXPECT_EQ(exit.code, 0);
  EXPECT_NE(slurp(s.sandbox_dir + "/stdout").find("got TERM"), std::string::npos);
}

// Regression: a SIGTERM sent before the supervisor had installed its handlers was dropped (the
// kernel discards signals to a namespace's pid 1 that it does not handle), and the task ran on.
TEST_F(LinuxContainerizerTest, SigtermRightAfterLaunchIsNotLost) {
  launch(spec("plain", "exec sleep 100"));
  containerizer_->signal("plain", SIGTERM);
  ContainerExit plain = wait_exit("plain");
  EXPECT_EQ(plain.kind, Kind::kSignaled);
  EXPECT_EQ(plain.signal, SIGTERM);
}

TEST_F(LinuxContainerizerTest, SigkillKillsTheWholeNamespace) {
  // A background child that ignores SIGTERM and would outlive the shell.
  ContainerSpec s = spec("kill", "(trap '' TERM; exec sleep 1000) & touch ready; wait");
  launch(s);
  wait_file(s, "ready");
  auto cgroups = Cgroups::detect(mount_);
  ASSERT_TRUE(cgroups.ok());
  std::vector<pid_t> pids;
  ASSERT_TRUE(eventually([&] {
    auto found = cgroups->processes(cgroup_root_ + "/kill");
    pids = found.ok() ? *found : std::vector<pid_t>{};
    return pids.size() >= 3;  // supervisor, shell, sleep
  }));
  containerizer_->signal("kill", SIGKILL);
  ContainerExit exit = wait_exit("kill");
  EXPECT_EQ(exit.kind, Kind::kSignaled);
  EXPECT_EQ(exit.signal, SIGKILL);
  for (pid_t pid : pids) EXPECT_FALSE(process_alive(pid)) << "pid " << pid << " survived";
  EXPECT_TRUE(cgroups->processes(cgroup_root_ + "/kill")->empty());
}

// The agent process dies and nobody renews the lease: the supervisor alone must stop the task,
// all of it, at the deadline; a task without external volumes is none of its business.
TEST_F(LinuxContainerizerTest, ATaskWithExternalVolumesStopsWhenTheLeaseRunsOutWithoutAnAgent) {
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(containerizer_->publish_volume_lease(start + 1500ms).ok());
  ContainerSpec db = spec("db", "(trap '' TERM; exec sleep 1000) & touch ready; wait");
  db.lease_volumes = {"pgdata"};
  ContainerSpec web = spec("web", "touch ready; exec sleep 1000");
  launch(db);
  launch(web);
  wait_file(db, "ready");
  wait_file(web, "ready");
  auto cgroups = Cgroups::detect(mount_);
  ASSERT_TRUE(cgroups.ok());
  std::vector<pid_t> pids;
  ASSERT_TRUE(eventually([&] {
    auto found = cgroups->processes(cgroup_root_ + "/db");
    pids = found.ok() ? *found : std::vector<pid_t>{};
    return pids.size() >= 3;  // supervisor, shell, sleep
  }));
  // Renewed once in time: the task runs on past the first deadline.
  std::this_thread::sleep_until(start + 1000ms);
  ASSERT_TRUE(containerizer_->publish_volume_lease(start + 2000ms).ok());
  const auto before_deadline = std::chrono::duration_cast<std::chrono::milliseconds>(
      start + 1900ms - std::chrono::steady_clock::now());
  EXPECT_FALSE(loop_.run_until([&] { return exits_.count("db") != 0; }, before_deadline))
      << exits_["db"].message;

  ContainerExit exit = wait_exit("db", 5s);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(exit.kind, Kind::kLeaseExpired);
  EXPECT_NE(exit.message.find("lease on volume pgdata expired"), std::string::npos) << exit.message;
  // The deadline, plus at most one check interval and the time to see the exit.
  EXPECT_GE(took, 2000ms);
  EXPECT_LT(took, 2000ms + 250ms + 500ms);
  for (pid_t pid : pids) EXPECT_FALSE(process_alive(pid)) << "pid " << pid << " survived";
  EXPECT_EQ(containerizer_->running(), std::vector<std::string>{"web"});
}

TEST_F(LinuxContainerizerTest, ATaskWithExternalVolumesDoesNotStartOnAnExpiredLease) {
  ASSERT_TRUE(containerizer_->publish_volume_lease(std::chrono::steady_clock::now() - 1s).ok());
  ContainerSpec db = spec("db", "touch started");
  db.lease_volumes = {"pgdata"};
  launch(db);
  ContainerExit exit = wait_exit("db");
  EXPECT_EQ(exit.kind, Kind::kLaunchFailed);
  EXPECT_NE(exit.message.find("not started: this node's lease on volume pgdata expired"),
            std::string::npos)
      << exit.message;
  EXPECT_FALSE(exists(db.sandbox_dir + "/started"));
}

TEST_F(LinuxContainerizerTest, MemoryLimitIsEnforcedAndReported) {
  // tail must hold the whole 200 MB "line" in memory; coreutils is on every Debian.
  ContainerSpec s = spec("oom", "head -c 200M /dev/zero | tail");
  s.mem_mb = 32;
  launch(s);
  auto cgroups = Cgroups::detect(mount_);
  ASSERT_TRUE(cgroups.ok());
  if (cgroups->version() == Cgroups::Version::kV1 && cgroups->has_controller("memory")) {
    std::string dir = "/sys/fs/cgroup/memory/" + cgroup_root_ + "/oom";
    EXPECT_EQ(trim(slurp(dir + "/memory.limit_in_bytes")), std::to_string(32 << 20));
  }
  ContainerExit exit = wait_exit("oom", 30s);
  EXPECT_EQ(exit.kind, Kind::kMemoryLimit) << exit.message << " code " << exit.code;
  EXPECT_NE(exit.message.find("Memory limit exceeded"), std::string::npos) << exit.message;
  EXPECT_NE(exit.message.find("32 MB"), std::string::npos) << exit.message;
}

TEST_F(LinuxContainerizerTest, CpuLimitFilesAreSet) {
  ContainerSpec s = spec("cpu", "exec sleep 100");
  s.cpus = 0.5;
  launch(s);
  auto cgroups = Cgroups::detect(mount_);
  ASSERT_TRUE(cgroups.ok());
  if (cgroups->version() == Cgroups::Version::kV1) {
    std::string dir = "/sys/fs/cgroup/cpu/" + cgroup_root_ + "/cpu";
    EXPECT_EQ(trim(slurp(dir + "/cpu.shares")), "512");
    EXPECT_EQ(trim(slurp(dir + "/cpu.cfs_period_us")), "100000");
    EXPECT_EQ(trim(slurp(dir + "/cpu.cfs_quota_us")), "50000");
  } else {
    std::string dir = mount_ + "/" + cgroup_root_ + "/cpu";
    EXPECT_EQ(trim(slurp(dir + "/cpu.max")), "50000 100000");
    EXPECT_EQ(trim(slurp(dir + "/cpu.weight")), "20");
  }
  containerizer_->signal("cpu", SIGKILL);
  EXPECT_EQ(wait_exit("cpu").signal, SIGKILL);
}

TEST_F(LinuxContainerizerTest, MissingBinaryIsALaunchFailureWithTheReason) {
  ContainerSpec s = spec("missing", "");
  s.shell = false;
  s.arguments = {"/nonexistent/program", "arg"};
  launch(s);
  ContainerExit exit = wait_exit("missing");
  EXPECT_EQ(exit.kind, Kind::kLaunchFailed);
  EXPECT_EQ(exit.code, 127);
  EXPECT_EQ(exit.message, "exec /nonexistent/program: No such file or directory");

  ContainerSpec no_sandbox = spec("no-sandbox", "true");
  no_sandbox.sandbox_dir = base_ + "/not-there";
  launch(no_sandbox);
  ContainerExit bad = wait_exit("no-sandbox");
  EXPECT_EQ(bad.kind, Kind::kLaunchFailed);
  EXPECT_NE(bad.message.find("enter sandbox " + no_sandbox.sandbox_dir), std::string::npos)
      << bad.message;
}

TEST_F(LinuxContainerizerTest, MissingSupervisorIsALaunchFailure) {
  auto options = this->options();
  options.supervisor_path = "/nonexistent/berth";
  LinuxContainerizer broken(loop_.hooks(), options);
  ASSERT_TRUE(broken.init().ok());
  broken.set_exit_callback([this](ContainerExit exit) { exits_[exit.task_id] = exit; });
  ASSERT_TRUE(broken.launch(spec("nosup", "true")).ok());
  ContainerExit exit = wait_exit("nosup");
  EXPECT_EQ(exit.kind, Kind::kLaunchFailed);
  EXPECT_NE(exit.message.find("could not exec the supervisor /nonexistent/berth"),
            std::string::npos)
      << exit.message;
  broken.destroy("nosup");
}

TEST_F(LinuxContainerizerTest, LaunchingARunningTaskIsAConflict) {
  launch(spec("dup", "exec sleep 100"));
  auto again = containerizer_->launch(spec("dup", "true"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  auto invalid = containerizer_->launch(spec("../escape", "true"));
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(invalid.error().message.find("launch task ../escape"), std::string::npos);
}

TEST_F(LinuxContainerizerTest, DestroyLeavesNothingBehind) {
  ContainerSpec s = spec("gone", "touch ready; exec sleep 100");
  launch(s);
  wait_file(s, "ready");
  auto dirs = cgroup_dirs("gone");
  ASSERT_FALSE(dirs.empty());
  for (const auto& dir : dirs) EXPECT_TRUE(exists(dir)) << dir;
  auto pid = decode_supervisor_pid(slurp(containerizer_->runtime_dir("gone").pid_path()));
  ASSERT_TRUE(pid.ok());

  containerizer_->destroy("gone");
  for (const auto& dir : dirs) EXPECT_FALSE(exists(dir)) << dir;
  EXPECT_FALSE(exists(containerizer_->runtime_dir("gone").path()));
  EXPECT_FALSE(exists("/proc/" + std::to_string(pid->pid))) << "supervisor neither dead nor reaped";
  EXPECT_TRUE(containerizer_->running().empty());
  containerizer_->destroy("gone");  // idempotent
  containerizer_->destroy("never-existed");
  loop_.run_ready();
  EXPECT_TRUE(exits_.empty()) << "a destroyed container is not reported";
  EXPECT_EQ(loop_.watch_count(), 0u);

  // After a normal exit too.
  launch(spec("ended", "true"));
  wait_exit("ended");
  containerizer_->destroy("ended");
  for (const auto& dir : cgroup_dirs("ended")) EXPECT_FALSE(exists(dir)) << dir;
}

TEST_F(LinuxContainerizerTest, RecoverByANewInstanceAdoptsReportsAndCleansUp) {
  ContainerSpec alive =
      spec("alive", "trap 'exit 5' TERM; touch ready; while true; do sleep 0.05; done");
  ContainerSpec ended =
      spec("ended", "touch ready; while [ ! -e go ]; do sleep 0.01; done; exit 7");
  ContainerSpec orphan = spec("orphan", "touch ready; exec sleep 100");
  for (const auto* s : {&alive, &ended, &orphan}) launch(*s);
  for (const auto* s : {&alive, &ended, &orphan}) wait_file(*s, "ready");
  auto orphan_pid = decode_supervisor_pid(slurp(containerizer_->runtime_dir("orphan").pid_path()));
  ASSERT_TRUE(orphan_pid.ok());

  // The agent goes away; "ended" ends while nobody watches.
  containerizer_.reset();
  ASSERT_TRUE(make_directories(ended.sandbox_dir + "/go").ok());
  ASSERT_TRUE(eventually([&] { return exists(base_ + "/containers/ended/exit_status"); }));

  containerizer_ = make_containerizer();
  containerizer_->recover({"alive", "ended", "missing"});
  EXPECT_EQ(containerizer_->running(), std::vector<std::string>{"alive"});
  EXPECT_TRUE(exits_.empty()) << "reports are posted, not made inside recover()";

  ContainerExit ended_exit = wait_exit("ended");
  EXPECT_EQ(ended_exit.kind, Kind::kExited);
  EXPECT_EQ(ended_exit.code, 7);
  ContainerExit missing = wait_exit("missing");
  EXPECT_EQ(missing.kind, Kind::kGone);

  EXPECT_FALSE(exists(base_ + "/containers/orphan"));
  for (const auto& dir : cgroup_dirs("orphan")) EXPECT_FALSE(exists(dir)) << dir;
  EXPECT_FALSE(exists("/proc/" + std::to_string(orphan_pid->pid)));

  containerizer_->signal("alive", SIGTERM);
  ContainerExit alive_exit = wait_exit("alive");
  EXPECT_EQ(alive_exit.kind, Kind::kExited);
  EXPECT_EQ(alive_exit.code, 5);
}

// The agent as a new process: the supervisors are no longer its children (they were
// re-parented when the old agent died), so exits come only through pidfds and files.
TEST_F(LinuxContainerizerTest, RecoverAfterTheAgentProcessDied) {
  ContainerSpec alive = spec("alive", "touch ready; exec sleep 100");
  ContainerSpec ended =
      spec("ended", "touch ready; while [ ! -e go ]; do sleep 0.01; done; exit 9");
  containerizer_.reset();
  pid_t agent = ::fork();
  ASSERT_GE(agent, 0);
  if (agent == 0) {
    TestEventLoop loop;
    LinuxContainerizer old_agent(loop.hooks(), options());
    bool ok = old_agent.init().ok() && old_agent.launch(alive).ok() && old_agent.launch(ended).ok();
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(agent, &status, 0), agent);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  wait_file(alive, "ready");
  wait_file(ended, "ready");
  auto pid = decode_supervisor_pid(slurp(base_ + "/containers/alive/pid"));
  ASSERT_TRUE(pid.ok());
  ASSERT_NE(read_proc_stat(pid->pid)->parent, ::getpid());
  ASSERT_TRUE(make_directories(ended.sandbox_dir + "/go").ok());
  ASSERT_TRUE(eventually([&] { return exists(base_ + "/containers/ended/exit_status"); }));

  containerizer_ = make_containerizer();
  containerizer_->recover({"alive", "ended"});
  EXPECT_EQ(containerizer_->running(), std::vector<std::string>{"alive"});
  ContainerExit ended_exit = wait_exit("ended");
  EXPECT_EQ(ended_exit.kind, Kind::kExited);
  EXPECT_EQ(ended_exit.code, 9);

  containerizer_->signal("alive", SIGKILL);
  ContainerExit alive_exit = wait_exit("alive");
  EXPECT_EQ(alive_exit.kind, Kind::kSignaled);
  EXPECT_EQ(alive_exit.signal, SIGKILL);
  EXPECT_TRUE(eventually([&] { return !process_alive(pid->pid); }));
}

TEST_F(LinuxContainerizerTest, RecoverReportsSupervisorKilledWhileAway) {
  ContainerSpec s = spec("shot", "touch ready; exec sleep 100");
  launch(s);
  wait_file(s, "ready");
  auto pid = decode_supervisor_pid(slurp(containerizer_->runtime_dir("shot").pid_path()));
  ASSERT_TRUE(pid.ok());
  containerizer_.reset();
  ::kill(pid->pid, SIGKILL);
  ::waitpid(pid->pid, nullptr, 0);  // the old agent would have been its parent

  containerizer_ = make_containerizer();
  containerizer_->recover({"shot"});
  ContainerExit exit = wait_exit("shot");
  // The kernel emptied the namespace before the supervisor became a zombie: nothing to kill.
  EXPECT_EQ(exit.kind, Kind::kGone) << exit.message;
  EXPECT_TRUE(containerizer_->running().empty());
}

TEST_F(LinuxContainerizerTest, RecoverKillsWhatIsLeftInTheCgroupOfAVanishedSupervisor) {
  ContainerSpec s = spec("leaky", "touch ready; exec sleep 100");
  launch(s);
  wait_file(s, "ready");
  auto pid = decode_supervisor_pid(slurp(containerizer_->runtime_dir("leaky").pid_path()));
  ASSERT_TRUE(pid.ok());
  // A process outside the task's pid namespace but in its cgroup, which the namespace's end
  // does not take along.
  pid_t stray = ::fork();
  if (stray == 0) {
    ::pause();
    ::_exit(0);
  }
  auto cgroups = Cgroups::detect(mount_);
  ASSERT_TRUE(cgroups.ok());
  ASSERT_TRUE(cgroups->add_process(cgroup_root_ + "/leaky", stray).ok());
  containerizer_.reset();
  ::kill(pid->pid, SIGKILL);
  ::waitpid(pid->pid, nullptr, 0);

  containerizer_ = make_containerizer();
  containerizer_->recover({"leaky"});
  int status = 0;
  ASSERT_EQ(::waitpid(stray, &status, 0), stray);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ContainerExit exit = wait_exit("leaky");
  EXPECT_EQ(exit.kind, Kind::kSignaled) << exit.message;
  EXPECT_EQ(exit.signal, SIGKILL);
}

// Regression: an agent in a node's own pid namespace (as the integration tests run it) sees the
// host's /proc, where its children have other pids. Reading /proc/<pid> with the pid that
// clone() returned found the wrong process or none, and the launch then hung.
TEST_F(LinuxContainerizerTest, AgentInItsOwnPidNamespaceWithTheHostsProc) {
  containerizer_.reset();
  ContainerSpec exits = spec("exits", "exit 6");
  ContainerSpec runs = spec("runs", "exec sleep 100");
  pid_t node = ::fork();
  ASSERT_GE(node, 0);
  if (node == 0) {
    // The node: a new pid namespace whose pid 1 (this child's child) reaps, and an agent in it.
    if (::unshare(CLONE_NEWPID) != 0) ::_exit(90);
    pid_t init = ::fork();
    if (init != 0) {
      int status = 0;
      ::waitpid(init, &status, 0);
      ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 91);
    }
    pid_t agent = ::fork();
    if (agent != 0) {
      int status = 0;
      while (::waitpid(agent, &status, 0) != agent) {
      }
      ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 92);
    }
    // The agent: every step that fails exits with its own code.
    TestEventLoop loop;
    std::map<std::string, ContainerExit> seen;
    auto make = [&] {
      auto c = std::make_unique<LinuxContainerizer>(loop.hooks(), options());
      if (!c->init().ok()) ::_exit(1);
      c->set_exit_callback([&](ContainerExit exit) { seen[exit.task_id] = exit; });
      return c;
    };
    auto agent_containerizer = make();
    if (!agent_containerizer->launch(exits).ok()) ::_exit(2);
    if (!loop.run_until([&] { return seen.count("exits") != 0; }, 10s)) ::_exit(3);
    if (seen["exits"].kind != Kind::kExited || seen["exits"].code != 6) ::_exit(4);
    if (!agent_containerizer->launch(runs).ok()) ::_exit(5);
    agent_containerizer = make();  // a restart: re-adopts through the pid file
    agent_containerizer->recover({"runs"});
    if (agent_containerizer->running() != std::vector<std::string>{"runs"}) ::_exit(6);
    agent_containerizer->signal("runs", SIGKILL);
    if (!loop.run_until([&] { return seen.count("runs") != 0; }, 10s)) ::_exit(7);
    if (seen["runs"].signal != SIGKILL) ::_exit(8);
    agent_containerizer->destroy("runs");
    agent_containerizer->destroy("exits");
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(node, &status, 0), node);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0)
      << "the agent in the node failed at step " << WEXITSTATUS(status);
}

// The same contract on a cgroup v2 hierarchy, where this machine has one: the unified mount of
// a hybrid layout (usually without controllers, so no limits), or /sys/fs/cgroup itself.
class LinuxContainerizerV2Test : public LinuxContainerizerTest {
 protected:
  void SetUp() override {
    for (const char* candidate : {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}) {
      auto cgroups = Cgroups::detect(candidate);
      if (cgroups.ok() && cgroups->version() == Cgroups::Version::kV2) {
        mount_ = candidate;
        LinuxContainerizerTest::SetUp();
        return;
      }
    }
    GTEST_SKIP() << "no cgroup v2 hierarchy on this machine";
  }
};

TEST_F(LinuxContainerizerV2Test, LaunchKillRecoverAndDestroy) {
  ContainerSpec s = spec("v2", "touch ready; exec sleep 100");
  launch(s);
  wait_file(s, "ready");
  auto cgroups = Cgroups::detect(mount_);
  ASSERT_TRUE(cgroups.ok());
  // The supervisor and sleep (touch may take a moment to leave).
  EXPECT_TRUE(eventually([&] {
    auto pids = cgroups->processes(cgroup_root_ + "/v2");
    return pids.ok() && pids->size() == 2;
  }));

  containerizer_ = make_containerizer();
  containerizer_->recover({"v2"});
  EXPECT_EQ(containerizer_->running(), std::vector<std::string>{"v2"});
  containerizer_->signal("v2", SIGKILL);
  EXPECT_EQ(wait_exit("v2").signal, SIGKILL);
  containerizer_->destroy("v2");
  EXPECT_FALSE(exists(mount_ + "/" + cgroup_root_ + "/v2"));
  launch(spec("v2-exit", "exit 4"));
  EXPECT_EQ(wait_exit("v2-exit").code, 4);
}

}  // namespace
}  // namespace berth
