// Trace: what happened in one simulation, one line per event, stamped with virtual time. Two runs
// of one seed must produce the same lines byte for byte; the hash compares them cheaply, and the
// tail is what a failure prints.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include "common/clock.h"

namespace berth::sim {

class Trace {
 public:
  // `keep`: lines kept for the tail; every line goes into the hash and the count.
  Trace(const Clock& clock, std::size_t keep = 200) : clock_(clock), keep_(keep) {}

  void add(const std::string& line);

  std::uint64_t hash() const { return hash_; }
  std::uint64_t lines() const { return lines_; }
  // The last lines, oldest first, each ending in a newline.
  std::string tail(std::size_t count) const;
  // Every line also goes here when set (berth sim --trace).
  void echo_to(std::FILE* out) { echo_ = out; }

 private:
  const Clock& clock_;
  Instant start_ = clock_.now();
  std::size_t keep_;
  std::deque<std::string> recent_;
  std::uint64_t hash_ = 14695981039346656037ULL;  // FNV-1a offset basis
  std::uint64_t lines_ = 0;
  std::FILE* echo_ = nullptr;
};

}  // namespace berth::sim
