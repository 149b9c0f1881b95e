// Names of task states.
#include "api/task_state.h"

#include <array>
#include <utility>

namespace berth {
namespace {

constexpr std::array<std::pair<TaskState, std::string_view>, 13> kNames = {{
    {TaskState::kStaging, "TASK_STAGING"},
    {TaskState::kStarting, "TASK_STARTING"},
    {TaskState::kRunning, "TASK_RUNNING"},
    {TaskState::kKilling, "TASK_KILLING"},
    {TaskState::kFinished, "TASK_FINISHED"},
    {TaskState::kFailed, "TASK_FAILED"},
    {TaskState::kKilled, "TASK_KILLED"},
    {TaskState::kError, "TASK_ERROR"},
    {TaskState::kLost, "TASK_LOST"},
    {TaskState::kUnreachable, "TASK_UNREACHABLE"},
    {TaskState::kGone, "TASK_GONE"},
    {TaskState::kDropped, "TASK_DROPPED"},
    {TaskState::kUnknown, "TASK_UNKNOWN"},
}};

}  // namespace

std::string_view to_string(TaskState state) {
  for (const auto& [value, name] : kNames) {
    if (value == state) return name;
  }
  return "TASK_UNKNOWN";
}

std::optional<TaskState> parse_task_state(std::string_view text) {
  for (const auto& [value, name] : kNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

bool is_terminal(TaskState state) {
  switch (state) {
    case TaskState::kFinished:
    case TaskState::kFailed:
    case TaskState::kKilled:
    case TaskState::kError:
    case TaskState::kLost:
    case TaskState::kGone:
    case TaskState::kDropped:
      return true;
    default:
      return false;
  }
}

}  // namespace berth
