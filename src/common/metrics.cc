// The Prometheus registry and its text exposition (format 0.0.4).
#include "common/metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

namespace berth {
namespace {

enum Type { kCounter, kGauge, kHistogram };

const char* type_name(int type) {
  switch (type) {
    case kCounter:
      return "counter";
    case kGauge:
      return "gauge";
    default:
      return "histogram";
  }
}

// Prometheus' number syntax: integers without a fraction, +Inf/-Inf/NaN spelled its way.
std::string number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char text[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(text, sizeof text, "%.0f", value);
  } else {
    std::snprintf(text, sizeof text, "%.17g", value);
    // Prefer the shortest text that reads back as the same number.
    for (int digits = 1; digits < 17; ++digits) {
      char shorter[32];
      std::snprintf(shorter, sizeof shorter, "%.*g", digits, value);
      if (std::strtod(shorter, nullptr) == value) {
        return shorter;
      }
    }
  }
  return text;
}

void append_escaped(std::string& out, const std::string& text, bool quote_too) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote_too) {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
}

// `{a="1",b="2"}` with `extra` (le="...") last; "" when there are no labels at all.
std::string label_text(const MetricLabels& labels, const std::string& extra_name = "",
                       const std::string& extra_value = "") {
  if (labels.empty() && extra_name.empty()) return "";
  std::string out = "{";
  bool first = true;
  auto add = [&](const std::string& name, const std::string& value) {
    if (!first) out += ",";
    first = false;
    out += name;
    out += "=\"";
    append_escaped(out, value, true);
    out += "\"";
  };
  for (const auto& [name, value] : labels) add(name, value);
  if (!extra_name.empty()) add(extra_name, extra_value);
  out += "}";
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::observe(double value) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (it != bounds_.end()) ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
  ++count_;
  sum_ += value;
}

std::uint64_t Histogram::cumulative(std::size_t i) const {
  std::uint64_t total = 0;
  for (std::size_t j = 0; j <= i && j < counts_.size(); ++j) total += counts_[j];
  return total;
}

struct MetricsRegistry::Family {
  std::string help;
  int type = kCounter;
  std::vector<double> bounds;
  // Keyed by the rendered label text, so series sort stably.
  std::map<std::string, std::pair<MetricLabels, std::variant<Counter, Gauge, Histogram>>> series;
};

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help,
                                                 int type) {
  auto& slot = families_[name];
  if (!slot) {
    slot = std::make_unique<Family>();
    slot->help = help;
    slot->type = type;
  } else if (slot->type != type) {
    std::fprintf(stderr, "metric %s registered as both %s and %s\n", name.c_str(),
                 type_name(slot->type), type_name(type));
    std::abort();
  }
  return *slot;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                  const MetricLabels& labels) {
  Family& f = family(name, help, kCounter);
  auto [it, inserted] = f.series.try_emplace(label_text(labels), labels, Counter{});
  return std::get<Counter>(it->second.second);
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                              const MetricLabels& labels) {
  Family& f = family(name, help, kGauge);
  auto [it, inserted] = f.series.try_emplace(label_text(labels), labels, Gauge{});
  return std::get<Gauge>(it->second.second);
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      const std::vector<double>& bounds,
                                      const MetricLabels& labels) {
  Family& f = family(name, help, kHistogram);
  if (f.series.empty() && f.bounds.empty()) f.bounds = bounds;
  auto [it, inserted] = f.series.try_emplace(label_text(labels), labels, Histogram(f.bounds));
  return std::get<Histogram>(it->second.second);
}

void MetricsRegistry::on_collect(std::function<void()> fn) { collectors_.push_back(std::move(fn)); }

std::string MetricsRegistry::render() {
  for (const auto& collect : collectors_) collect();
  std::string out;
  for (const auto& [name, f] : families_) {
    out += "# HELP " + name + " ";
    append_escaped(out, f->help, false);
    out += "\n# TYPE " + name + " " + type_name(f->type) + "\n";
    for (const auto& [labels_key, entry] : f->series) {
      const auto& [labels, metric] = entry;
      if (const auto* c = std::get_if<Counter>(&metric)) {
        out += name + labels_key + " " + number(c->value()) + "\n";
      } else if (const auto* g = std::get_if<Gauge>(&metric)) {
        out += name + labels_key + " " + number(g->value()) + "\n";
      } else {
        const auto& h = std::get<Histogram>(metric);
        for (std::size_t i = 0; i < h.bounds().size(); ++i) {
          out += name + "_bucket" + label_text(labels, "le", number(h.bounds()[i])) + " " +
                 std::to_string(h.cumulative(i)) + "\n";
        }
        out += name + "_bucket" + label_text(labels, "le", "+Inf") + " " +
               std::to_string(h.count()) + "\n";
        out += name + "_sum" + labels_key + " " + number(h.sum()) + "\n";
        out += name + "_count" + labels_key + " " + std::to_string(h.count()) + "\n";
      }
    }
  }
  return out;
}

std::vector<double> MetricsRegistry::latency_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace berth
