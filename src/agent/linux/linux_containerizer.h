// LinuxContainerizer: the Containerizer of a live agent. Each task runs under a supervisor
// process (supervisor.h) that is pid 1 of the task's own pid and mount namespaces, inside a
// cgroup that carries the task's cpu and memory limits (v1 or v2, see cgroups.h). The agent
// watches each supervisor through a pidfd on its event loop; supervisors outlive the agent, and
// the next agent re-adopts them with recover().
//
// Launch, in the order that makes a crash at any point recoverable:
//
//   spec.json written ──> cgroup created, limits set ──> clone(NEWNS|NEWPID), child held on a
//   pipe ──> child moved into the cgroup ──> pid file written ──> pidfd watched ──> child
//   released: execs `<supervisor_path> __supervise <runtime dir>` ──> supervisor forks the command
//
// If the agent dies before the release, the held child sees the pipe close and exits without
// running anything; recover() then finds no supervisor and reports kGone.
//
// Runtime directory (Options::runtime_dir, normally <work_dir>/containers), owned by this class:
//
//   <runtime_dir>/
//     <task_id>/
//       spec.json       the ContainerSpec, written before anything else is done for the task
//       pid             {"pid":N,"start_time":T}: the supervisor in the agent's pid namespace,
//                       with its start time (/proc/N/stat field 22) to tell it from pid reuse;
//                       renamed into place but not fsynced, as it only means something this boot
//       exit_status     written by the supervisor when the command ended (runtime_dir.h has
//                       the format); its absence after the supervisor died means it was killed
//
// The volume lease file (Options::volume_lease_file, normally <work_dir>/volume_lease) holds the
// deadline of the node's lease on its external volumes, replaced at every renewal; supervisors
// of tasks with external volumes kill them when it passes (supervisor.h), agent or no agent.
//
// Cgroups: <hierarchy>/<cgroup_root>/<task_id>, e.g. /sys/fs/cgroup/memory/berth/agent-1/t1
// (v1, one per controller in use) or /sys/fs/cgroup/berth/agent-1/t1 (v2).
//
// Threading: every method runs on the agent's event loop, reached through EventLoopHooks so
// that this class needs no Asio; exits are reported through hooks.post, never from inside a
// method call. Methods block only briefly (file writes with fsync, clone, and bounded waits for
// killed processes in destroy()).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/containerizer.h"
#include "agent/linux/cgroups.h"
#include "agent/linux/runtime_dir.h"

namespace berth {

// What the containerizer needs of the agent's event loop (EventLoop::watch_readable, unwatch
// and post in a live agent; a small poll() loop in tests).
struct EventLoopHooks {
  // Calls the function on the loop when `fd` becomes readable; returns an id for unwatch.
  std::function<std::uint64_t(int fd, std::function<void()>)> watch_readable;
  std::function<void(std::uint64_t)> unwatch;
  // Runs the function on the loop soon, after the current call has returned.
  std::function<void(std::function<void()>)> post;
};

class LinuxContainerizer final : public Containerizer {
 public:
  using Hooks = EventLoopHooks;

  struct Options {
    // Where the per-task directories live (see above); created by init().
    std::string runtime_dir;
    // The agent's cgroup subtree, relative to each hierarchy's root. One per agent, so that
    // agents sharing a machine never touch each other's tasks.
    std::string cgroup_root = "berth/default";
    // Where the cgroup hierarchies are mounted (a cgroup2 mount means v2).
    std::string cgroup_mount = "/sys/fs/cgroup";
    // The executable run as `<path> __supervise <dir>`: the agent's own binary by default.
    std::string supervisor_path = "/proc/self/exe";
    // Where publish_volume_lease() writes the lease's deadline for the supervisors of tasks
    // with external volumes (runtime_dir.h has the format). Outside runtime_dir, whose entries
    // are containers. Empty: nothing is published or watched.
    std::string volume_lease_file;
  };

  LinuxContainerizer(Hooks hooks, Options options);
  // Stops watching; the containers keep running, for the next agent to re-adopt.
  ~LinuxContainerizer() override;
  LinuxContainerizer(const LinuxContainerizer&) = delete;
  LinuxContainerizer& operator=(const LinuxContainerizer&) = delete;

