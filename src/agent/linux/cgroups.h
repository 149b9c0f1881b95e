// Cgroups: the cgroup hierarchies that hold the agent's containers, v1 or v2, detected at run
// time. Both exist in the field: v1 has one hierarchy per controller (cpu, memory, pids, ...,
// mounted below <mount>, cpu and cpuacct often sharing one), v2 one unified tree
// at <mount> with the controllers enabled per level through cgroup.subtree_control.
//
// Cgroups are named relative to the hierarchy roots ("berth/agent-1/t1"); each operation applies
// to every hierarchy in use. Missing controllers are tolerated (the limit is not enforced and
// detect() says so), a missing hierarchy altogether is an error.
//
// Not thread-safe; the containerizer calls it on the agent's loop. Calls block only briefly
// (kill_all() and remove() wait a bounded time for the kernel to let go of dying processes).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace berth {

struct CgroupLimits {
  double cpus = 0;              // 0 = unlimited; else shares/weight and a hard quota
  std::uint64_t mem_bytes = 0;  // 0 = unlimited; else the limit, with no swap beyond it
};

class Cgroups {
 public:
  enum class Version { kV1, kV2 };

  // Looks at `mount` (normally /sys/fs/cgroup): v2 if it is a cgroup2 mount, else the v1
  // hierarchies of the controllers Berth uses below it.
  static Result<Cgroups> detect(const std::string& mount = "/sys/fs/cgroup");
  // A layout given outright: one hierarchy per entry of `roots` (v2: exactly one), each with the
  // controllers listed for it. For tests on a plain directory tree standing in for the kernel's.
  static Cgroups with_layout(Version version,
                             std::vector<std::pair<std::string, std::vector<std::string>>> roots);

  Version version() const { return version_; }
  bool has_controller(const std::string& controller) const;
  // For logs: "v1: cpu memory pids" or "v2 at /sys/fs/cgroup: cpu memory pids".
  std::string describe() const;

  // The directories of `name`, one per hierarchy.
  std::vector<std::string> paths(const std::string& name) const;
  bool exists(const std::string& name) const;

  // Creates `name` and its missing parents. v2: also enables the controllers in use in every
  // ancestor's cgroup.subtree_control, so that `name` gets its own cpu/memory/pids files.
  Status create(const std::string& name) const;
  Status set_limits(const std::string& name, const CgroupLimits& limits) const;
  // Moves `pid` into `name` in every hierarchy.
  Status add_process(const std::string& name, pid_t pid) const;
  // Processes in `name` (not its children), from every hierarchy; empty if it does not exist.
  Result<std::vector<pid_t>> processes(const std::string& name) const;
  // SIGKILLs everything in `name` and waits up to `timeout` for it to empty. Returns how many
  // processes it found to kill (0: it was empty already).
  Result<std::size_t> kill_all(const std::string& name, std::chrono::milliseconds timeout) const;
  // How many times the kernel's OOM killer acted in `name` (0 without a memory controller).
  Result<std::uint64_t> oom_kills(const std::string& name) const;
  // Removes `name` (which must have no children). A missing cgroup is not an error; EBUSY, which
  // v1 reports for a moment after the last process died, is retried for up to a second.
  Status remove(const std::string& name) const;
  // Names of the child cgroups of `name`, across hierarchies, sorted.
  Result<std::vector<std::string>> children(const std::string& name) const;

 private:
  struct Hierarchy {
    std::string root;                      // mount point of the hierarchy
    std::vector<std::string> controllers;  // those of Berth's it carries
    bool has(const std::string& controller) const;
  };

  Cgroups(Version version, std::vector<Hierarchy> hierarchies)
      : version_(version), hierarchies_(std::move(hierarchies)) {}

  const Hierarchy* hierarchy_with(const std::string& controller) const;
  Status enable_controllers(const std::string& name) const;

  Version version_;
  std::vector<Hierarchy> hierarchies_;  // v2: exactly one
};

}  // namespace berth
