// HealthMonitor on a FakeClock with a fake prober: delay, interval, timeout, the grace period,
// consecutive failures and recovery, HTTP status rules, several checks, and readiness.
#include "agent/health_monitor.h"

#include <gtest/gtest.h>

#include "agent/fake_health_prober.h"
#include "common/fake_clock.h"

namespace berth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Prober = FakeHealthProber;

HealthCheckSpec check(HealthCheckKind kind = HealthCheckKind::kHttp) {
  HealthCheckSpec spec;
  spec.kind = kind;
  spec.port = 31000;
  spec.path = "/health";
  spec.grace_period_ms = 0;
  spec.delay_ms = 1000;
  spec.interval_ms = 2000;
  spec.timeout_ms = 500;
  spec.max_consecutive_failures = 3;
  return spec;
}

class HealthMonitorTest : public ::testing::Test {
 protected:
  HealthMonitorTest()
      : monitor_(clock_, prober_, [this](const std::string& task_id, const std::string& what) {
          changes_.emplace_back(task_id, what);
        }) {}

  void start(std::vector<HealthCheckSpec> checks,
             std::optional<ReadinessCheckSpec> readiness = std::nullopt) {
    TaskSpec spec;
    spec.task_id = "t1";
    spec.environment = {{"PORT0", "31000"}, {"PORT1", "31001"}, {"MESOS_SANDBOX", "/sb/t1"}};
    spec.health_checks = std::move(checks);
    spec.readiness_check = std::move(readiness);
    monitor_.start(spec);
  }

  HealthCheckResult result(std::size_t index = 0) {
    return monitor_.health("t1").results.at(index);
  }

  FakeClock clock_;
  Prober prober_;
  std::vector<std::pair<std::string, std::string>> changes_;
  HealthMonitor monitor_;
};

TEST_F(HealthMonitorTest, FirstProbeAfterDelayThenEveryIntervalAfterTheAnswer) {
  start({check()});
  clock_.advance(milliseconds(999));
  EXPECT_TRUE(prober_.requests.empty());
  clock_.advance(milliseconds(1));
  ASSERT_EQ(prober_.requests.size(), 1u);
  EXPECT_EQ(prober_.requests[0].port, 31000);
  EXPECT_EQ(prober_.requests[0].path, "/health");
  EXPECT_EQ(prober_.requests[0].timeout, milliseconds(500));
  clock_.advance(milliseconds(300));
  ASSERT_TRUE(prober_.answer(Prober::http(200)));
  clock_.advance(milliseconds(1999));
  EXPECT_EQ(prober_.requests.size(), 1u) << "the interval runs from the answer";
  clock_.advance(milliseconds(1));
  EXPECT_EQ(prober_.requests.size(), 2u);
}

TEST_F(HealthMonitorTest, ConsecutiveFailuresGrowAndASuccessResetsThem) {
  start({check()});
  EXPECT_FALSE(monitor_.health("t1").healthy.has_value()) << "no result yet";
  clock_.advance(seconds(1));
  prober_.answer(Prober::http(200));
  EXPECT_EQ(monitor_.health("t1").healthy, std::optional<bool>(true));
  ASSERT_EQ(changes_.size(), 1u);
  EXPECT_EQ(changes_[0].second, "health check 0 (HTTP) passed");
  const auto first_success = result().first_success_ms;
  ASSERT_TRUE(first_success.has_value());

  for (std::uint32_t failures = 1; failures <= 3; ++failures) {
    clock_.advance(seconds(2));
    prober_.answer(Prober::refused());
    EXPECT_EQ(result().consecutive_failures, failures);
    EXPECT_FALSE(result().alive);
  }
  EXPECT_EQ(changes_.size(), 4u) << "every new failure count is reported";
  EXPECT_EQ(changes_.back().second,
            "health check 0 (HTTP) failed: connection refused; 3 consecutive failures");
  EXPECT_EQ(monitor_.health("t1").healthy, std::optional<bool>(false));
  EXPECT_EQ(result().last_failure_cause, "connection refused");
  EXPECT_TRUE(result().last_failure_ms.has_value());

  clock_.advance(seconds(2));
  prober_.answer(Prober::http(204));
  EXPECT_EQ(result().consecutive_failures, 0u);
  EXPECT_TRUE(result().alive);
  EXPECT_EQ(result().first_success_ms, first_success) << "the first success stays the first";
  EXPECT_EQ(changes_.size(), 5u);

  clock_.advance(seconds(2));
  prober_.answer(Prober::http(200));
  EXPECT_EQ(changes_.size(), 5u) << "another success changes nothing worth reporting";
}

