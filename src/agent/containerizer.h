// Containerizer: how the agent's core starts, signals, recovers and cleans up the processes of
// its tasks. The core decides *what* happens (launch, SIGTERM then SIGKILL after a grace period,
// report the exit); a containerizer does it. LinuxContainerizer runs each task in its own mount
// and pid namespaces and cgroup; FakeContainerizer (tests, simulator) only records calls.
//
// Threading: every method is called on the agent's event loop and every callback runs on it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace berth {

// A host path bind-mounted into the task's own mount namespace before its command starts: how
// a published volume reaches the task. The host keeps `source` (the volume's per-task bind
// mount); the task's copy at `target` goes away with its namespace.
struct ContainerMount {
  std::string source;  // on the host, absolute
  std::string target;  // absolute; created if missing
  bool read_only = false;

  bool operator==(const ContainerMount&) const = default;
};

struct ContainerSpec {
  std::string task_id;
  // Run as `/bin/sh -c <command>` when shell is true, else argv = arguments (arguments[0] is the
  // program, looked up in PATH).
  bool shell = true;
  std::string command;
  std::vector<std::string> arguments;
  std::map<std::string, std::string> environment;
  double cpus = 0.1;                   // cpu shares / quota; 0 = unlimited
  std::uint64_t mem_mb = 32;           // memory limit; 0 = unlimited
  std::string sandbox_dir;             // exists before launch; cwd, holds stdout and stderr
  std::vector<ContainerMount> mounts;  // in order, after the task's mounts are made private
  // Mount points detached in the task's namespace once `mounts` are made: the agent's volume
  // mount root, so that no task's copy of it keeps another task's volume (and its loop device)
  // busy after the agent unmounted it.
  std::vector<std::string> hide_mounts;
  // The task's external volumes. When there are any, the task must not outlive this node's
  // lease on them even while no agent runs: the containerizer has something of the task watch
  // the deadline of publish_volume_lease() and kill it once that passes. Empty: nothing watches.
  std::vector<std::string> lease_volumes;
  // Where that deadline is published; the containerizer's to fill in, not the core's.
  std::string lease_file;
};

// How a container ended.
struct ContainerExit {
  enum class Kind {
    kExited,        // the command exited by itself; `code` is its exit status
    kSignaled,      // the command was killed by `signal`
    kMemoryLimit,   // the kernel's OOM killer ended it at its cgroup's memory limit
    kLaunchFailed,  // the command never started (exec failed, bad sandbox, ...); see message
    kGone,          // recover() found no trace of a container that should have been running
    // Killed by the containerizer itself: the volume lease published for its lease_volumes ran
    // out (no agent renewed it); `message` names the volumes
    kLeaseExpired,
  };
  std::string task_id;
  Kind kind = Kind::kExited;
  int code = 0;
  int signal = 0;
  std::string message;  // human readable, e.g. "Memory limit exceeded: 64 MB"
};

class Containerizer {
 public:
  using ExitCallback = std::function<void(ContainerExit)>;

  virtual ~Containerizer() = default;

  // Where exits are reported. Set once, before the first launch() or recover().
  virtual void set_exit_callback(ExitCallback callback) = 0;

  // Starts the task. Returns once the command has been started (or failed to start: then an
  // error and no exit callback). Idempotent per task id: launching a task that already runs
  // is a kConflict error.
  virtual Status launch(const ContainerSpec& spec) = 0;

  // Sends `signal` to the task's command (SIGTERM: the command alone; SIGKILL: everything in
  // the container). Unknown or ended tasks are ignored.
  virtual void signal(const std::string& task_id, int signal) = 0;

  // After an agent restart: re-adopts the containers of `task_ids` that still run (their exits
  // will be reported as usual), reports through the callback those that ended while the agent
  // was away (with their real exit status when it was recorded), and reports kGone for those of
  // which nothing is left. Also destroys containers it finds that are not in `task_ids`.
  virtual void recover(const std::vector<std::string>& task_ids) = 0;

  // Releases what is left of an ended container (cgroup, namespaces' bookkeeping). Idempotent.
  virtual void destroy(const std::string& task_id) = 0;

  // Task ids of the containers currently running.
  virtual std::vector<std::string> running() const = 0;

  // Publishes the instant (the agent's clock) until which this node may use its external
  // volumes, on every renewal of the lease. Containers with lease_volumes are killed once the
  // last deadline published passes, whether or not an agent is still there to do it: tasks
  // outlive an agent crash, and the master gives the volumes to another node after the lease.
  virtual Status publish_volume_lease(Instant deadline) = 0;
};

}  // namespace berth
