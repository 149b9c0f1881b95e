// Parsing, printing and arithmetic of Mesos-style resources and attributes.
#include "common/resources.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>

#include "common/strings.h"

namespace berth {
namespace {

// Scalars are compared with a tolerance so that 0.1 + 0.2 fits in 0.3 (Mesos rounds to 3 places).
constexpr double kEpsilon = 1e-6;

Result<std::uint64_t> parse_uint(std::string_view text, std::string_view what) {
  text = trim(text);
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return invalid_argument("invalid " + std::string(what) + " '" + std::string(text) + "'");
  }
  return value;
}

}  // namespace

Ranges::Ranges(std::vector<std::pair<std::uint64_t, std::uint64_t>> intervals)
    : intervals_(std::move(intervals)) {
  normalize();
}

void Ranges::normalize() {
  std::sort(intervals_.begin(), intervals_.end());
  std::vector<std::pair<std::uint64_t, std::uint64_t>> merged;
  for (const auto& interval : intervals_) {
    if (!merged.empty() && interval.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, interval.second);
    } else {
      merged.push_back(interval);
    }
  }
  intervals_ = std::move(merged);
}

Result<Ranges> Ranges::parse(std::string_view text) {
  text = trim(text);
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
    return invalid_argument("invalid ranges '" + std::string(text) +
                            "': expected the form [31000-32000,33000-33010]");
  }
  std::vector<std::pair<std::uint64_t, std::uint64_t>> intervals;
  std::string_view inner = trim(text.substr(1, text.size() - 2));
  if (inner.empty()) return Ranges();
  for (std::string_view part : split(inner, ',')) {
    auto dash = part.find('-');
    std::string_view low = dash == std::string_view::npos ? part : part.substr(0, dash);
    std::string_view high = dash == std::string_view::npos ? part : part.substr(dash + 1);
    auto begin = parse_uint(low, "range bound");
    if (!begin.ok()) return begin.error().context("ranges '" + std::string(text) + "'");
    auto end = parse_uint(high, "range bound");
    if (!end.ok()) return end.error().context("ranges '" + std::string(text) + "'");
    if (*begin > *end) {
      return invalid_argument("invalid ranges '" + std::string(text) + "': " +
                              std::to_string(*begin) + " is greater than " + std::to_string(*end));
    }
    intervals.emplace_back(*begin, *end);
  }
  return Ranges(std::move(intervals));
}

std::string Ranges::to_string() const {
  std::string out = "[";
  for (std::size_t i = 0; i < intervals_.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(intervals_[i].first) + "-" + std::to_string(intervals_[i].second);
  }
  return out + "]";
}

std::uint64_t Ranges::size() const {
  std::uint64_t total = 0;
  for (const auto& [low, high] : intervals_) total += high - low + 1;
  return total;
}

bool Ranges::contains(std::uint64_t value) const {
  auto it =
      std::upper_bound(intervals_.begin(), intervals_.end(), std::make_pair(value, UINT64_MAX));
  if (it == intervals_.begin()) return false;
  --it;
  return value >= it->first && value <= it->second;
}

bool Ranges::contains(const Ranges& other) const {
  for (const auto& [low, high] : other.intervals_) {
    auto it =
        std::upper_bound(intervals_.begin(), intervals_.end(), std::make_pair(low, UINT64_MAX));
    if (it == intervals_.begin()) return false;
    --it;
    if (low < it->first || high > it->second) return false;
  }
  return true;
}

void Ranges::add(const Ranges& other) {
  intervals_.insert(intervals_.end(), other.intervals_.begin(), other.intervals_.end());
  normalize();
}

void Ranges::subtract(const Ranges& other) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> result;
  for (auto [low, high] : intervals_) {
    for (const auto& [cut_low, cut_high] : other.intervals_) {
      if (cut_high < low || cut_low > high) continue;
      if (cut_low > low) result.emplace_back(low, cut_low - 1);
      if (cut_high >= high) {
        low = high + 1;  // nothing left of this interval
        break;
      }
      low = cut_high + 1;
    }
    if (low <= high) result.emplace_back(low, high);
  }
  intervals_ = std::move(result);
  normalize();
}

std::vector<std::uint64_t> Ranges::take(std::size_t count) const {
  std::vector<std::uint64_t> values;
  for (const auto& [low, high] : intervals_) {
    for (std::uint64_t v = low; v <= high && values.size() < count; ++v) values.push_back(v);
    if (values.size() == count) break;
  }
  return values;
}

