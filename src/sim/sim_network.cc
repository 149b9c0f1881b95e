// SimNetwork: delays, loss, duplication and partitions, all drawn from the simulation's seed.
#include "sim/sim_network.h"

namespace berth::sim {
namespace {

int bit(Direction direction) { return direction == Direction::kToMaster ? 1 : 2; }

}  // namespace

Duration SimNetwork::delay() {
  const bool slow = chaos_.slow > 0 && random_.unit() < chaos_.slow;
  if (slow) ++stats_.slowed;
  const Duration low = chaos_.min_delay;
  const Duration high = slow ? chaos_.slow_delay : chaos_.max_delay;
  const auto span = static_cast<std::uint64_t>((high - low).count());
  return low + Duration(static_cast<Duration::rep>(random_.below(span + 1)));
}

void SimNetwork::send(const std::string& agent, Direction direction,
                      const std::function<void()>& deliver) {
  ++stats_.sent;
  if (is_cut(agent, direction)) {
    ++stats_.cut;
    return;
  }
  if (chaos_.loss > 0 && random_.unit() < chaos_.loss) {
    ++stats_.lost;
    return;
  }
  clock_.schedule(delay(), deliver);
  if (chaos_.duplicate > 0 && random_.unit() < chaos_.duplicate) {
    ++stats_.duplicated;
    clock_.schedule(delay(), deliver);
  }
}

void SimNetwork::cut(const std::string& agent, Direction direction) {
  cuts_[agent] |= bit(direction);
}

void SimNetwork::heal(const std::string& agent) { cuts_.erase(agent); }

bool SimNetwork::is_cut(const std::string& agent, Direction direction) const {
  auto it = cuts_.find(agent);
  return it != cuts_.end() && (it->second & bit(direction)) != 0;
}

}  // namespace berth::sim
