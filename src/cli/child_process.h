// The processes `berth dev` starts: each in its own process group (so that a Ctrl-C reaches only
// berth dev, which then stops them in order), and what their exit status means to a person.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth {

// One process of the dev cluster, with the arguments that start it again.
struct ChildProcess {
  std::string name;  // "master", "agent 2 (127.0.0.3)"
  std::vector<std::string> args;
  pid_t pid = -1;  // -1: not running
};

// Starts `exe` with `child.args` and records its pid; stdout and stderr are inherited.
Status start_child(const std::string& exe, ChildProcess& child);

// "exited with status 1", "was killed by signal 9 (Killed)": `status` as waitpid() gives it.
std::string exit_text(int status);

// Sends `signal` to every child still running and waits up to `patience` for them to exit.
void stop_children(std::vector<ChildProcess>& children, int signal,
                   std::chrono::milliseconds patience);

}  // namespace berth
