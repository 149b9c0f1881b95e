// HealthMonitor: the agent's health policy. For every running task with health checks or a
// readiness check it schedules probes on the Clock, judges their results, keeps Marathon's
// per-check counters, and says when something worth reporting changed. It never kills: the
// master's scheduler decides that from the reported counters (consecutive_failures reaching
// max_consecutive_failures > 0). Deterministic: time, probes and reports all come through
// interfaces, so tests drive it on a FakeClock with a fake prober.
//
// One health check of one task:
//
//   start --delay--> probe --result or timeout--> judge --interval--> probe --> ...
//
//   judge:  success ............ alive, failures = 0, last/first success stamped
//           failure, in grace .. ignored (within grace_period of start and no success yet)
//           failure ............ not alive, failures + 1, last failure and its cause stamped
//           HTTP 1xx with ignore_http1xx .. ignored
//
// HTTP(S) is healthy on 200-399, TCP when it connects, COMMAND on exit status 0, each within
// the timeout. A readiness check is probed from the start (no delay), every interval, until an
// answer's status is one of http_status_codes_for_ready; the task is then ready for good.
//
// Reported (through the change callback) whenever a check's alive flag or failure count
// changes, on a first success, and when the task becomes ready. Repeated successes are not
// reported, so last_success_ms as the master sees it is the time of the last reported change.
//
// Threading: the agent's event loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/health_prober.h"
#include "api/agent_protocol.h"
#include "common/clock.h"

namespace berth {

// What a status update says about a task's health.
struct TaskHealth {
  std::optional<bool> healthy;  // unset until every check has a result, or one failed
  std::vector<HealthCheckResult> results;
  std::optional<bool> ready;  // unset without a readiness check
};

class HealthMonitor {
 public:
  // Called after a change worth reporting, with a line for people ("health check 1 (TCP)
  // failed: connection refused; 2 consecutive failures").
  using ChangeCallback = std::function<void(const std::string& task_id, const std::string& what)>;

  HealthMonitor(Clock& clock, HealthProber& prober, ChangeCallback on_change);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  // Starts watching a task that has just started running (no-op if `spec` has no checks, or
  // the task is watched already). Ports given by index are read from its PORT<i> variables;
  // COMMAND checks run in its MESOS_SANDBOX with its environment.
  void start(const TaskSpec& spec);
  // Stops probing; results of probes still under way are dropped.
  void stop(const std::string& task_id);
  bool watching(const std::string& task_id) const { return tasks_.count(task_id) != 0; }
  // The current health of a watched task; empty for others.
  TaskHealth health(const std::string& task_id) const;

 private:
  struct Check {
    HealthCheckSpec spec;
    std::uint16_t port = 0;  // resolved; 0 if the task has no such port
    HealthCheckResult result;
    TimerId next_timer = 0;     // the next probe
    TimerId timeout_timer = 0;  // the probe under way
    std::uint64_t probe = 0;    // id of the probe under way, 0 if none
  };
  struct Readiness {
    ReadinessCheckSpec spec;
    std::uint16_t port = 0;
    bool ready = false;
    TimerId next_timer = 0;
    TimerId timeout_timer = 0;
    std::uint64_t probe = 0;
  };
  struct Watched {
    std::string task_id;
    std::map<std::string, std::string> environment;
    std::string sandbox_dir;
    Instant started;
    std::vector<Check> checks;
    std::optional<Readiness> readiness;
  };

  void probe_check(const std::string& task_id, std::size_t index);
  void on_check_result(const std::string& task_id, std::size_t index, std::uint64_t probe,
                       const ProbeResult& result);
  void probe_readiness(const std::string& task_id);
  void on_readiness_result(const std::string& task_id, std::uint64_t probe,
                           const ProbeResult& result);
  Watched* find(const std::string& task_id);
  std::int64_t wall_ms() const;

  Clock& clock_;
  HealthProber& prober_;
  ChangeCallback on_change_;
  std::map<std::string, Watched> tasks_;
  std::uint64_t next_probe_ = 1;
  // Probe callbacks hold a weak copy: a prober that answers after the monitor is gone finds it
  // expired instead of touching freed memory.
  std::shared_ptr<HealthMonitor*> self_;
};

}  // namespace berth
