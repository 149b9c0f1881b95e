// The files of one container's runtime directory and their formats: the contract between the
// containerizer, which writes spec.json and pid, and the supervisor, which reads spec.json and
// writes exit_status. The directory tree is drawn in linux_containerizer.h; every path of it is
// built here and nowhere else.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/containerizer.h"
#include "common/result.h"

namespace berth {

class RuntimeDir {
 public:
  explicit RuntimeDir(std::string path) : path_(std::move(path)) {}

  const std::string& path() const { return path_; }
  std::string spec_path() const { return path_ + "/spec.json"; }
  std::string pid_path() const { return path_ + "/pid"; }
  std::string exit_status_path() const { return path_ + "/exit_status"; }

 private:
  std::string path_;
};

// The supervisor as the agent's pid namespace sees it. The start time (clock ticks since boot,
// /proc/<pid>/stat field 22) tells a live supervisor from an unrelated process that reuses its
// pid after a reboot or a long absence.
struct SupervisorPid {
  pid_t pid = 0;
  std::uint64_t start_time = 0;
};

std::string encode_spec(const ContainerSpec& spec);
Result<ContainerSpec> decode_spec(std::string_view text);

std::string encode_supervisor_pid(const SupervisorPid& pid);
Result<SupervisorPid> decode_supervisor_pid(std::string_view text);

// What the supervisor records when the command ends. Only kExited, kSignaled and kLaunchFailed
// are written; the containerizer turns them into kMemoryLimit when the cgroup saw an OOM kill.
//   {"exited":true,"code":3}
//   {"signaled":true,"signal":15}
//   {"launch_failed":true,"code":127,"message":"exec nosuch: No such file or directory"}
//   {"lease_expired":true,"signal":9,"message":"volume lease ... expired ..."}
std::string encode_exit_status(const ContainerExit& exit);
Result<ContainerExit> decode_exit_status(std::string_view text);

// The volume lease file (LinuxContainerizer::Options::volume_lease_file): the containerizer
// replaces it at every renewal of the node's lease on its external volumes, and the supervisor
// of each task with external volumes reads it every kLeaseCheckInterval.
//   {"deadline_boottime_ns":123456789000}
// CLOCK_BOOTTIME reads the same in every process of the machine, whatever its namespaces, and
// keeps counting through a suspend, as the master's clock does.
std::string encode_volume_lease(std::int64_t deadline_boottime_ns);
Result<std::int64_t> decode_volume_lease(std::string_view text);
std::int64_t boottime_ns();

// Replaces `path` atomically (temporary file, rename) without forcing it to disk. For the pid
// file: it means something only during this boot (a reboot takes the supervisor with it), so it
// must survive a crash of the agent, which the page cache does, not one of the machine. This
// keeps two fsyncs off every launch.
Status replace_file(const std::string& path, std::string_view contents);

// Task ids name directories and cgroups, so they must be one harmless path component.
Status validate_task_id(std::string_view task_id);

// Facts from /proc/<pid>/stat; nullopt if the process does not exist (any more).
struct ProcStat {
  char state = '?';  // R, S, D, Z (zombie), ...
  pid_t parent = 0;
  std::uint64_t start_time = 0;
};
std::optional<ProcStat> read_proc_stat(pid_t pid);
// The same for the process behind a pidfd. /proc may number processes differently from the
// caller: an agent in a node's own pid namespace still sees the host's /proc. The pidfd's
// fdinfo tells the pid that /proc uses, which is the one to look up.
std::optional<ProcStat> read_proc_stat_of(int pidfd);
// Whether the process behind `pidfd` is a child of the caller, i.e. ours to reap.
bool is_our_child(int pidfd);
// Parses the text of /proc/<pid>/stat, whose second field (the command name, in parentheses)
// may itself hold spaces and parentheses.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

}  // namespace berth