Result<Resources> Resources::parse(std::string_view text) {
  Resources resources;
  std::set<std::string> seen;
  for (std::string_view item : split(text, ';')) {
    item = trim(item);
    if (item.empty()) continue;
    auto colon = item.find(':');
    if (colon == std::string_view::npos) {
      return invalid_argument("invalid resource '" + std::string(item) +
                              "': expected name:value, e.g. cpus:4");
    }
    std::string name(trim(item.substr(0, colon)));
    std::string_view value = trim(item.substr(colon + 1));
    if (auto paren = name.find('('); paren != std::string::npos) {
      if (name.back() != ')') {
        return invalid_argument("invalid resource name '" + name + "': unbalanced role");
      }
      name = name.substr(0, paren);
    }
    if (name.empty()) return invalid_argument("invalid resource '" + std::string(item) + "'");
    if (!seen.insert(name).second) {
      return invalid_argument("resource '" + name + "' is given more than once");
    }
    if (!value.empty() && value.front() == '[') {
      if (name != "ports") {
        return invalid_argument("range resource '" + name + "' is not supported; only ports");
      }
      auto ranges = Ranges::parse(value);
      if (!ranges.ok()) return ranges.error().context("resource ports");
      resources.ports_ = *ranges;
      continue;
    }
    auto number = parse_double(value);
    if (!number.ok() || *number < 0 || !std::isfinite(*number)) {
      return invalid_argument("invalid value '" + std::string(value) + "' for resource '" + name +
                              "': expected a non-negative number");
    }
    resources.scalars_[name] = *number;
  }
  return resources;
}

double Resources::scalar(const std::string& name) const {
  auto it = scalars_.find(name);
  return it == scalars_.end() ? 0.0 : it->second;
}

void Resources::set_scalar(const std::string& name, double value) { scalars_[name] = value; }

bool Resources::contains(const Resources& other) const {
  for (const auto& [name, value] : other.scalars_) {
    if (value > scalar(name) + kEpsilon) return false;
  }
  return ports_.contains(other.ports_);
}

Resources& Resources::operator+=(const Resources& other) {
  for (const auto& [name, value] : other.scalars_) scalars_[name] += value;
  ports_.add(other.ports_);
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  for (const auto& [name, value] : other.scalars_) {
    double left = scalar(name) - value;
    scalars_[name] = std::abs(left) < kEpsilon ? 0.0 : left;
  }
  ports_.subtract(other.ports_);
  return *this;
}

std::string Resources::to_string() const {
  std::ostringstream out;
  bool first = true;
  for (const auto& [name, value] : scalars_) {
    out << (first ? "" : ";") << name << ":" << format_number(value);
    first = false;
  }
  if (!ports_.empty()) out << (first ? "" : ";") << "ports:" << ports_.to_string();
  return out.str();
}

Result<std::vector<Attribute>> parse_attributes(std::string_view text) {
  std::vector<Attribute> attributes;
  std::set<std::string> seen;
  for (std::string_view item : split(text, ';')) {
    item = trim(item);
    if (item.empty()) continue;
    auto colon = item.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == item.size()) {
      return invalid_argument("invalid attribute '" + std::string(item) +
                              "': expected name:value, e.g. disk:ssd");
    }
    Attribute attribute;
    attribute.name = std::string(trim(item.substr(0, colon)));
    attribute.text = std::string(trim(item.substr(colon + 1)));
    if (!seen.insert(attribute.name).second) {
      return invalid_argument("attribute '" + attribute.name + "' is given more than once");
    }
    if (auto number = parse_double(attribute.text); number.ok()) {
      attribute.type = Attribute::Type::kScalar;
      attribute.scalar = *number;
    } else if (attribute.text.front() == '[') {
      auto ranges = Ranges::parse(attribute.text);
      if (!ranges.ok()) return ranges.error().context("attribute " + attribute.name);
      attribute.type = Attribute::Type::kRanges;
    } else if (attribute.text.front() == '{') {
      attribute.type = Attribute::Type::kSet;
    }
    attributes.push_back(std::move(attribute));
  }
  return attributes;
}

std::string attributes_to_string(const std::vector<Attribute>& attributes) {
  std::string out;
  for (const auto& attribute : attributes) {
    if (!out.empty()) out += ";";
    out += attribute.name + ":" + attribute.text;
  }
  return out;
}

}  // namespace berth
