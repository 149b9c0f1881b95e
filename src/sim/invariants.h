// The simulator's invariants, each a function of what the master believes and what the machines
// really do. A violation is a message naming the objects involved; empty means it holds.
//
// After every step:
//   resources        no agent's used resources are negative or above its total, and they are
//                    the sum of its live tasks'
//   single writer    no single-writer external volume has running containers on two nodes, nor
//                    staged on two nodes whose agents both hold an unexpired lease
//   stale epoch      no running container uses a volume at an epoch older than one the storage
//                    has already accepted from another node
//   fenced           an agent that has fenced runs no task on an external volume
// At a master restart:
//   acknowledged     every task, volume attachment and app the old master had acknowledged is
//                    there, unchanged, in the recovered one
// At the end, after the quiet period:
//   convergence      every app runs its instance count; every deployment ended; every running
//                    container is a live task of the master on that node and vice versa
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace berth {
class MasterStack;
}

namespace berth::sim {

class SimNode;

std::string check_resources(MasterStack& master);
std::string check_volumes(const std::vector<std::unique_ptr<SimNode>>& nodes,
                          const std::map<std::string, std::uint64_t>& pool);

// What a master had acknowledged, to compare with its successor.
struct AcknowledgedState {
  std::map<std::string, std::string> tasks;    // id -> "state agent"
  std::map<std::string, std::string> volumes;  // name -> "agent epoch"
  std::map<std::string, std::string> apps;     // id -> "instances version"
};
AcknowledgedState acknowledged_state(MasterStack& master);
std::string check_nothing_lost(const AcknowledgedState& before, MasterStack& after);

std::string check_converged(MasterStack& master,
                            const std::vector<std::unique_ptr<SimNode>>& nodes);

}  // namespace berth::sim
