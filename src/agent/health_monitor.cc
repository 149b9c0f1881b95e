// HealthMonitor: probe scheduling, judging and Marathon's per-check counters.
#include "agent/health_monitor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

namespace berth {
namespace {

using std::chrono::milliseconds;

enum class Verdict { kHealthy, kUnhealthy, kIgnored };

struct Judgement {
  Verdict verdict;
  std::string cause;  // for kUnhealthy
};

Judgement judge(const HealthCheckSpec& spec, const ProbeResult& result) {
  if (!result.completed) {
    return {Verdict::kUnhealthy, result.error.empty() ? "no answer" : result.error};
  }
  switch (spec.kind) {
    case HealthCheckKind::kHttp:
    case HealthCheckKind::kHttps:
      if (result.http_status >= 100 && result.http_status < 200 && spec.ignore_http1xx) {
        return {Verdict::kIgnored, ""};
      }
      if (result.http_status >= 200 && result.http_status < 400) return {Verdict::kHealthy, ""};
      return {Verdict::kUnhealthy, "HTTP status " + std::to_string(result.http_status)};
    case HealthCheckKind::kTcp:
      return {Verdict::kHealthy, ""};
    case HealthCheckKind::kCommand:
      if (result.exit_code == 0) return {Verdict::kHealthy, ""};
      if (result.exit_code < 0) return {Verdict::kUnhealthy, "command killed by a signal"};
      return {Verdict::kUnhealthy,
              "command exited with status " + std::to_string(result.exit_code)};
  }
  return {Verdict::kUnhealthy, "unknown check kind"};
}

// `port` itself, or the task's PORT<index> when it is 0; 0 if the task has no such port.
std::uint16_t resolve_port(std::uint16_t port, std::uint32_t index,
                           const std::map<std::string, std::string>& environment) {
  if (port != 0) return port;
  auto it = environment.find("PORT" + std::to_string(index));
  if (it == environment.end()) return 0;
  unsigned value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return 0;
  return static_cast<std::uint16_t>(value);
}

milliseconds ms(std::int64_t value) { return milliseconds(std::max<std::int64_t>(value, 0)); }

std::string seconds_text(std::int64_t millis) {
  if (millis % 1000 == 0) return std::to_string(millis / 1000) + " s";
  return std::to_string(millis) + " ms";
}

std::string check_name(std::size_t index, const HealthCheckSpec& spec) {
  return "health check " + std::to_string(index) + " (" + std::string(to_string(spec.kind)) + ")";
}

}  // namespace

HealthMonitor::HealthMonitor(Clock& clock, HealthProber& prober, ChangeCallback on_change)
    : clock_(clock),
      prober_(prober),
      on_change_(std::move(on_change)),
      self_(std::make_shared<HealthMonitor*>(this)) {}

HealthMonitor::~HealthMonitor() {
  std::vector<std::string> ids;
  for (const auto& [id, task] : tasks_) ids.push_back(id);
  for (const auto& id : ids) stop(id);
}

void HealthMonitor::start(const TaskSpec& spec) {
  if (spec.health_checks.empty() && !spec.readiness_check) return;
  if (watching(spec.task_id)) return;
  const std::string& id = spec.task_id;
  Watched& task = tasks_[id];
  task.task_id = id;
  task.environment = spec.environment;
  if (auto it = spec.environment.find("MESOS_SANDBOX"); it != spec.environment.end()) {
    task.sandbox_dir = it->second;
  }
  task.started = clock_.now();
  for (std::size_t i = 0; i < spec.health_checks.size(); ++i) {
    Check check;
    check.spec = spec.health_checks[i];
    check.port = resolve_port(check.spec.port, check.spec.port_index, spec.environment);
    check.next_timer =
        clock_.schedule(ms(check.spec.delay_ms), [this, id, i] { probe_check(id, i); });
    task.checks.push_back(std::move(check));
  }
  if (spec.readiness_check) {
    Readiness readiness;
    readiness.spec = *spec.readiness_check;
    readiness.port = resolve_port(readiness.spec.port, readiness.spec.port_index, spec.environment);
    readiness.next_timer = clock_.schedule(Duration::zero(), [this, id] { probe_readiness(id); });
    task.readiness = std::move(readiness);
  }
}

void HealthMonitor::stop(const std::string& task_id) {
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return;
  for (const auto& check : it->second.checks) {
    clock_.cancel(check.next_timer);
    clock_.cancel(check.timeout_timer);
  }
  if (it->second.readiness) {
    clock_.cancel(it->second.readiness->next_timer);
    clock_.cancel(it->second.readiness->timeout_timer);
  }
  tasks_.erase(it);
}

TaskHealth HealthMonitor::health(const std::string& task_id) const {
  TaskHealth health;
  auto it = tasks_.find(task_id);
  if (it == tasks_.end()) return health;
  bool all_alive = !it->second.checks.empty();
  bool any_failed = false;
  for (const auto& check : it->second.checks) {
    health.results.push_back(check.result);
    all_alive = all_alive && check.result.alive;
    any_failed = any_failed || (!check.result.alive && check.result.consecutive_failures > 0);
  }
  if (any_failed) {
    health.healthy = false;
  } else if (all_alive) {
    health.healthy = true;
  }
  if (it->second.readiness) health.ready = it->second.readiness->ready;
  return health;
}

HealthMonitor::Watched* HealthMonitor::find(const std::string& task_id) {
  auto it = tasks_.find(task_id);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::int64_t HealthMonitor::wall_ms() const {
  return std::chrono::duration_cast<milliseconds>(clock_.wall().time_since_epoch()).count();
}

void HealthMonitor::probe_check(const std::string& task_id, std::size_t index) {
  Watched* task = find(task_id);
  if (task == nullptr) return;
  Check& check = task->checks[index];
  check.next_timer = 0;
  const std::uint64_t probe = next_probe_++;
  check.probe = probe;
  if (check.spec.kind != HealthCheckKind::kCommand && check.port == 0) {
    ProbeResult missing;
    missing.error = "the task has no port number " + std::to_string(check.spec.port_index);
    on_check_result(task_id, index, probe, missing);
    return;
  }
  const std::int64_t timeout = check.spec.timeout_ms;
  check.timeout_timer = clock_.schedule(ms(timeout), [this, task_id, index, probe, timeout] {
    if (Watched* watched = find(task_id)) watched->checks[index].timeout_timer = 0;
    ProbeResult late;
    late.error = "timed out after " + seconds_text(timeout);
    on_check_result(task_id, index, probe, late);
  });
  ProbeRequest request;
  request.kind = check.spec.kind;
  request.task_id = task_id;
  request.port = check.port;
  request.path = check.spec.path;
  request.command = check.spec.command;
  request.environment = task->environment;
  request.sandbox_dir = task->sandbox_dir;
  request.timeout = ms(timeout);
  std::weak_ptr<HealthMonitor*> weak = self_;
  prober_.probe(request, [weak, task_id, index, probe](ProbeResult result) {
    if (auto self = weak.lock()) (*self)->on_check_result(task_id, index, probe, result);
  });
}

void HealthMonitor::on_check_result(const std::string& task_id, std::size_t index,
                                    std::uint64_t probe, const ProbeResult& probed) {
  Watched* task = find(task_id);
  if (task == nullptr || index >= task->checks.size()) return;
  Check& check = task->checks[index];
  if (check.probe != probe) return;  // a late answer to a probe that already timed out
  check.probe = 0;
  if (check.timeout_timer != 0) {
    clock_.cancel(check.timeout_timer);
    check.timeout_timer = 0;
  }
  const HealthCheckResult before = check.result;
  HealthCheckResult& result = check.result;
  const Judgement judgement = judge(check.spec, probed);
  std::string what;
  if (judgement.verdict == Verdict::kHealthy) {
    const std::int64_t now = wall_ms();
    result.alive = true;
    result.consecutive_failures = 0;
    result.last_success_ms = now;
    if (!result.first_success_ms) result.first_success_ms = now;
    what = check_name(index, check.spec) + " passed";
  } else if (judgement.verdict == Verdict::kUnhealthy) {
    const bool in_grace =
        !result.first_success_ms && clock_.now() - task->started < ms(check.spec.grace_period_ms);
    if (in_grace) {
      spdlog::debug("task {}: {} failed in its grace period: {}", task_id,
                    check_name(index, check.spec), judgement.cause);
    } else {
      result.alive = false;
      result.consecutive_failures += 1;
      result.last_failure_ms = wall_ms();
      result.last_failure_cause = judgement.cause;
      what = check_name(index, check.spec) + " failed: " + judgement.cause + "; " +
             std::to_string(result.consecutive_failures) + " consecutive failure" +
             (result.consecutive_failures == 1 ? "" : "s");
    }
  }
  check.next_timer = clock_.schedule(ms(check.spec.interval_ms),
                                     [this, task_id, index] { probe_check(task_id, index); });
  const bool changed = before.alive != result.alive ||
                       before.consecutive_failures != result.consecutive_failures ||
                       before.first_success_ms != result.first_success_ms;
  // Last: the callback may stop this task.
  if (changed) on_change_(task_id, what);
}

void HealthMonitor::probe_readiness(const std::string& task_id) {
  Watched* task = find(task_id);
  if (task == nullptr || !task->readiness) return;
  Readiness& readiness = *task->readiness;
  readiness.next_timer = 0;
  const std::uint64_t probe = next_probe_++;
  readiness.probe = probe;
  if (readiness.port == 0) {
    ProbeResult missing;
    missing.error = "the task has no port number " + std::to_string(readiness.spec.port_index);
    on_readiness_result(task_id, probe, missing);
    return;
  }
  const std::int64_t timeout = readiness.spec.timeout_ms;
  readiness.timeout_timer = clock_.schedule(ms(timeout), [this, task_id, probe, timeout] {
    if (Watched* watched = find(task_id); watched != nullptr && watched->readiness) {
      watched->readiness->timeout_timer = 0;
    }
    ProbeResult late;
    late.error = "timed out after " + seconds_text(timeout);
    on_readiness_result(task_id, probe, late);
  });
  ProbeRequest request;
  request.kind = readiness.spec.https ? HealthCheckKind::kHttps : HealthCheckKind::kHttp;
  request.task_id = task_id;
  request.port = readiness.port;
  request.path = readiness.spec.path;
  request.timeout = ms(timeout);
  std::weak_ptr<HealthMonitor*> weak = self_;
  prober_.probe(request, [weak, task_id, probe](ProbeResult result) {
    if (auto self = weak.lock()) (*self)->on_readiness_result(task_id, probe, result);
  });
}

void HealthMonitor::on_readiness_result(const std::string& task_id, std::uint64_t probe,
                                        const ProbeResult& probed) {
  Watched* task = find(task_id);
  if (task == nullptr || !task->readiness) return;
  Readiness& readiness = *task->readiness;
  if (readiness.probe != probe) return;
  readiness.probe = 0;
  if (readiness.timeout_timer != 0) {
    clock_.cancel(readiness.timeout_timer);
    readiness.timeout_timer = 0;
  }
  const auto& codes = readiness.spec.http_status_codes_for_ready;
  if (probed.completed &&
      std::find(codes.begin(), codes.end(), probed.http_status) != codes.end()) {
    readiness.ready = true;
    on_change_(task_id, "readiness check " + readiness.spec.name + " passed");
    return;
  }
  spdlog::debug(
      "task {}: not ready yet: {}", task_id,
      probed.completed ? "HTTP status " + std::to_string(probed.http_status) : probed.error);
  readiness.next_timer = clock_.schedule(ms(readiness.spec.interval_ms),
                                         [this, task_id] { probe_readiness(task_id); });
}

}  // namespace berth
