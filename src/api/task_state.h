// Task states as Mesos and Marathon name them (TASK_STAGING ... TASK_UNREACHABLE).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth {

enum class TaskState {
  kStaging,   // accepted by the master, sent to the agent
  kStarting,  // the agent is starting it
  kRunning,
  kKilling,      // asked to stop, grace period running
  kFinished,     // exited 0
  kFailed,       // exited non-zero, signalled, over its limits, or could not start
  kKilled,       // stopped on request
  kError,        // the launch request itself was invalid
  kLost,         // the agent does not know it any more
  kUnreachable,  // its agent stopped answering; it may still be running
  kGone,         // its agent is known to be gone for good
  kDropped,      // never reached its agent
  kUnknown,
};

std::string_view to_string(TaskState state);  // "TASK_RUNNING"
std::optional<TaskState> parse_task_state(std::string_view text);
// A terminal state never changes again.
bool is_terminal(TaskState state);

}  // namespace berth