TEST_F(HealthMonitorTest, FailuresInTheGracePeriodAreIgnoredUntilTheFirstSuccess) {
  HealthCheckSpec spec = check();
  spec.grace_period_ms = 10000;
  start({spec});
  clock_.advance(seconds(1));
  prober_.answer(Prober::refused());
  clock_.advance(seconds(2));
  prober_.answer(Prober::refused());
  EXPECT_TRUE(changes_.empty());
  EXPECT_EQ(result().consecutive_failures, 0u);
  EXPECT_FALSE(monitor_.health("t1").healthy.has_value());

  clock_.advance(seconds(2));
  prober_.answer(Prober::http(200));
  EXPECT_EQ(monitor_.health("t1").healthy, std::optional<bool>(true));
  // Still inside the grace period, but after a success failures count.
  clock_.advance(seconds(2));
  prober_.answer(Prober::refused());
  EXPECT_EQ(result().consecutive_failures, 1u);
}

TEST_F(HealthMonitorTest, FailuresAfterTheGracePeriodCountWithoutAnySuccess) {
  HealthCheckSpec spec = check();
  spec.grace_period_ms = 4000;
  start({spec});
  clock_.advance(seconds(1));
  prober_.answer(Prober::refused());  // t = 1 s: ignored
  clock_.advance(seconds(2));
  prober_.answer(Prober::refused());  // t = 3 s: ignored
  clock_.advance(seconds(2));
  prober_.answer(Prober::refused());  // t = 5 s: counted
  EXPECT_EQ(result().consecutive_failures, 1u);
  EXPECT_EQ(monitor_.health("t1").healthy, std::optional<bool>(false));
  EXPECT_FALSE(result().first_success_ms.has_value());
}

TEST_F(HealthMonitorTest, AProbeWithoutAnswerFailsAtItsTimeoutAndItsLateAnswerIsDropped) {
  start({check()});
  clock_.advance(seconds(1));
  clock_.advance(milliseconds(499));
  EXPECT_TRUE(changes_.empty());
  clock_.advance(milliseconds(1));
  EXPECT_EQ(result().consecutive_failures, 1u);
  EXPECT_EQ(result().last_failure_cause, "timed out after 500 ms");
  prober_.answer(Prober::http(200));  // too late
  EXPECT_FALSE(result().alive);
  EXPECT_EQ(result().consecutive_failures, 1u);
}

TEST_F(HealthMonitorTest, HttpStatusRules) {
  HealthCheckSpec ignoring = check();
  ignoring.ignore_http1xx = true;
  start({check(), ignoring});
  clock_.advance(seconds(1));
  prober_.answer(Prober::http(302));
  prober_.answer(Prober::http(302));
  EXPECT_TRUE(result(0).alive) << "3xx is healthy";
  clock_.advance(seconds(2));
  prober_.answer(Prober::http(101));
  prober_.answer(Prober::http(101));
  EXPECT_FALSE(result(0).alive) << "1xx is a failure";
  EXPECT_EQ(result(0).last_failure_cause, "HTTP status 101");
  EXPECT_TRUE(result(1).alive) << "1xx is ignored with ignore_http1xx";
  EXPECT_EQ(result(1).consecutive_failures, 0u);
  clock_.advance(seconds(2));
  prober_.answer(Prober::http(500));
  prober_.answer(Prober::http(500));
  EXPECT_EQ(result(1).last_failure_cause, "HTTP status 500");
}

