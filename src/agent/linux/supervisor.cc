// The supervisor process: pid 1 of a task's namespaces, parent of its command. Single-threaded
// and short: it starts on the launch path, so it does little before the command runs.
#include "agent/linux/supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "agent/linux/filesystem_fence.h"
#include "agent/linux/lease_watch.h"
#include "agent/linux/runtime_dir.h"
#include "common/atomic_file.h"

extern char** environ;

namespace berth {
namespace {

// Exit code of a command that never started, as shells report "command not found".
constexpr int kLaunchFailedCode = 127;
constexpr char kDefaultPath[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// What the command's child reports through the exec pipe when it fails before or at exec.
enum class Stage : int { kChdir, kStdin, kStdout, kStderr, kExec };
struct ChildFailure {
  Stage stage;
  int error;
};

// Argument and environment arrays for execvp, owning their strings.
struct CommandLine {
  std::vector<std::string> strings;
  std::vector<std::string> environment;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

CommandLine command_line(const ContainerSpec& spec) {
  CommandLine line;
  if (spec.shell) {
    line.strings = {"/bin/sh", "-c", spec.command};
  } else {
    line.strings = spec.arguments;
  }
  bool has_path = false;
  for (const auto& [name, value] : spec.environment) {
    line.environment.push_back(name + "=" + value);
    has_path = has_path || name == "PATH";
  }
  if (!has_path) line.environment.push_back(std::string("PATH=") + kDefaultPath);
  for (auto& s : line.strings) line.argv.push_back(s.data());
  line.argv.push_back(nullptr);
  for (auto& s : line.environment) line.envp.push_back(s.data());
  line.envp.push_back(nullptr);
  return line;
}

void noop_handler(int) {}

[[noreturn]] void report_and_exit(int fd, Stage stage, int error) {
  ChildFailure failure{stage, error};
  ssize_t ignored = ::write(fd, &failure, sizeof(failure));
  (void)ignored;
  ::_exit(kLaunchFailedCode);
}

// In the forked child: becomes the command. Returns only by _exit.
[[noreturn]] void exec_command(const ContainerSpec& spec, CommandLine& line, int report_fd) {
  // Its own session and process group, so that forwarded signals reach the command and its
  // children and nothing else.
  ::setsid();
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);

  // The supervisor protects itself from the OOM killer; the command must not inherit that.
  int oom = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom >= 0) {
    ssize_t ignored = ::write(oom, "0", 1);
    (void)ignored;
    ::close(oom);
  }

  if (::chdir(spec.sandbox_dir.c_str()) != 0) report_and_exit(report_fd, Stage::kChdir, errno);
  int in = ::open("/dev/null", O_RDONLY);
  if (in < 0 || ::dup2(in, 0) < 0) report_and_exit(report_fd, Stage::kStdin, errno);
  int out = ::open("stdout", O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (out < 0 || ::dup2(out, 1) < 0) report_and_exit(report_fd, Stage::kStdout, errno);
  int err = ::open("stderr", O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (err < 0 || ::dup2(err, 2) < 0) report_and_exit(report_fd, Stage::kStderr, errno);
  for (int fd : {in, out, err}) {
    if (fd > 2) ::close(fd);
  }

  // execvp searches the PATH of `environ`, which must be the task's, not the supervisor's.
  environ = line.envp.data();
  ::execvp(line.argv[0], line.argv.data());
  report_and_exit(report_fd, Stage::kExec, errno);
}

std::string describe_failure(const ChildFailure& failure, const ContainerSpec& spec,
                             const CommandLine& line) {
  std::string what;
  switch (failure.stage) {
    case Stage::kChdir:
      what = "enter sandbox " + spec.sandbox_dir;
      break;
    case Stage::kStdin:
      what = "open /dev/null";
      break;
    case Stage::kStdout:
      what = "open " + spec.sandbox_dir + "/stdout";
      break;
    case Stage::kStderr:
      what = "open " + spec.sandbox_dir + "/stderr";
      break;
    case Stage::kExec:
      what = "exec " + line.strings[0];
      break;
  }
  return what + ": " + std::strerror(failure.error);
}

class Supervisor {
 public:
  explicit Supervisor(RuntimeDir dir) : dir_(std::move(dir)) {}

  int run() {
    setup_process();
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      return launch_failed(std::string("make mounts private: ") + std::strerror(errno));
    }
    // A /proc of the new pid namespace, so that the task sees only its own processes.
    if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
      return launch_failed(std::string("mount /proc: ") + std::strerror(errno));
    }
    auto text = read_file(dir_.spec_path());
    if (!text.ok()) return launch_failed(text.error().message);
    if (!text->has_value()) return launch_failed(dir_.spec_path() + " is missing");
    auto spec = decode_spec(**text);
    if (!spec.ok()) return launch_failed(spec.error().message);
    if (!spec->shell && spec->arguments.empty()) {
      return launch_failed("no command: shell is false and arguments are empty");
    }
    // Only tasks with external volumes watch the lease, and only their supervisors wake up for
    // it; opened before the mounts below can cover its path.
    if (!spec->lease_volumes.empty() && !spec->lease_file.empty()) {
      auto watch = LeaseWatch::open(spec->lease_file, spec->lease_volumes);
      if (!watch.ok()) return launch_failed(watch.error().message);
      lease_.emplace(std::move(watch).value());
      if (auto expired = lease_->check(boottime_ns()))
        return launch_failed("not started: " + *expired);
    }
    // The task's volumes, in this namespace only: / is private already, so neither the bind
    // mounts nor their removal when the namespace ends reach the host.
    for (const auto& mount : spec->mounts) {
      std::string failed = bind_into_task(mount);
      if (!failed.empty()) return launch_failed(failed);
    }
    // Dropping this namespace's copies (lazily: nothing here uses them) is what lets the agent
    // unmount other tasks' volumes while this task runs. Not a mount point: nothing to drop.
    for (const auto& path : spec->hide_mounts) {
      if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        return launch_failed("hide " + path + ": " + std::strerror(errno));
      }
    }
    for (const auto& mount : spec->mounts) volume_targets_.push_back(mount.target);
    return supervise(*spec);
  }

