// Marathon's path ids: segment rules, canonicalisation, parents.
#include "marathon/path_id.h"

#include <algorithm>
#include <array>

namespace berth::marathon {

namespace {

bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9] | [a-z0-9][a-z0-9-]*[a-z0-9]
bool is_valid_label(std::string_view label) {
  if (label.empty()) return false;
  if (!is_label_char(label.front()) || !is_label_char(label.back())) return false;
  return std::all_of(label.begin(), label.end(),
                     [](char c) { return is_label_char(c) || c == '-'; });
}

constexpr std::array<std::string_view, 5> kReserved = {"restart", "tasks", "versions", ".", ".."};

}  // namespace

std::string id_segment_message() {
  return "must fully match regular expression '" + std::string(kIdSegmentPattern) + "'";
}

std::string not_child_message(std::string_view parent) {
  return "Identifier is not child of '" + std::string(parent) + "'";
}

std::vector<std::string> id_segments(std::string_view id) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= id.size()) {
    std::size_t slash = id.find('/', start);
    if (slash == std::string_view::npos) slash = id.size();
    if (slash > start) segments.emplace_back(id.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

std::string normalize_id(std::string_view id) {
  std::string result;
  for (const std::string& segment : id_segments(id)) {
    result += '/';
    result += segment;
  }
  return result.empty() ? "/" : result;
}

bool is_valid_id_segment(std::string_view segment) {
  if (segment == "." || segment == "..") return true;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = segment.find('.', start);
    std::string_view label =
        segment.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (!is_valid_label(label)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::vector<std::string> id_violations(std::string_view id) {
  std::vector<std::string> violations;
  std::vector<std::string> segments = id_segments(id);
  if (!std::all_of(segments.begin(), segments.end(), is_valid_id_segment)) {
    violations.push_back(id_segment_message());
  }
  if (!segments.empty() &&
      std::find(kReserved.begin(), kReserved.end(), segments.back()) != kReserved.end()) {
    violations.emplace_back(kReservedIdMessage);
  }
  return violations;
}

std::string canonical_id(std::string_view id, std::string_view base) {
  std::vector<std::string> resolved;
  if (id.empty() || id.front() != '/') resolved = id_segments(base);
  for (std::string& segment : id_segments(id)) {
    if (segment == ".") continue;
    if (segment == "..") {
      if (!resolved.empty()) resolved.pop_back();
      continue;
    }
    resolved.push_back(std::move(segment));
  }
  std::string result;
  for (const std::string& segment : resolved) {
    result += '/';
    result += segment;
  }
  return result.empty() ? "/" : result;
}

std::string parent_id(std::string_view id) {
  std::vector<std::string> segments = id_segments(id);
  if (!segments.empty()) segments.pop_back();
  std::string result;
  for (const std::string& segment : segments) {
    result += '/';
    result += segment;
  }
  return result.empty() ? "/" : result;
}

std::string id_name(std::string_view id) {
  std::vector<std::string> segments = id_segments(id);
  return segments.empty() ? std::string() : segments.back();
}

bool is_root_id(std::string_view id) { return id_segments(id).empty(); }

bool is_child_of(std::string_view id, std::string_view parent) {
  std::vector<std::string> child_segments = id_segments(id);
  std::vector<std::string> parent_segments = id_segments(parent);
  if (child_segments.size() <= parent_segments.size()) return false;
  return std::equal(parent_segments.begin(), parent_segments.end(), child_segments.begin());
}

}  // namespace berth::marathon
