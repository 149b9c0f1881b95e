// MetricsRegistry: a small Prometheus registry (counters, gauges, histograms with fixed buckets,
// optional labels) rendered in the text exposition format 0.0.4 for `GET /metrics`.
//
// Series are created on first use and live as long as the registry; the references handed out
// stay valid. Values that are cheaper to read from state than to track (tasks by state, agents
// by status) are set by collectors, which render() runs first.
//
// Threading: one event loop. Nothing here is synchronised; call it from the loop that owns it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace berth {

// Label names and values, in the order they are rendered.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double by = 1) { value_ += by; }
  // For a counter mirrored from something that counts by itself; the total never decreases.
  void set_total(double total) { value_ = total; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Gauge {
 public:
  void set(double value) { value_ = value; }
  void inc(double by = 1) { value_ += by; }
  void dec(double by = 1) { value_ -= by; }
  double value() const { return value_; }

 private:
  double value_ = 0;
};

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, increasing; +Inf is implied.
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count of observations <= bounds()[i]; count() is the +Inf bucket.
  std::uint64_t cumulative(std::size_t i) const;
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

class MetricsRegistry {
 public:
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // The series of family `name` with `labels`. The first call for a name fixes its help text,
  // type and (for histograms) buckets; asking for one name as two types is a programming error
  // and aborts.
  Counter& counter(const std::string& name, const std::string& help,
                   const MetricLabels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const MetricLabels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       const std::vector<double>& bounds, const MetricLabels& labels = {});

  // Runs before every render(), in the order added, to set gauges from current state.
  void on_collect(std::function<void()> fn);

  // Every family, sorted by name, in the text format 0.0.4.
  std::string render();

  // Seconds: 1 ms .. 10 s, for request and delivery latencies.
  static std::vector<double> latency_buckets();

  static constexpr char kContentType[] = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Family;
  Family& family(const std::string& name, const std::string& help, int type);

  std::map<std::string, std::unique_ptr<Family>> families_;
  std::vector<std::function<void()>> collectors_;
};

}  // namespace berth
