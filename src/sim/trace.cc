// Trace lines: "  12.345 <event>", seconds of virtual time since the simulation began.
#include "sim/trace.h"

#include <cstdio>

namespace berth::sim {

void Trace::add(const std::string& line) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - start_).count();
  char stamp[32];
  std::snprintf(stamp, sizeof(stamp), "%8lld.%03lld ", static_cast<long long>(ms / 1000),
                static_cast<long long>(ms % 1000));
  std::string full = stamp + line + "\n";
  for (unsigned char c : full) {
    hash_ ^= c;
    hash_ *= 1099511628211ULL;  // FNV-1a prime
  }
  ++lines_;
  if (echo_ != nullptr) std::fputs(full.c_str(), echo_);
  recent_.push_back(std::move(full));
  if (recent_.size() > keep_) recent_.pop_front();
}

std::string Trace::tail(std::size_t count) const {
  std::string out;
  std::size_t skip = recent_.size() > count ? recent_.size() - count : 0;
  for (std::size_t i = skip; i < recent_.size(); ++i) out += recent_[i];
  return out;
}

}  // namespace berth::sim
