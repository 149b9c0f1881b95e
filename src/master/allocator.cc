// Picking an agent for a task, and explaining the refusal when none fits.
#include "master/allocator.h"

#include <map>

namespace berth {
namespace {

// Why one agent cannot take the request, or "" when it can.
std::string refusal(const AgentRecord& agent, const PlacementRequest& request,
                    const Resources& free) {
  if (agent.status != AgentRecord::Status::kActive) return "unreachable or not re-registered";
  if (request.filter && !request.filter(agent)) return request.filter_reason;
  for (const auto& [name, amount] : request.resources.scalars()) {
    if (amount > free.scalar(name) + 1e-6) return "not enough " + name;
  }
  for (std::uint64_t port : request.fixed_ports) {
    if (!free.ports().contains(port)) return "port " + std::to_string(port) + " not free";
  }
  if (free.ports().size() < request.port_count + request.fixed_ports.size()) {
    return "not enough ports";
  }
  return "";
}

// refusal(...).empty(), in the same order of checks (the filter may record why it refused),
// without building the agent's free Resources: this runs for each agent placement walks past.
bool fits(const AgentRecord& agent, const PlacementRequest& request) {
  if (agent.status != AgentRecord::Status::kActive) return false;
  if (request.filter && !request.filter(agent)) return false;
  for (const auto& [name, amount] : request.resources.scalars()) {
    const double left = agent.total.scalar(name) - agent.used.scalar(name);
    if (amount > left + 1e-6) return false;
  }
  // An agent's used ports are among its own (MasterCore charges only ports it placed).
  const Ranges& total = agent.total.ports();
  const Ranges& used = agent.used.ports();
  for (std::uint64_t port : request.fixed_ports) {
    if (!total.contains(port) || used.contains(port)) return false;
  }
  const std::size_t wanted = request.port_count + request.fixed_ports.size();
  return wanted == 0 || total.size() - used.size() >= wanted;
}

// How many of the best agents are asked before a spread request is looked at value by value:
// most placements take one of the first few.
constexpr std::size_t kWalkBeforeValues = 32;

// The best agent that fits among those with an allowed value of the spread field: each value's
// ranking is walked from its best until an agent fits or cannot beat the best found so far.
const AgentRecord* best_by_value(const AgentRegistry& agents, const PlacementRequest& request) {
  const AgentRegistry::ValueRankings* values = agents.rankings_by(request.hints.spread_field);
  if (values == nullptr) return nullptr;
  const AgentRank* best = nullptr;
  for (const auto& [value, ranking] : *values) {
    if (!request.hints.allows_value(value)) continue;
    for (const AgentRank& rank : ranking) {
      if (best != nullptr && !(rank < *best)) break;
      if (fits(*rank.agent, request)) {
        best = &rank;
        break;
      }
    }
  }
  return best == nullptr ? nullptr : best->agent;
}

// The first agent of the ranking that fits, or of the values when the first few do not.
const AgentRecord* best_fit(const AgentRegistry& agents, const PlacementRequest& request) {
  const PlacementHints& hints = request.hints;
  if (hints.only_where) {
    for (const AgentRank& rank :
         agents.ranking_where(hints.only_where->field, hints.only_where->value)) {
      if (fits(*rank.agent, request)) return rank.agent;
    }
    return nullptr;
  }
  const bool by_value = !hints.spread_field.empty() && hints.allows_value;
  std::size_t looked = 0;
  for (const AgentRank& rank : agents.ranking()) {
    if (fits(*rank.agent, request)) return rank.agent;
    if (by_value && ++looked == kWalkBeforeValues) return best_by_value(agents, request);
  }
  return nullptr;
}

}  // namespace

Result<Placement> Allocator::place(const AgentRegistry& agents,
                                   const PlacementRequest& request) const {
  const AgentRecord* best = best_fit(agents, request);
  if (best == nullptr) {
    // Rare and not hot: explain each refusal, as the operator's queue shows it.
    std::map<std::string, int> refusals;
    for (const auto& [id, agent] : agents.all())
      ++refusals[refusal(agent, request, agent.available())];
    refusals.erase("");
    if (request.refusals != nullptr) *request.refusals = refusals;
    std::string message = agents.size() == 0 ? "no agents are registered" : "no agent fits:";
    for (const auto& [why, count] : refusals) {
      message += " " + std::to_string(count) + (count == 1 ? " agent: " : " agents: ") + why + ";";
    }
    if (message.back() == ';') message.pop_back();
    return unavailable(message);
  }
  const Resources best_free = best->available();
  Placement placement;
  placement.agent_id = best->id;
  placement.resources = request.resources;
  Ranges remaining = best_free.ports();
  std::vector<std::pair<std::uint64_t, std::uint64_t>> chosen;
  for (std::uint64_t port : request.fixed_ports) {
    placement.ports.push_back(port);
    chosen.emplace_back(port, port);
  }
  remaining.subtract(Ranges(chosen));
  for (std::uint64_t port : remaining.take(request.port_count)) {
    placement.ports.push_back(port);
    chosen.emplace_back(port, port);
  }
  placement.resources.set_ports(Ranges(chosen));
  return placement;
}

}  // namespace berth
