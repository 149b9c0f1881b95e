// LeaseWatch: how the supervisor of a task with external volumes keeps the task from outliving
// its node's lease on them when no agent is left to stop it. The agent's containerizer publishes
// the lease's deadline in a file at every renewal (runtime_dir.h has the format); the supervisor
// reads it every kLeaseCheckInterval and kills the task once the deadline has passed. An agent
// that crashed renews nothing, so its tasks stop when its lease ends, before the master gives
// their volumes to another node (lease + drift margin after the master's last acknowledgement).
//
// Threading: the supervisor's one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth {

// Between two reads of the lease file: what the task may overrun the deadline by. Well inside
// the master's drift margin (1 s by default), and a read every 250 ms costs next to nothing.
inline constexpr std::chrono::milliseconds kLeaseCheckInterval{250};

class LeaseWatch {
 public:
  // Opens the lease file's directory now, before the task's mounts are made: later reads then
  // find the file whatever those mounts cover. `volumes` are named in the reasons.
  static Result<LeaseWatch> open(const std::string& lease_file, std::vector<std::string> volumes);

  LeaseWatch(LeaseWatch&& other) noexcept;
  LeaseWatch& operator=(LeaseWatch&&) = delete;
  LeaseWatch(const LeaseWatch&) = delete;
  ~LeaseWatch();

  // Nothing while the lease holds at `now_ns` (CLOCK_BOOTTIME), else why the task must stop. A
  // lease that cannot be read counts as expired: nothing then says the node may still write.
  std::optional<std::string> check(std::int64_t now_ns) const;

 private:
  LeaseWatch(int dir_fd, std::string path, std::string name, std::vector<std::string> volumes);

  int dir_fd_;
  std::string path_;  // for messages
  std::string name_;  // the file, in dir_fd_
  std::vector<std::string> volumes_;
};

}  // namespace berth