 private:
  void setup_process() {
    // As pid 1 of a namespace the supervisor receives from outside only the signals it has a
    // handler for (SIGKILL aside), hence the no-op handlers; the signals stay blocked and are
    // taken synchronously with sigwaitinfo.
    sigemptyset(&waited_);
    sigaddset(&waited_, SIGCHLD);
    for (int sig : kForwardedSignals) sigaddset(&waited_, sig);
    ::sigprocmask(SIG_SETMASK, &waited_, nullptr);
    struct sigaction action {};
    action.sa_handler = noop_handler;
    for (int sig : kForwardedSignals) ::sigaction(sig, &action, nullptr);
    ::signal(SIGCHLD, SIG_DFL);

    // The supervisor's own stdio is the agent's (its log, maybe a pipe that dies with it);
    // nothing of the supervisor's goes there, so that an agent restart cannot break it.
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);
      if (null > 2) ::close(null);
    }
    // The OOM killer must pick the command, not the supervisor: without it nobody records
    // how the task ended.
    int oom = ::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (oom >= 0) {
      ssize_t ignored = ::write(oom, "-1000", 5);
      (void)ignored;
      ::close(oom);
    }
  }

  // Creates `mount.target` (and its parents) and binds `mount.source` there; an error message,
  // or empty on success.
  static std::string bind_into_task(const ContainerMount& mount) {
    const std::string what = "mount volume " + mount.source + " at " + mount.target + ": ";
    if (mount.target.empty() || mount.target.front() != '/') return what + "target is not absolute";
    for (std::size_t slash = 1; slash != std::string::npos;) {
      slash = mount.target.find('/', slash + 1);
      std::string dir = mount.target.substr(0, slash);
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        return what + "mkdir " + dir + ": " + std::strerror(errno);
      }
    }
    if (::mount(mount.source.c_str(), mount.target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) !=
        0) {
      return what + std::strerror(errno);
    }
    if (mount.read_only && ::mount(nullptr, mount.target.c_str(), nullptr,
                                   MS_BIND | MS_REC | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
      return what + "remount read-only: " + std::strerror(errno);
    }
    return {};
  }

  int supervise(const ContainerSpec& spec) {
    CommandLine line = command_line(spec);
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) {
      return launch_failed(std::string("pipe: ") + std::strerror(errno));
    }
    pid_t child = ::fork();
    if (child < 0) return launch_failed(std::string("fork: ") + std::strerror(errno));
    if (child == 0) {
      ::close(report[0]);
      exec_command(spec, line, report[1]);
    }
    ::close(report[1]);
    // The pipe closes at a successful exec (O_CLOEXEC) or carries the reason it failed.
    ChildFailure failure{};
    ssize_t n;
    do {
      n = ::read(report[0], &failure, sizeof(failure));
    } while (n < 0 && errno == EINTR);
    ::close(report[0]);
    if (n == static_cast<ssize_t>(sizeof(failure))) {
      ::waitpid(child, nullptr, 0);
      return launch_failed(describe_failure(failure, spec, line));
    }
    return wait_for(child);
  }

  // Forwards signals and reaps children until `command` ends; every process of the namespace
  // that loses its parent is re-parented to us, so we reap whatever comes. With a lease to
  // watch, also wakes up every kLeaseCheckInterval to read it.
  int wait_for(pid_t command) {
    const timespec interval{0, std::chrono::nanoseconds(kLeaseCheckInterval).count()};
    std::int64_t last_check = boottime_ns();
    while (true) {
      siginfo_t info;
      int sig =
          lease_ ? ::sigtimedwait(&waited_, &info, &interval) : ::sigwaitinfo(&waited_, &info);
      // Checked on any wake-up once the interval has passed, so that a stream of signals cannot
      // postpone it.
      if (lease_ && fenced_.empty()) {
        const std::int64_t now = boottime_ns();
        if (now - last_check >= std::chrono::nanoseconds(kLeaseCheckInterval).count()) {
          last_check = now;
          if (auto expired = lease_->check(now)) fence(*expired);
        }
      }
      if (sig < 0) continue;  // EINTR: a stop/continue signal; EAGAIN: the interval passed
      if (sig != SIGCHLD) {
        // The command's group, or the command itself if it has not reached setsid() yet.
        if (::kill(-command, sig) != 0) ::kill(command, sig);
        continue;
      }
      int status = 0;
      pid_t pid;
      while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
        if (pid != command) continue;
        ContainerExit exit;
        if (!fenced_.empty()) {
          exit.kind = ContainerExit::Kind::kLeaseExpired;
          exit.signal = SIGKILL;
          exit.message = fenced_ + fence_volumes();
        } else if (WIFSIGNALED(status)) {
          exit.kind = ContainerExit::Kind::kSignaled;
          exit.signal = WTERMSIG(status);
        } else {
          exit.kind = ContainerExit::Kind::kExited;
          exit.code = WEXITSTATUS(status);
        }
        return record(exit);
      }
    }
  }

  // The lease ran out with no agent to act on it: everything in this pid namespace but us goes
  // at once (a signal to -1 from a namespace's pid 1 reaches exactly that), as the agent's own
  // SIGKILL of the container would.
  void fence(const std::string& why) {
    fenced_ = why + "; killed the task so that its volumes can move to another node";
    ::kill(-1, SIGKILL);
  }

  // What the killed task wrote must reach the volumes now, while the lease's margin lasts, and
  // not when the kernel next writes back, after another node may have mounted them. Then each
  // filesystem is shut down (filesystem_fence.h): it stays mounted on this node until an agent
  // comes back to unmount it, and must never write to the image again. What happened, for the
  // exit status.
  std::string fence_volumes() const {
    std::string failures;
    for (const auto& target : volume_targets_) {
      int fd = ::open(target.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0) {
        ::syncfs(fd);
        ::close(fd);
      }
      auto shut = shut_down_filesystem(target);
      if (!shut.ok()) failures += "; " + shut.error().message;
    }
    if (volume_targets_.empty()) return "";
    if (failures.empty()) return "; synced and shut down the volumes' filesystems";
    return failures;
  }

  int launch_failed(const std::string& message) {
    ContainerExit exit;
    exit.kind = ContainerExit::Kind::kLaunchFailed;
    exit.code = kLaunchFailedCode;
    exit.message = message;
    return record(exit);
  }

  int record(const ContainerExit& exit) {
    return write_file_atomically(dir_.exit_status_path(), encode_exit_status(exit)).ok() ? 0 : 1;
  }

  RuntimeDir dir_;
  sigset_t waited_{};
  std::optional<LeaseWatch> lease_;
  std::vector<std::string> volume_targets_;
  std::string fenced_;  // why the task was killed for the lease; empty while it was not
};

}  // namespace

int supervise_main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s __supervise <container runtime dir>\n", argv[0]);
    return 2;
  }
  return Supervisor(RuntimeDir(argv[2])).run();
}

}  // namespace berth
