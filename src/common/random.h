// Random: where the core gets randomness (ids, jitter). Seeded in tests and the simulator so
// runs replay exactly (FoundationDB's deterministicRandom()); seeded from the OS in live processes.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace berth {

class Random {
 public:
  explicit Random(std::uint64_t seed) : engine_(seed) {}
  // Seeded from std::random_device.
  static std::uint64_t os_seed();

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, bound).
  std::uint64_t below(std::uint64_t bound) { return bound == 0 ? 0 : engine_() % bound; }
  // Uniform in [0, 1).
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // A random (version 4) UUID: "083be411-5d1f-41e5-88f7-56b91e7a505b".
  std::string uuid();

 private:
  std::mt19937_64 engine_;
};

}  // namespace berth
