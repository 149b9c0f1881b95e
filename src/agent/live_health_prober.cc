// LiveHealthProber: HTTP through HttpClient, TCP through tcp_probe, commands as child processes
// watched through pidfds.
#include "agent/live_health_prober.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "http/event_loop.h"
#include "http/http_client.h"
#include "http/tcp_probe.h"

namespace berth {
namespace {

using std::chrono::milliseconds;

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

milliseconds timeout_of(const ProbeRequest& request) {
  return std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(request.timeout));
}

// The exit status of the child when it could not join the task's namespaces.
constexpr int kEnterFailed = 125;

struct CheckChild {
  char* const* argv;
  char* const* envp;
  const char* sandbox;  // may be null
  int target_pidfd;     // a process in the task's namespaces, or -1
};

[[noreturn]] void exec_check(const CheckChild& child) {
  if (child.sandbox != nullptr && ::chdir(child.sandbox) != 0) ::_exit(kEnterFailed);
  ::execve(child.argv[0], child.argv, child.envp);
  ::_exit(127);
}

// The forked child: async-signal-safe calls only. Joins the task's mount and pid namespaces
// when it has a target (the pid namespace applies to children, hence the second fork, whose
// exit status this process then passes on) and runs the command.
[[noreturn]] void run_check_child(const CheckChild& child) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
  const int devnull = ::open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
  }
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (child.target_pidfd < 0) exec_check(child);
  if (::setns(child.target_pidfd, CLONE_NEWNS | CLONE_NEWPID) != 0) ::_exit(kEnterFailed);
  const pid_t inner = ::fork();
  if (inner < 0) ::_exit(kEnterFailed);
  if (inner == 0) exec_check(child);
  int status = 0;
  while (::waitpid(inner, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) ::_exit(WEXITSTATUS(status));
  ::kill(::getpid(), WTERMSIG(status));
  ::_exit(128 + WTERMSIG(status));
}

ProbeResult failure(std::string error) {
  ProbeResult result;
  result.error = std::move(error);
  return result;
}

}  // namespace

LiveHealthProber::LiveHealthProber(EventLoop& loop, TaskPidfd task_pidfd, std::string host)
    : loop_(loop),
      host_(std::move(host)),
      task_pidfd_(std::move(task_pidfd)),
      self_(std::make_shared<LiveHealthProber*>(this)) {}

