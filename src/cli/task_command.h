// `berth task ls|kill|logs`: the tasks of Marathon apps (/v2/tasks, /v2/apps/{id}/tasks), and
// the tail of a task's stdout and stderr read from its agent (GET /files/read on the agent's
// port, which the master's /master/tasks and /master/slaves lead to).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "cli/client_options.h"

namespace berth {

struct TaskCommand {
  enum class Verb { kList, kKill, kLogs };
  Verb verb = Verb::kList;
  ClientOptions client;
  std::string app;      // ls: only this app's tasks
  std::string task_id;  // kill, logs
  bool scale = false;   // kill: lower the app's instances instead of replacing the task
  bool wipe = false;    // kill: also forget the task's reservations and local volumes
  bool force = false;   // kill with --scale: override a deployment in the way
  // logs
  bool only_stdout = false;
  bool only_stderr = false;
  int lines = 20;       // 0: the whole file
  bool follow = false;  // keep reading until the task ends
};

CLI::App* add_task_command(CLI::App& berth, TaskCommand& command);
int run_task_command(const TaskCommand& command, std::ostream& out, std::ostream& err);

// The table of Marathon task objects `tasks` (shared with `berth app show`).
void print_tasks(std::ostream& out, const nlohmann::json& tasks);

// The last `lines` lines of `text` (all of it for 0). A final line without its newline counts.
std::string last_lines(const std::string& text, int lines);

}  // namespace berth
