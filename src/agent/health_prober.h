// HealthProber: runs one probe of a task's health or readiness check and reports what it saw.
// It judges nothing: HealthMonitor decides what counts as healthy, ready or ignored, and also
// enforces the timeout on its own clock, so a prober that never answers is a failed probe.
// LiveHealthProber (live_health_prober.h) does real HTTP requests, TCP connects and commands;
// unit tests use a fake that answers when the test says so.
//
// Threading: probe() is called on the agent's event loop; `done` must run on it too, once, and
// may run inside probe() itself.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "api/agent_protocol.h"
#include "common/clock.h"

namespace berth {

struct ProbeRequest {
  HealthCheckKind kind = HealthCheckKind::kHttp;
  std::string task_id;
  std::uint16_t port = 0;                          // HTTP, HTTPS, TCP: on 127.0.0.1
  std::string path = "/";                          // HTTP, HTTPS
  std::string command;                             // COMMAND: /bin/sh -c <command>
  std::map<std::string, std::string> environment;  // COMMAND: the task's
  std::string sandbox_dir;                         // COMMAND: its working directory
  Duration timeout = std::chrono::seconds(20);     // give up (and kill the command) after this
};

struct ProbeResult {
  // HTTP(S): a response arrived; TCP: the connection was accepted; COMMAND: it exited.
  bool completed = false;
  int http_status = 0;  // HTTP(S)
  int exit_code = -1;   // COMMAND: its exit status, -1 if killed by a signal
  std::string error;    // when not completed: "connection refused", "timed out after 2 s"
};

class HealthProber {
 public:
  virtual ~HealthProber() = default;
  virtual void probe(const ProbeRequest& request, std::function<void(ProbeResult)> done) = 0;
};

}  // namespace berth
