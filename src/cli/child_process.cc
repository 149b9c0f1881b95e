// Starting, describing and stopping berth dev's processes.
#include "cli/child_process.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

namespace berth {

Status start_child(const std::string& exe, ChildProcess& child) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& arg : child.args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return errno_error("fork", errno);
  if (pid == 0) {
    ::setpgid(0, 0);
    // berth dev blocks the signals it waits for; the child must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(exe.c_str(), argv.data());
    _exit(127);
  }
  ::setpgid(pid, pid);
  child.pid = pid;
  return {};
}

std::string exit_text(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           ::strsignal(WTERMSIG(status)) + ")";
  }
  return "ended (wait status " + std::to_string(status) + ")";
}

void stop_children(std::vector<ChildProcess>& children, int signal,
                   std::chrono::milliseconds patience) {
  for (auto& child : children) {
    if (child.pid > 0) ::kill(child.pid, signal);
  }
  auto deadline = std::chrono::steady_clock::now() + patience;
  for (auto& child : children) {
    while (child.pid > 0) {
      int status = 0;
      pid_t done = ::waitpid(child.pid, &status, WNOHANG);
      if (done == child.pid || (done < 0 && errno == ECHILD)) {
        child.pid = -1;
        break;
      }
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

}  // namespace berth
