// Faults: which fault, where, and for how long.
#include "sim/faults.h"

#include "sim/sim_node.h"
#include "sim/trace.h"

namespace berth::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string seconds_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<milliseconds>(d).count()) + " ms";
}

}  // namespace

Duration Faults::between(Duration low, Duration high) {
  const auto span = static_cast<std::uint64_t>((high - low).count());
  return low + Duration(static_cast<Duration::rep>(random_.below(span + 1)));
}

void Faults::later(Duration delay, std::function<void()> fn) {
  clock_.schedule(delay, [this, fn = std::move(fn)] {
    if (!healed_) fn();
  });
}

SimNode& Faults::any_node() { return *nodes_[random_.below(nodes_.size())]; }

void Faults::start(Instant until) {
  until_ = until;
  const Duration gap = between(seconds(2), seconds(15));
  if (clock_.now() + gap >= until_) return;
  clock_.schedule(gap, [this] {
    if (healed_) return;
    inject();
    start(until_);
  });
}

void Faults::inject() {
  ++count_;
  switch (random_.below(7)) {
    case 0: {
      SimNode& node = any_node();
      if (!node.agent_up()) return;
      if (!crash_external_ && node.runs_external_volume_task()) return;
      const Duration down = between(milliseconds(100), seconds(15));
      trace_.add("FAULT agent on " + node.name() + " crashes for " + seconds_text(down));
      node.crash_agent();
      later(down, [this, &node] {
        trace_.add("agent on " + node.name() + " restarts");
        node.start_agent();
      });
      return;
    }
    case 1: {
      SimNode& node = any_node();
      if (!node.powered()) return;
      const Duration down = between(seconds(3), seconds(60));
      trace_.add("FAULT " + node.name() + " loses power for " + seconds_text(down));
      node.power_off();
      later(down, [this, &node] {
        trace_.add(node.name() + " boots");
        node.power_on();
      });
      return;
    }
    case 2:
    case 3: {
      SimNode& node = any_node();
      const auto kind = random_.below(3);
      const Duration span = between(seconds(1), seconds(30));
      const char* what[] = {"agent -> master", "master -> agent", "both ways"};
      trace_.add("FAULT partition of " + node.name() + " (" + what[kind] + ") for " +
                 seconds_text(span));
      if (kind != 1) network_.cut(node.name(), Direction::kToMaster);
      if (kind != 0) network_.cut(node.name(), Direction::kToAgent);
      later(span, [this, &node] {
        trace_.add("partition of " + node.name() + " heals");
        network_.heal(node.name());
      });
      return;
    }
    case 4: {
      const Duration down = between(milliseconds(200), seconds(12));
      trace_.add("FAULT master crashes for " + seconds_text(down));
      crash_master_();
      later(down, [this] {
        trace_.add("master restarts");
        start_master_();
      });
      return;
    }
    case 5: {
      NetworkChaos chaos;
      chaos.loss = 0.02 + 0.2 * random_.unit();
      chaos.duplicate = 0.1 * random_.unit();
      chaos.slow = 0.1 * random_.unit();
      const Duration span = between(seconds(2), seconds(30));
      trace_.add("FAULT network: loss " + std::to_string(chaos.loss) + ", duplicates " +
                 std::to_string(chaos.duplicate) + ", slow " + std::to_string(chaos.slow) +
                 " for " + seconds_text(span));
      network_.set_chaos(chaos);
      later(span, [this] {
        trace_.add("network calms down");
        network_.set_chaos({});
      });
      return;
    }
    default: {
      storage_.failure = 0.05 + 0.25 * random_.unit();
      storage_.slow = 0.3 * random_.unit();
      const Duration span = between(seconds(2), seconds(30));
      trace_.add("FAULT storage: failures " + std::to_string(storage_.failure) + ", slow " +
                 std::to_string(storage_.slow) + " for " + seconds_text(span));
      later(span, [this] {
        trace_.add("storage calms down");
        storage_ = {};
      });
      return;
    }
  }
}

void Faults::heal_all() {
  healed_ = true;
  network_.heal_all();
  network_.set_chaos({});
  storage_ = {};
  for (auto& node : nodes_) {
    if (!node->powered()) {
      node->power_on();
    } else {
      node->start_agent();
    }
  }
}

}  // namespace berth::sim