LiveHealthProber::~LiveHealthProber() {
  for (auto& [id, command] : commands_) {
    loop_.unwatch(command.watch);
    loop_.clock().cancel(command.timer);
    ::kill(-command.pid, SIGKILL);
    // Our child: reap it (it dies at once from SIGKILL), so that no zombie is left behind.
    while (::waitpid(command.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    ::close(command.pidfd);
  }
}

void LiveHealthProber::probe(const ProbeRequest& request, std::function<void(ProbeResult)> done) {
  switch (request.kind) {
    case HealthCheckKind::kHttp:
      return probe_http(request, std::move(done));
    case HealthCheckKind::kHttps:
    case HealthCheckKind::kTcp:
      return probe_tcp(request, std::move(done));
    case HealthCheckKind::kCommand:
      return probe_command(request, std::move(done));
  }
}

void LiveHealthProber::probe_http(const ProbeRequest& request,
                                  std::function<void(ProbeResult)> done) {
  const std::uint64_t id = next_id_++;
  auto& client = clients_[id];
  client = std::make_unique<HttpClient>(loop_, host_, request.port);
  ClientRequest get;
  get.method = "GET";
  get.target = request.path.empty() ? "/" : request.path;
  get.timeout = timeout_of(request);
  std::weak_ptr<LiveHealthProber*> weak = self_;
  client->request(get, [this, weak, id, done = std::move(done)](Result<HttpResponse> response) {
    // The client goes once its callback has returned, not from inside it.
    loop_.post([weak, id] {
      if (auto self = weak.lock()) (*self)->clients_.erase(id);
    });
    ProbeResult result;
    if (response.ok()) {
      result.completed = true;
      result.http_status = response->status;
    } else {
      result.error = response.error().message;
    }
    done(result);
  });
}

void LiveHealthProber::probe_tcp(const ProbeRequest& request,
                                 std::function<void(ProbeResult)> done) {
  std::weak_ptr<LiveHealthProber*> weak = self_;
  tcp_probe(loop_, host_, request.port, timeout_of(request),
            [weak, done = std::move(done)](Status connected) {
              if (!weak.lock()) return;
              ProbeResult result;
              result.completed = connected.ok();
              if (!connected.ok()) result.error = connected.error().message;
              done(result);
            });
}

void LiveHealthProber::probe_command(const ProbeRequest& request,
                                     std::function<void(ProbeResult)> done) {
  // Everything the child needs is prepared here: after fork() in this multi-threaded process it
  // may only make async-signal-safe calls.
  std::string shell = "/bin/sh", dash_c = "-c", command_text = request.command;
  char* argv[] = {shell.data(), dash_c.data(), command_text.data(), nullptr};
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : request.environment) env_strings.push_back(key + "=" + value);
  if (request.environment.count("PATH") == 0) {
    env_strings.emplace_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);
  CheckChild child;
  child.argv = argv;
  child.envp = envp.data();
  child.sandbox = request.sandbox_dir.empty() ? nullptr : request.sandbox_dir.c_str();
  child.target_pidfd = -1;
  if (task_pidfd_) {
    if (auto pidfd = task_pidfd_(request.task_id)) child.target_pidfd = *pidfd;
  }

  std::weak_ptr<LiveHealthProber*> weak = self_;
  const pid_t pid = ::fork();
  if (pid == 0) run_check_child(child);
  if (pid < 0) {
    const std::string why = "fork: " + std::string(std::strerror(errno));
    loop_.post([weak, why, done = std::move(done)] {
      if (weak.lock()) done(failure(why));
    });
    return;
  }
  // Also in the parent, so that a kill of the group right away cannot miss the child.
  ::setpgid(pid, pid);
  const int pidfd = pidfd_open(pid);
  if (pidfd < 0) {
    const int err = errno;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    const std::string why = "pidfd_open: " + std::string(std::strerror(err));
    loop_.post([weak, why, done = std::move(done)] {
      if (weak.lock()) done(failure(why));
    });
    return;
  }
  const std::uint64_t id = next_id_++;
  Command& command = commands_[id];
  command.pid = pid;
  command.pidfd = pidfd;
  command.inside = child.target_pidfd >= 0;
  command.timeout = timeout_of(request);
  command.done = std::move(done);
  command.watch = loop_.watch_readable(pidfd, [this, id] { on_command_exit(id); });
  command.timer = loop_.clock().schedule(command.timeout, [this, id] {
    auto it = commands_.find(id);
    if (it == commands_.end()) return;
    it->second.timer = 0;
    it->second.timed_out = true;
    ::kill(-it->second.pid, SIGKILL);  // its exit then arrives through the pidfd
  });
}

void LiveHealthProber::on_command_exit(std::uint64_t id) {
  auto it = commands_.find(id);
  if (it == commands_.end()) return;
  Command& command = it->second;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(command.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      info.si_pid == 0) {
    // Woken without an exit: watch again.
    command.watch = loop_.watch_readable(command.pidfd, [this, id] { on_command_exit(id); });
    return;
  }
  // Whatever the shell left behind in its group goes with it; while the shell is an unreaped
  // zombie its pid, and so the group's id, cannot be reused.
  ::kill(-command.pid, SIGKILL);
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(command.pid, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  ::close(command.pidfd);
  if (command.timer != 0) loop_.clock().cancel(command.timer);
  ProbeResult result;
  if (command.timed_out) {
    result.error = "timed out after " + std::to_string(command.timeout.count()) + " ms";
  } else if (reaped < 0) {
    result.error = "wait for the command: " + std::string(std::strerror(errno));
  } else if (command.inside && WIFEXITED(status) && WEXITSTATUS(status) == kEnterFailed) {
    result.error = "could not enter the task's namespaces or sandbox";
  } else {
    result.completed = true;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  auto done = std::move(command.done);
  commands_.erase(it);
  done(result);
}

}  // namespace berth
