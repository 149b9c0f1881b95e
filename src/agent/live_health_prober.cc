// LiveHealthProber: HTTP through HttpClient, TCP through tcp_probe, commands as child processes
// watched through pidfds.
#include "agent/live_health_prober.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

constexpr char kLoopback[] = "127.0.0.1";

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

milliseconds timeout_of(const ProbeRequest& request) {
  return std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(request.timeout));
}

ProbeResult failure(std::string error) {
  ProbeResult result;
  result.error = std::move(error);
  return result;
}

}  // namespace

LiveHealthProber::LiveHealthProber(EventLoop& loop, TaskPid task_pid)
    : loop_(loop),
      task_pid_(std::move(task_pid)),
      self_(std::make_shared<LiveHealthProber*>(this)) {
  for (const char* path : {"/usr/bin/nsenter", "/bin/nsenter", "/usr/sbin/nsenter"}) {
    if (::access(path, X_OK) == 0) {
      nsenter_ = path;
      break;
    }
  }
  if (task_pid_ && nsenter_.empty()) {
    spdlog::warn(
        "nsenter is not installed: COMMAND health checks run outside the tasks' "
        "namespaces");
  }
}

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
  client = std::make_unique<HttpClient>(loop_, kLoopback, request.port);
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
  tcp_probe(loop_, kLoopback, request.port, timeout_of(request),
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
  std::vector<std::string> args;
  std::optional<pid_t> target = task_pid_ ? task_pid_(request.task_id) : std::nullopt;
  const bool inside = target.has_value() && !nsenter_.empty();
  if (inside) {
    args = {nsenter_, "--target=" + std::to_string(*target), "--mount", "--pid"};
    if (!request.sandbox_dir.empty()) args.push_back("--wd=" + request.sandbox_dir);
    args.push_back("--");
  }
  for (const char* arg : {"/bin/sh", "-c"}) args.emplace_back(arg);
  args.push_back(request.command);
  std::vector<std::string> env_strings;
  for (const auto& [key, value] : request.environment) env_strings.push_back(key + "=" + value);
  if (request.environment.count("PATH") == 0) {
    env_strings.emplace_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& entry : env_strings) envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, 1, 2);
  ::posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  if (!inside && !request.sandbox_dir.empty()) {
    ::posix_spawn_file_actions_addchdir_np(&actions, request.sandbox_dir.c_str());
  }
  posix_spawnattr_t attributes;
  ::posix_spawnattr_init(&attributes);
  // Its own process group, so that the timeout kills the whole command; default signal
  // dispositions and an empty mask, whatever the agent uses.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&attributes, &none);
  ::posix_spawnattr_setsigdefault(&attributes, &all);
  ::posix_spawnattr_setpgroup(&attributes, 0);
  ::posix_spawnattr_setflags(
      &attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
  ::posix_spawn_file_actions_destroy(&actions);
  ::posix_spawnattr_destroy(&attributes);
  std::weak_ptr<LiveHealthProber*> weak = self_;
  if (spawned != 0) {
    const std::string why = "run the command: " + std::string(std::strerror(spawned));
    loop_.post([weak, why, done = std::move(done)] {
      if (weak.lock()) done(failure(why));
    });
    return;
  }
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
  } else {
    result.completed = true;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  auto done = std::move(command.done);
  commands_.erase(it);
  done(result);
}

}  // namespace berth
