// Faults: the chaos of a simulation, drawn from its seed: agent crashes and restarts, node power
// losses, one-way and two-way partitions, master crashes and restarts, bursts of message loss,
// duplication and delay, and bursts of slow or failing storage. Each fault undoes itself after a
// drawn time; heal_all() ends them all at once when the quiet period begins. Clock drift is not a
// burst: each node keeps the rate it was built with.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "sim/sim_network.h"
#include "sim/sim_volume_service.h"

namespace berth::sim {

class SimNode;
class Trace;

class Faults {
 public:
  Faults(Clock& clock, Random& random, Trace& trace, SimNetwork& network, VolumeChaos& storage,
         std::vector<std::unique_ptr<SimNode>>& nodes, std::function<void()> crash_master,
         std::function<void()> start_master)
      : clock_(clock),
        random_(random),
        trace_(trace),
        network_(network),
        storage_(storage),
        nodes_(nodes),
        crash_master_(std::move(crash_master)),
        start_master_(std::move(start_master)) {}

  // See SimOptions::crash_agents_with_external_volumes.
  void set_crash_agents_with_external_volumes(bool crash) { crash_external_ = crash; }
  // Injects faults at drawn intervals until `until`.
  void start(Instant until);
  // Partitions heal, chaos ends, every node is powered and runs its agent. The master's restart
  // is the caller's.
  void heal_all();
  std::uint64_t count() const { return count_; }

 private:
  void inject();
  Duration between(Duration low, Duration high);
  // Runs `fn` after `delay` unless heal_all() came first.
  void later(Duration delay, std::function<void()> fn);
  SimNode& any_node();

  Clock& clock_;
  Random& random_;
  Trace& trace_;
  SimNetwork& network_;
  VolumeChaos& storage_;
  std::vector<std::unique_ptr<SimNode>>& nodes_;
  std::function<void()> crash_master_;
  std::function<void()> start_master_;
  Instant until_{};
  bool healed_ = false;
  bool crash_external_ = false;
  std::uint64_t count_ = 0;
};

}  // namespace berth::sim