  // Detects the cgroup version and creates the runtime dir and the agent's cgroup subtree.
  // Call once, before anything else.
  Status init();

  void set_exit_callback(ExitCallback callback) override { callback_ = std::move(callback); }
  // Returns once the supervisor runs in its namespaces and cgroup. A command that cannot be
  // started (missing binary, bad sandbox) is reported soon after as a kLaunchFailed exit with
  // the reason, because only the supervisor, after the launch returned, can tell. A task that
  // ended but was not destroyed yet is destroyed first.
  Status launch(const ContainerSpec& spec) override;
  // SIGKILL: the supervisor (the kernel then kills its whole pid namespace) and anything left
  // in the cgroup. Other signals: to the supervisor, which passes them to the command's
  // process group.
  void signal(const std::string& task_id, int signal) override;
  void recover(const std::vector<std::string>& task_ids) override;
  // Kills whatever is left of the container and removes its cgroup and runtime directory. A
  // container destroyed while it runs is not reported.
  void destroy(const std::string& task_id) override;
  std::vector<std::string> running() const override;
  // Replaces the lease file (temporary file, rename) with `deadline` in CLOCK_BOOTTIME
  // nanoseconds. Not fsynced: supervisors read it through the page cache, and a machine crash
  // that would lose it takes the supervisors with it.
  Status publish_volume_lease(Instant deadline) override;

  // A pidfd of the supervisor of a running task: pid 1 of the task's pid namespace, in its
  // mount namespace (for setns() by commands run inside the task, like health checks). Owned
  // by the containerizer and valid until the task's exit is handled.
  std::optional<int> supervisor_pidfd(const std::string& task_id) const;

  // The cgroup layout in use (for logs and tests); valid after init().
  const Cgroups& cgroups() const { return *cgroups_; }
  std::string cgroup_name(const std::string& task_id) const;
  RuntimeDir runtime_dir(const std::string& task_id) const;

 private:
  // A supervisor being watched.
  struct Container {
    pid_t pid = 0;
    int pidfd = -1;
    std::uint64_t watch = 0;
    std::uint64_t generation = 0;  // tells this container from an earlier one of the same id
    bool is_child = false;         // ours to reap (launched by this process)
    std::uint64_t mem_mb = 0;
  };

  Status launch_supervisor(const ContainerSpec& spec, const RuntimeDir& dir, Container& out);
  // Starts watching `container`'s pidfd as the running container of `task_id`.
  void watch(const std::string& task_id, Container container);
  void arm(const std::string& task_id);
  void on_supervisor_exit(const std::string& task_id, std::uint64_t generation);
  // How the container of `task_id` ended, from its exit_status file and its cgroup's OOM
  // counter; `supervisor_status` is the supervisor's wait status when we reaped it ourselves.
  ContainerExit collect_exit(const std::string& task_id, std::uint64_t mem_mb,
                             std::optional<int> supervisor_status);
  std::optional<SupervisorPid> read_pid(const RuntimeDir& dir) const;
  // The supervisor recorded in `dir`, with a pidfd, if that pid is still it (alive or a
  // zombie); not watched yet.
  std::optional<Container> open_supervisor(const RuntimeDir& dir) const;
  // The memory limit in spec.json, for the OOM message; 0 if unreadable.
  std::uint64_t recorded_mem_mb(const RuntimeDir& dir) const;
  // Adopts the supervisor of `task_id` if its pid file names a live process; false otherwise.
  bool adopt(const std::string& task_id, const RuntimeDir& dir);
  // Waits (bounded) for the unwatched supervisor recorded in `dir` to die, SIGKILLing it first
  // if `kill`, and reaps it if it is our child.
  void end_supervisor(const RuntimeDir& dir, bool kill);
  void report(ContainerExit exit);
  void kill_and_remove(const std::string& task_id);

  Hooks hooks_;
  Options options_;
  std::optional<Cgroups> cgroups_;
  ExitCallback callback_;
  std::map<std::string, Container> running_;
  std::uint64_t next_generation_ = 0;
};

}  // namespace berth
