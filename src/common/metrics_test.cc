// The registry's text exposition, line by line as Prometheus reads it.
#include "common/metrics.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(MetricsTest, CountersAndGaugesRenderWithHelpTypeAndLabels) {
  MetricsRegistry registry;
  registry.counter("berth_requests_total", "Requests.", {{"route", "/v2/apps"}, {"code", "200"}})
      .inc();
  registry.counter("berth_requests_total", "Requests.", {{"route", "/v2/apps"}, {"code", "200"}})
      .inc(2);
  registry.counter("berth_requests_total", "Requests.", {{"route", "/ping"}, {"code", "200"}})
      .inc();
  registry.gauge("berth_up", "Whether it is up.").set(1);
  EXPECT_EQ(registry.render(),
            "# HELP berth_requests_total Requests.\n"
            "# TYPE berth_requests_total counter\n"
            "berth_requests_total{route=\"/ping\",code=\"200\"} 1\n"
            "berth_requests_total{route=\"/v2/apps\",code=\"200\"} 3\n"
            "# HELP berth_up Whether it is up.\n"
            "# TYPE berth_up gauge\n"
            "berth_up 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  MetricsRegistry registry;
  Histogram& h = registry.histogram("lat_seconds", "Latency.", {0.01, 0.1, 1}, {{"r", "a"}});
  h.observe(0.005);
  h.observe(0.01);  // a bound is inclusive
  h.observe(0.5);
  h.observe(7);
  EXPECT_EQ(registry.render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{r=\"a\",le=\"0.01\"} 2\n"
            "lat_seconds_bucket{r=\"a\",le=\"0.1\"} 2\n"
            "lat_seconds_bucket{r=\"a\",le=\"1\"} 3\n"
            "lat_seconds_bucket{r=\"a\",le=\"+Inf\"} 4\n"
            "lat_seconds_sum{r=\"a\"} 7.515\n"
            "lat_seconds_count{r=\"a\"} 4\n");
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry registry;
  registry.gauge("g", "line\nbreak \\ here", {{"path", "a\"b\\c\nd"}}).set(0.25);
  EXPECT_EQ(registry.render(),
            "# HELP g line\\nbreak \\\\ here\n"
            "# TYPE g gauge\n"
            "g{path=\"a\\\"b\\\\c\\nd\"} 0.25\n");
}

TEST(MetricsTest, CollectorsRunBeforeEachRender) {
  MetricsRegistry registry;
  int state = 0;
  registry.on_collect([&] { registry.gauge("tasks", "Tasks.").set(++state); });
  EXPECT_NE(registry.render().find("tasks 1\n"), std::string::npos);
  EXPECT_NE(registry.render().find("tasks 2\n"), std::string::npos);
}

TEST(MetricsTest, SeriesReferencesStayValidAsOthersAreAdded) {
  MetricsRegistry registry;
  Counter& first = registry.counter("c", "C.", {{"k", "0"}});
  for (int i = 1; i < 100; ++i) registry.counter("c", "C.", {{"k", std::to_string(i)}}).inc();
  first.inc(5);
  EXPECT_EQ(registry.counter("c", "C.", {{"k", "0"}}).value(), 5);
}

TEST(MetricsDeathTest, OneNameAsTwoTypesAborts) {
  MetricsRegistry registry;
  registry.counter("x", "X.");
  EXPECT_DEATH(registry.gauge("x", "X."), "both counter and gauge");
}

}  // namespace
}  // namespace berth
