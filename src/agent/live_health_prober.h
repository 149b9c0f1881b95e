// LiveHealthProber: the HealthProber of a live agent, on its event loop and never blocking it.
//
// Network checks go to the task's $HOST (the agent's advertised hostname), as Marathon's do:
// a task that listens only on $HOST is healthy; one that listens on every address too.
//
//   HTTP     GET http://<host>:<port><path>, a fresh connection per probe (HttpClient)
//   HTTPS    a TCP connect to the port: Berth has no TLS client yet, and a plain HTTP request
//            to a TLS port would always fail and get a healthy task killed
//   TCP      a connect to <host>:<port> (tcp_probe), closed at once
//   COMMAND  /bin/sh -c <command> with the task's environment, in its sandbox; inside the
//            task's mount and pid namespaces (setns through the supervisor's pidfd) when
//            `task_pidfd` finds one, else on the host; never in the task's cgroup. Its own
//            process group, killed at the timeout; its exit seen through a pidfd on the loop.
//            Output goes to /dev/null.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/health_prober.h"

namespace berth {

class EventLoop;
class HttpClient;

class LiveHealthProber final : public HealthProber {
 public:
  // A pidfd of a process inside the task's namespaces, if the task runs in a container with
  // namespaces of its own. Borrowed: used at once, never kept or closed.
  using TaskPidfd = std::function<std::optional<int>(const std::string& task_id)>;

  // `host`: where the agent's tasks listen, the $HOST they are given.
  explicit LiveHealthProber(EventLoop& loop, TaskPidfd task_pidfd = {},
                            std::string host = "127.0.0.1");
  // Kills the commands still running; their callbacks are not called.
  ~LiveHealthProber() override;
  LiveHealthProber(const LiveHealthProber&) = delete;
  LiveHealthProber& operator=(const LiveHealthProber&) = delete;

  void probe(const ProbeRequest& request, std::function<void(ProbeResult)> done) override;

 private:
  struct Command {
    pid_t pid = 0;
    int pidfd = -1;
    std::uint64_t watch = 0;
    std::uint64_t timer = 0;
    bool timed_out = false;
    bool inside = false;  // in the task's namespaces
    std::chrono::milliseconds timeout{0};
    std::function<void(ProbeResult)> done;
  };

  void probe_http(const ProbeRequest& request, std::function<void(ProbeResult)> done);
  void probe_tcp(const ProbeRequest& request, std::function<void(ProbeResult)> done);
  void probe_command(const ProbeRequest& request, std::function<void(ProbeResult)> done);
  void on_command_exit(std::uint64_t id);

  EventLoop& loop_;
  std::string host_;
  TaskPidfd task_pidfd_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, std::unique_ptr<HttpClient>> clients_;
  std::map<std::uint64_t, Command> commands_;
  // Callbacks from tcp_probe and posted work hold a weak copy: after the prober is gone they do
  // nothing.
  std::shared_ptr<LiveHealthProber*> self_;
};

}  // namespace berth
