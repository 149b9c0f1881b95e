// Canonical attribute values.
#include "common/attribute_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "common/strings.h"

namespace berth {

namespace {

std::string format_scalar(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3f",
                static_cast<double>(scalar_thousandths(value)) / 1000.0);
  std::string text = buffer;
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

}  // namespace

std::int64_t scalar_thousandths(double value) { return std::llround(value * 1000.0); }

std::string canonical_ranges_text(std::string_view text) {
  auto ranges = Ranges::parse(text);
  if (!ranges.ok()) return std::string(text);
  std::string out = "[";
  for (std::size_t i = 0; i < ranges->intervals().size(); ++i) {
    if (i > 0) out += ",";
    const auto& [low, high] = ranges->intervals()[i];
    out += std::to_string(low) + "-" + std::to_string(high);
  }
  return out + "]";
}

std::string canonical_set_text(std::string_view text) {
  text = trim(text);
  if (text.size() < 2 || text.front() != '{' || text.back() != '}') return std::string(text);
  std::vector<std::string> items;
  std::string_view inner = trim(text.substr(1, text.size() - 2));
  if (!inner.empty()) {
    for (std::string_view item : split(inner, ',')) items.emplace_back(trim(item));
  }
  std::sort(items.begin(), items.end());
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    out += items[i];
  }
  return out + "}";
}

std::string attribute_value_text(const Attribute& attribute) {
  switch (attribute.type) {
    case Attribute::Type::kScalar:
      return format_scalar(attribute.scalar);
    case Attribute::Type::kRanges:
      return canonical_ranges_text(attribute.text);
    case Attribute::Type::kSet:
      return canonical_set_text(attribute.text);
    case Attribute::Type::kText:
      break;
  }
  return attribute.text;
}

}  // namespace berth
