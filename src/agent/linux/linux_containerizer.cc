// LinuxContainerizer: launch through clone() into new namespaces, exit detection through
// pidfds, recovery from the runtime directory after an agent restart.
#include "agent/linux/linux_containerizer.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "agent/linux/supervisor.h"
#include "common/atomic_file.h"

namespace berth {
namespace {

// Exit codes of the cloned child before it becomes the supervisor.
constexpr int kNotReleased = 125;  // the agent died (closed the pipe) before releasing it
constexpr int kSupervisorExecFailed = 126;

// How long destroy() and the exit path wait for killed processes to leave.
constexpr std::chrono::milliseconds kKillTimeout{2000};

constexpr std::size_t kCloneStackSize = 64 * 1024;

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

int pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// What the cloned child needs; prepared before clone() because the child may only make
// async-signal-safe calls (the agent is multi-threaded, and the child a copy of one thread).
struct CloneArgs {
  int sync_fd;
  int release_fd;  // the parent's end, which the child must not hold
  const char* path;
  char* const* argv;
  char* const* envp;
};

int supervisor_child(void* raw) {
  const auto* args = static_cast<const CloneArgs*>(raw);
  // Our copy of the parent's end would keep the pipe open if the parent dies or gives up.
  ::close(args->release_fd);
  // Held until the parent has moved us into the cgroup and recorded our pid: whatever the
  // supervisor and the command do is then accounted and limited from their first instruction.
  char go = 0;
  ssize_t n;
  do {
    n = ::read(args->sync_fd, &go, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) ::_exit(kNotReleased);
  // Out of the agent's session: a terminal's Ctrl-C to the agent must not reach the tasks,
  // which outlive it.
  ::setsid();
  // Descriptors the agent opened without O_CLOEXEC must not leak into every task.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(args->path, args->argv, args->envp);
  ::_exit(kSupervisorExecFailed);
}

bool path_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// Waits (bounded) for the process behind `pidfd` to die, and reaps it if it is our child.
void wait_and_reap(pid_t pid, int pidfd, bool is_child) {
  pollfd entry{pidfd, POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&entry, 1, static_cast<int>(kKillTimeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) {
    // Stuck in the kernel (a process of its namespace in uninterruptible sleep, say). If it is
    // our child it stays a zombie until this process exits; nothing else is left to do.
    spdlog::warn("supervisor {} has not exited after {} ms", pid, kKillTimeout.count());
  }
  if (is_child) ::waitpid(pid, nullptr, WNOHANG);
}

std::string mb_text(std::uint64_t mem_mb) { return std::to_string(mem_mb) + " MB"; }

}  // namespace

LinuxContainerizer::LinuxContainerizer(Hooks hooks, Options options)
    : hooks_(std::move(hooks)), options_(std::move(options)) {}

LinuxContainerizer::~LinuxContainerizer() {
  for (auto& [id, container] : running_) {
    hooks_.unwatch(container.watch);
    ::close(container.pidfd);
  }
}

Status LinuxContainerizer::init() {
  auto detected = Cgroups::detect(options_.cgroup_mount);
  if (!detected.ok()) return detected.error().context("containerizer");
  cgroups_ = std::move(detected).value();
  auto made = make_directories(options_.runtime_dir);
  if (!made.ok()) return made.error().context("containerizer runtime dir");
  auto created = cgroups_->create(options_.cgroup_root);
  if (!created.ok()) return created.error().context("containerizer cgroup root");
  spdlog::info("containerizer: cgroups {}, tasks under {}", cgroups_->describe(),
               options_.cgroup_root);
  for (const char* controller : {"cpu", "memory"}) {
    if (!cgroups_->has_controller(controller)) {
      spdlog::warn("cgroup controller {} is not available: tasks' {} limits are not enforced",
                   controller, controller);
    }
  }
  return {};
}

std::string LinuxContainerizer::cgroup_name(const std::string& task_id) const {
  return options_.cgroup_root + "/" + task_id;
}

RuntimeDir LinuxContainerizer::runtime_dir(const std::string& task_id) const {
  return RuntimeDir(options_.runtime_dir + "/" + task_id);
}

Status LinuxContainerizer::launch(const ContainerSpec& spec) {
  const std::string context = "launch task " + spec.task_id;
  if (!cgroups_) return unavailable(context + ": containerizer not initialised");
  auto valid = validate_task_id(spec.task_id);
  if (!valid.ok()) return valid.error().context(context);
  if (running_.count(spec.task_id) != 0) return conflict(context + ": it runs already");

  RuntimeDir dir = runtime_dir(spec.task_id);
  if (path_exists(dir.path()) || cgroups_->exists(cgroup_name(spec.task_id))) {
    // An earlier run of this id ended but was not destroyed; its exit_status must not be
    // mistaken for this run's.
    kill_and_remove(spec.task_id);
  }
  Container container;
  container.mem_mb = spec.mem_mb;
  Status launched;
  if (spec.lease_volumes.empty() || options_.volume_lease_file.empty()) {
    launched = launch_supervisor(spec, dir, container);
  } else {
    ContainerSpec watched = spec;
    watched.lease_file = options_.volume_lease_file;
    launched = launch_supervisor(watched, dir, container);
  }
  if (!launched.ok()) {
    kill_and_remove(spec.task_id);
    return launched.error().context(context);
  }
  watch(spec.task_id, container);
  return {};
}

Status LinuxContainerizer::launch_supervisor(const ContainerSpec& spec, const RuntimeDir& dir,
                                             Container& out) {
  if (::mkdir(dir.path().c_str(), 0755) != 0 && errno != EEXIST) {
    return errno_error("create " + dir.path(), errno);
  }
  BERTH_RETURN_IF_ERROR(write_file_atomically(dir.spec_path(), encode_spec(spec)));
  const std::string cgroup = cgroup_name(spec.task_id);
  BERTH_RETURN_IF_ERROR(cgroups_->create(cgroup));
  BERTH_RETURN_IF_ERROR(cgroups_->set_limits(cgroup, {spec.cpus, spec.mem_mb * 1024 * 1024}));

  std::string arg0 = "berth", arg1 = "__supervise", arg2 = dir.path();
  char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
  char* envp[] = {nullptr};
  int sync[2];
  if (::pipe2(sync, O_CLOEXEC) != 0) return errno_error("pipe", errno);
  CloneArgs args{sync[0], sync[1], options_.supervisor_path.c_str(), argv, envp};
  // The child runs on its own copy of the address space (no CLONE_VM), so this stack can go
  // as soon as clone() returns.
  std::unique_ptr<char[]> stack(new char[kCloneStackSize]);  // not zeroed: 64 KiB per launch
  sigset_t forwarded, previous;
  sigemptyset(&forwarded);
  for (int sig : kForwardedSignals) sigaddset(&forwarded, sig);
  ::pthread_sigmask(SIG_BLOCK, &forwarded, &previous);
  pid_t pid = ::clone(supervisor_child, stack.get() + kCloneStackSize,
                      CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, &args);
  int clone_errno = errno;
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  ::close(sync[0]);
  if (pid < 0) {
    ::close(sync[1]);
    return errno_error("clone supervisor", clone_errno);
  }
  // Any failure from here on: the child is still held, so it has run nothing and can go.
  int pidfd = -1;
  auto abandon = [&](Error error) -> Status {
    ::kill(pid, SIGKILL);
    ::close(sync[1]);
    if (pidfd >= 0) ::close(pidfd);
    ::waitpid(pid, nullptr, 0);
    return error;
  };
  pidfd = pidfd_open(pid);
  if (pidfd < 0) return abandon(errno_error("pidfd_open", errno));
  auto stat = read_proc_stat_of(pidfd);
  if (!stat) return abandon(internal_error("read /proc stat of pid " + std::to_string(pid)));
  auto added = cgroups_->add_process(cgroup, pid);
  if (!added.ok()) return abandon(added.error());
  auto recorded = replace_file(dir.pid_path(), encode_supervisor_pid({pid, stat->start_time}));
  if (!recorded.ok()) return abandon(recorded.error());
  ssize_t released;
  do {
    released = ::write(sync[1], "x", 1);
  } while (released < 0 && errno == EINTR);
  if (released != 1) return abandon(errno_error("release supervisor", errno));
  ::close(sync[1]);
  out.pid = pid;
  out.pidfd = pidfd;
  out.is_child = true;
  return {};
}

void LinuxContainerizer::watch(const std::string& task_id, Container container) {
  container.generation = ++next_generation_;
  running_[task_id] = container;
  arm(task_id);
}

void LinuxContainerizer::arm(const std::string& task_id) {
  Container& container = running_.at(task_id);
  // The generation tells a stale wake-up (a watch of an earlier container of the same id that
  // fired just before it was replaced) from the current one.
  std::uint64_t generation = container.generation;
  container.watch = hooks_.watch_readable(
      container.pidfd, [this, task_id, generation] { on_supervisor_exit(task_id, generation); });
}

void LinuxContainerizer::on_supervisor_exit(const std::string& task_id, std::uint64_t generation) {
  auto it = running_.find(task_id);
  if (it == running_.end() || it->second.generation != generation) return;
  hooks_.unwatch(it->second.watch);
  // A pidfd turns readable only when its process has exited; a loop may also call us when it
  // cannot poll the descriptor, so make sure before reporting anything.
  pollfd entry{it->second.pidfd, POLLIN, 0};
  if (::poll(&entry, 1, 0) == 0) {
    arm(task_id);
    return;
  }
  Container container = it->second;
  running_.erase(it);
  std::optional<int> status;
  if (container.is_child) {
    int raw = 0;
    if (::waitpid(container.pid, &raw, WNOHANG) == container.pid) status = raw;
  }
  ::close(container.pidfd);
  report(collect_exit(task_id, container.mem_mb, status));
}

ContainerExit LinuxContainerizer::collect_exit(const std::string& task_id, std::uint64_t mem_mb,
                                               std::optional<int> supervisor_status) {
  ContainerExit exit;
  RuntimeDir dir = runtime_dir(task_id);
  auto text = read_file(dir.exit_status_path());
  std::optional<ContainerExit> recorded;
  if (text.ok() && text->has_value()) {
    auto decoded = decode_exit_status(**text);
    if (decoded.ok()) {
      recorded = *decoded;
    } else {
      spdlog::warn("task {}: {}", task_id, decoded.error().message);
    }
  }
  if (recorded) {
    exit = *recorded;
  } else if (supervisor_status && WIFEXITED(*supervisor_status)) {
    int code = WEXITSTATUS(*supervisor_status);
    exit.kind = ContainerExit::Kind::kLaunchFailed;
    exit.code = code;
    exit.message = code == kSupervisorExecFailed
                       ? "could not exec the supervisor " + options_.supervisor_path
                       : "the supervisor exited with status " + std::to_string(code) +
                             " without recording how the command ended";
  } else {
    // Killed (SIGKILL from the agent's kill escalation, or by hand): the namespace died with it.
    exit.kind = ContainerExit::Kind::kSignaled;
    exit.signal = supervisor_status && WIFSIGNALED(*supervisor_status)
                      ? WTERMSIG(*supervisor_status)
                      : SIGKILL;
    exit.message = "the supervisor was killed before the command ended";
  }
  exit.task_id = task_id;

  const std::string cgroup = cgroup_name(task_id);
  auto leftovers = cgroups_->kill_all(cgroup, kKillTimeout);
  if (!leftovers.ok()) spdlog::warn("task {}: {}", task_id, leftovers.error().message);
  auto ooms = cgroups_->oom_kills(cgroup);
  if (!ooms.ok()) spdlog::warn("task {}: {}", task_id, ooms.error().message);
  bool succeeded = exit.kind == ContainerExit::Kind::kExited && exit.code == 0;
  // Any OOM kill in the cgroup explains a failure, even when the victim was a child of the
  // command and the command died of it only indirectly (a shell reports 137).
  if (ooms.ok() && *ooms > 0 && !succeeded && exit.kind != ContainerExit::Kind::kLaunchFailed &&
      exit.kind != ContainerExit::Kind::kLeaseExpired) {
    exit.kind = ContainerExit::Kind::kMemoryLimit;
    exit.message = "Memory limit exceeded: task used more than " + mb_text(mem_mb);
  }
  return exit;
}

void LinuxContainerizer::report(ContainerExit exit) {
  // Posted, never called from here: the caller may be inside one of our methods. The callback
  // is copied so that a posted report survives the containerizer.
  hooks_.post([callback = callback_, exit = std::move(exit)] {
    if (callback) callback(exit);
  });
}

std::optional<SupervisorPid> LinuxContainerizer::read_pid(const RuntimeDir& dir) const {
  auto text = read_file(dir.pid_path());
  if (!text.ok() || !text->has_value()) return std::nullopt;
  auto pid = decode_supervisor_pid(**text);
  if (!pid.ok() || pid->pid <= 0) return std::nullopt;
  return *pid;
}

std::optional<LinuxContainerizer::Container> LinuxContainerizer::open_supervisor(
    const RuntimeDir& dir) const {
  auto recorded = read_pid(dir);
  if (!recorded) return std::nullopt;
  int pidfd = pidfd_open(recorded->pid);
  if (pidfd < 0) return std::nullopt;
  // The pidfd pins whatever process has the pid now; its start time says whether that is
  // still the supervisor.
  auto stat = read_proc_stat_of(pidfd);
  if (!stat || stat->start_time != recorded->start_time) {
    ::close(pidfd);
    return std::nullopt;
  }
  Container container;
  container.pid = recorded->pid;
  container.pidfd = pidfd;
  // A new containerizer in the same process (tests) still has to reap its predecessor's child.
  container.is_child = is_our_child(pidfd);
  return container;
}

std::uint64_t LinuxContainerizer::recorded_mem_mb(const RuntimeDir& dir) const {
  auto text = read_file(dir.spec_path());
  if (!text.ok() || !text->has_value()) return 0;
  auto spec = decode_spec(**text);
  return spec.ok() ? spec->mem_mb : 0;
}

bool LinuxContainerizer::adopt(const std::string& task_id, const RuntimeDir& dir) {
  auto container = open_supervisor(dir);
  if (!container) return false;
  container->mem_mb = recorded_mem_mb(dir);
  spdlog::info("task {}: re-adopted its supervisor, pid {}", task_id, container->pid);
  watch(task_id, *container);
  return true;
}

void LinuxContainerizer::end_supervisor(const RuntimeDir& dir, bool kill) {
  auto container = open_supervisor(dir);
  if (!container) return;
  if (kill) pidfd_send_signal(container->pidfd, SIGKILL);
  wait_and_reap(container->pid, container->pidfd, container->is_child);
  ::close(container->pidfd);
}

void LinuxContainerizer::recover(const std::vector<std::string>& task_ids) {
  if (!cgroups_) {
    spdlog::error("containerizer: recover() before init()");
    return;
  }
  std::set<std::string> wanted(task_ids.begin(), task_ids.end());

  // Orphans: containers of tasks the agent no longer knows (destroyed before a crash finished
  // the job, or of tasks whose checkpoints were removed).
  std::set<std::string> found;
  auto dirs = list_directory(options_.runtime_dir);
  if (dirs.ok()) found.insert(dirs->begin(), dirs->end());
  auto groups = cgroups_->children(options_.cgroup_root);
  if (groups.ok()) found.insert(groups->begin(), groups->end());
  for (const auto& name : found) {
    if (wanted.count(name) != 0 || running_.count(name) != 0) continue;
    if (!validate_task_id(name).ok()) continue;
    spdlog::info("containerizer: destroying orphan container {}", name);
    kill_and_remove(name);
  }

  for (const auto& id : task_ids) {
    if (running_.count(id) != 0) continue;
    ContainerExit exit;
    exit.task_id = id;
    if (!validate_task_id(id).ok()) {
      exit.kind = ContainerExit::Kind::kGone;
      exit.message = "no container: invalid task id";
      report(exit);
      continue;
    }
    RuntimeDir dir = runtime_dir(id);
    // A supervisor that recorded an exit has ended or is about to; any other live one is
    // re-adopted and reports as usual. Checked again after a failed adoption: the supervisor
    // may have recorded its exit and died in between.
    if (!path_exists(dir.exit_status_path()) && adopt(id, dir)) continue;
    if (path_exists(dir.exit_status_path())) {
      end_supervisor(dir, /*kill=*/false);
      report(collect_exit(id, recorded_mem_mb(dir), std::nullopt));
      continue;
    }
    auto killed = cgroups_->kill_all(cgroup_name(id), kKillTimeout);
    if (killed.ok() && *killed > 0) {
      exit.kind = ContainerExit::Kind::kSignaled;
      exit.signal = SIGKILL;
      exit.message = "the supervisor was gone; killed " + std::to_string(*killed) +
                     " processes left in its cgroup";
    } else {
      exit.kind = ContainerExit::Kind::kGone;
      exit.message = path_exists(dir.path())
                         ? "the supervisor is gone and recorded no exit status"
                         : "no trace of the container (machine rebooted or work dir wiped?)";
    }
    report(exit);
  }
}

void LinuxContainerizer::signal(const std::string& task_id, int sig) {
  auto it = running_.find(task_id);
  if (it == running_.end()) return;
  // Through the pidfd: a pid could be reused by the time we signal, the pidfd cannot.
  if (pidfd_send_signal(it->second.pidfd, sig) != 0 && errno != ESRCH) {
    spdlog::warn("task {}: send signal {}: {}", task_id, sig, std::strerror(errno));
  }
  if (sig == SIGKILL) {
    auto killed = cgroups_->kill_all(cgroup_name(task_id), std::chrono::milliseconds(0));
    if (!killed.ok()) spdlog::warn("task {}: {}", task_id, killed.error().message);
  }
}

void LinuxContainerizer::destroy(const std::string& task_id) {
  if (!cgroups_ || !validate_task_id(task_id).ok()) return;
  kill_and_remove(task_id);
}

void LinuxContainerizer::kill_and_remove(const std::string& task_id) {
  RuntimeDir dir = runtime_dir(task_id);
  auto it = running_.find(task_id);
  if (it != running_.end()) {
    Container container = it->second;
    running_.erase(it);
    hooks_.unwatch(container.watch);
    pidfd_send_signal(container.pidfd, SIGKILL);
    wait_and_reap(container.pid, container.pidfd, container.is_child);
    ::close(container.pidfd);
  } else {
    // Not watched: an orphan, or destroy() before recover().
    end_supervisor(dir, /*kill=*/true);
  }
  const std::string cgroup = cgroup_name(task_id);
  auto killed = cgroups_->kill_all(cgroup, kKillTimeout);
  if (!killed.ok()) spdlog::warn("destroy task {}: {}", task_id, killed.error().message);
  auto removed = cgroups_->remove(cgroup);
  if (!removed.ok()) spdlog::warn("destroy task {}: {}", task_id, removed.error().message);
  auto wiped = remove_tree(dir.path());
  if (!wiped.ok()) spdlog::warn("destroy task {}: {}", task_id, wiped.error().message);
}

Status LinuxContainerizer::publish_volume_lease(Instant deadline) {
  if (options_.volume_lease_file.empty()) return {};
  // Instant is CLOCK_MONOTONIC (steady_clock); supervisors compare with CLOCK_BOOTTIME.
  const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
      deadline - std::chrono::steady_clock::now());
  auto written =
      replace_file(options_.volume_lease_file, encode_volume_lease(boottime_ns() + left.count()));
  if (!written.ok()) return written.error().context("publish the volume lease");
  return {};
}

std::optional<int> LinuxContainerizer::supervisor_pidfd(const std::string& task_id) const {
  auto it = running_.find(task_id);
  if (it == running_.end()) return std::nullopt;
  return it->second.pidfd;
}

std::vector<std::string> LinuxContainerizer::running() const {
  std::vector<std::string> ids;
  for (const auto& [id, container] : running_) ids.push_back(id);
  return ids;
}

}  // namespace berth