TEST_F(HealthMonitorTest, CommandAndTcpChecks) {
  HealthCheckSpec command = check(HealthCheckKind::kCommand);
  command.command = "test -f /sb/t1/ok";
  HealthCheckSpec tcp = check(HealthCheckKind::kTcp);
  tcp.port = 0;
  tcp.port_index = 1;
  start({command, tcp});
  clock_.advance(seconds(1));
  ASSERT_EQ(prober_.pending.size(), 2u);
  const ProbeRequest& sent = prober_.pending[0].first;
  EXPECT_EQ(sent.kind, HealthCheckKind::kCommand);
  EXPECT_EQ(sent.command, "test -f /sb/t1/ok");
  EXPECT_EQ(sent.sandbox_dir, "/sb/t1");
  EXPECT_EQ(sent.environment.at("PORT0"), "31000");
  EXPECT_EQ(prober_.pending[1].first.port, 31001) << "port index 1 is the task's PORT1";
  prober_.answer(Prober::exited(1));
  prober_.answer(Prober::connected());
  EXPECT_EQ(result(0).last_failure_cause, "command exited with status 1");
  EXPECT_TRUE(result(1).alive);
  EXPECT_EQ(monitor_.health("t1").healthy, std::optional<bool>(false)) << "one check failing";
  clock_.advance(seconds(2));
  prober_.answer(Prober::exited(0));
  prober_.answer(Prober::connected());
  EXPECT_EQ(monitor_.health("t1").healthy, std::optional<bool>(true)) << "all checks alive";
}

TEST_F(HealthMonitorTest, APortIndexTheTaskLacksFailsWithoutProbing) {
  HealthCheckSpec spec = check(HealthCheckKind::kTcp);
  spec.port = 0;
  spec.port_index = 5;
  start({spec});
  clock_.advance(seconds(1));
  EXPECT_TRUE(prober_.requests.empty());
  EXPECT_EQ(result().last_failure_cause, "the task has no port number 5");
}

TEST_F(HealthMonitorTest, OnlyChecksWithAResultDecideHealth) {
  HealthCheckSpec later = check();
  later.delay_ms = 5000;
  start({check(), later});
  clock_.advance(seconds(1));
  prober_.answer(Prober::http(200));
  EXPECT_FALSE(monitor_.health("t1").healthy.has_value()) << "the second has not run yet";
}

TEST_F(HealthMonitorTest, ReadinessIsProbedFromTheStartUntilReady) {
  ReadinessCheckSpec readiness;
  readiness.port_index = 1;
  readiness.path = "/ready";
  readiness.interval_ms = 3000;
  readiness.timeout_ms = 1000;
  readiness.http_status_codes_for_ready = {200, 204};
  start({}, readiness);
  EXPECT_EQ(monitor_.health("t1").ready, std::optional<bool>(false));
  clock_.run_due();
  ASSERT_EQ(prober_.requests.size(), 1u);
  EXPECT_EQ(prober_.requests[0].port, 31001);
  EXPECT_EQ(prober_.requests[0].path, "/ready");
  prober_.answer(Prober::http(503));
  EXPECT_TRUE(changes_.empty());
  clock_.advance(seconds(3));
  prober_.answer(Prober::http(301));  // healthy for a health check, but not a ready code
  EXPECT_EQ(monitor_.health("t1").ready, std::optional<bool>(false));
  clock_.advance(seconds(3));
  prober_.answer(Prober::http(204));
  EXPECT_EQ(monitor_.health("t1").ready, std::optional<bool>(true));
  ASSERT_EQ(changes_.size(), 1u);
  clock_.advance(seconds(30));
  EXPECT_EQ(prober_.requests.size(), 3u) << "no probes once ready";
  EXPECT_EQ(clock_.pending_timers(), 0u);
}

TEST_F(HealthMonitorTest, StopCancelsTimersAndDropsAnswersUnderWay) {
  start({check()});
  clock_.advance(seconds(1));
  monitor_.stop("t1");
  EXPECT_FALSE(monitor_.watching("t1"));
  EXPECT_EQ(clock_.pending_timers(), 0u);
  prober_.answer(Prober::http(200));
  EXPECT_TRUE(changes_.empty());
}

TEST_F(HealthMonitorTest, AnswerAfterTheMonitorIsGoneIsHarmless) {
  auto monitor = std::make_unique<HealthMonitor>(clock_, prober_, [](auto&, auto&) {});
  TaskSpec spec;
  spec.task_id = "t2";
  spec.health_checks = {check()};
  monitor->start(spec);
  clock_.advance(seconds(1));
  monitor.reset();
  EXPECT_TRUE(prober_.answer(Prober::http(200)));
}

TEST_F(HealthMonitorTest, TasksWithoutChecksAreNotWatched) {
  start({});
  EXPECT_FALSE(monitor_.watching("t1"));
  EXPECT_FALSE(monitor_.health("t1").healthy.has_value());
}

}  // namespace
}  // namespace berth
