// SimNetwork: the wire between the master and each agent, on virtual time. Every message takes a
// delay drawn from the seed, so messages overtake each other (reordering); with chaos on, some
// are lost, some delivered twice, some held for seconds. A partition cuts one direction of one
// agent's link (or both). The sender never learns what happened: like TCP under a dead peer, it
// only sees its own timeout.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "common/clock.h"
#include "common/random.h"

namespace berth::sim {

struct NetworkChaos {
  double loss = 0;       // probability that a message is lost
  double duplicate = 0;  // probability that a message is delivered twice
  double slow = 0;       // probability that a message takes up to `slow_delay`
  Duration min_delay = std::chrono::microseconds(200);
  Duration max_delay = std::chrono::milliseconds(5);
  Duration slow_delay = std::chrono::seconds(3);
};

enum class Direction { kToMaster, kToAgent };

class SimNetwork {
 public:
  SimNetwork(Clock& clock, Random& random) : clock_(clock), random_(random) {}

  void set_chaos(const NetworkChaos& chaos) { chaos_ = chaos; }
  const NetworkChaos& chaos() const { return chaos_; }

  // Runs `deliver` once the message arrives, if it does.
  void send(const std::string& agent, Direction direction, const std::function<void()>& deliver);

  void cut(const std::string& agent, Direction direction);
  void heal(const std::string& agent);
  void heal_all() { cuts_.clear(); }
  bool is_cut(const std::string& agent, Direction direction) const;

  struct Stats {
    std::uint64_t sent = 0, lost = 0, cut = 0, duplicated = 0, slowed = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  Duration delay();

  Clock& clock_;
  Random& random_;
  NetworkChaos chaos_;
  // agent -> bit 1: to the master cut, bit 2: to the agent cut
  std::map<std::string, int> cuts_;
  Stats stats_;
};

}  // namespace berth::sim
