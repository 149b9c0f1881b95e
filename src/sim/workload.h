// Workload: what users do to the simulated cluster, drawn from the seed: deploy apps (plain,
// constraint-heavy, with an external volume, resident with local persistent volumes), scale them
// up and down, roll them to new versions, restart them, kill tasks and remove apps. Every action
// goes through the real AppScheduler, as the v2 API would send it. The apps are sized so that the
// cluster can always hold them all once every node is back: that is what lets the simulator
// demand convergence.
#pragma once

#include <map>
#include <string>

#include "common/random.h"
#include "marathon/app_definition.h"

namespace berth {
class MasterCore;
namespace scheduler {
class AppScheduler;
}
}  // namespace berth

namespace berth::sim {

class Trace;

struct ClusterShape {
  int nodes = 5;
  int racks = 2;
  double cpus_per_node = 4;
};

class Workload {
 public:
  Workload(Random& random, ClusterShape shape, Trace& trace)
      : random_(random), shape_(shape), trace_(trace) {}

  // One user action against the running master.
  void step(scheduler::AppScheduler& scheduler, MasterCore& core);

 private:
  enum class Kind { kPlain, kConstrained, kExternal, kResident };
  marathon::AppDefinition make_app(Kind kind);
  void deploy(scheduler::AppScheduler& scheduler, const marathon::AppDefinition& app,
              const std::string& what);
  // The cpus every declared app asks for at its instance count.
  double demand(const scheduler::AppScheduler& scheduler) const;
  std::int64_t max_instances(const marathon::AppDefinition& app) const;

  Random& random_;
  ClusterShape shape_;
  Trace& trace_;
  int next_app_ = 1;
};

}  // namespace berth::sim
