// Allocator: the allocation point. Given what a task needs (scalars, a number of host ports,
// and a filter the caller supplies — the app scheduler's constraints), it picks an agent with
// room for it and the ports it gets. It does not change accounting itself: MasterCore charges the
// agent when the task is persisted. When nothing fits, the error says why for each kind of
// refusal, which is what Marathon's queue shows operators.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/resources.h"
#include "common/result.h"
#include "master/agent_registry.h"

namespace berth {

// What a caller's filter promises, so that the allocator need not ask it about every agent.
struct PlacementHints {
  // The filter refuses every agent without this field value (CLUSTER, IS): only those with it
  // are looked at.
  std::optional<AgentFieldValue> only_where;
  // The filter refuses every agent lacking attribute `spread_field` and every agent whose value
  // of it `allows_value` refuses (UNIQUE, MAX_PER, GROUP_BY on an attribute). When the best
  // agents do not fit, the allocator looks value by value and skips refused values whole: a
  // spread app's next instance is often wanted on the rack whose agents are all busy.
  std::string spread_field;
  std::function<bool(std::string_view value)> allows_value;
};

struct PlacementRequest {
  Resources resources;                     // scalars: cpus, mem, disk, ...
  std::size_t port_count = 0;              // any free host ports
  std::vector<std::uint64_t> fixed_ports;  // these exact host ports (requirePorts)
  // Optional: agents it returns false for are not considered ("does not match constraints").
  std::function<bool(const AgentRecord&)> filter;
  std::string filter_reason = "does not match the placement constraints";
  PlacementHints hints;  // what the filter promises, if anything
  // When nothing fits and this is set: how many agents refused for each reason.
  std::map<std::string, int>* refusals = nullptr;
};

struct Placement {
  std::string agent_id;
  std::vector<std::uint64_t> ports;
  Resources resources;  // the request's scalars plus the chosen ports
};

class Allocator {
 public:
  // Spreads load: among the agents that fit, the one with the most free cpus, then mem, then
  // lowest id (the registry's ranking), so that placements are deterministic. Walks the ranking
  // from the best and stops at the first that fits: O(log agents) when the best agents fit.
  Result<Placement> place(const AgentRegistry& agents, const PlacementRequest& request) const;
};

}  // namespace berth
