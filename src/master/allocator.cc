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

}  // namespace

Result<Placement> Allocator::place(const AgentRegistry& agents,
                                   const PlacementRequest& request) const {
  const AgentRecord* best = nullptr;
  Resources best_free;
  std::map<std::string, int> refusals;
  for (const auto& [id, agent] : agents.all()) {
    Resources free = agent.available();
    std::string why = refusal(agent, request, free);
    if (!why.empty()) {
      ++refusals[why];
      continue;
    }
    if (best == nullptr || free.cpus() > best_free.cpus() + 1e-9 ||
        (free.cpus() >= best_free.cpus() - 1e-9 && free.mem() > best_free.mem())) {
      best = &agent;
      best_free = std::move(free);
    }
  }
  if (best == nullptr) {
    if (request.refusals != nullptr) *request.refusals = refusals;
    std::string message = agents.size() == 0 ? "no agents are registered" : "no agent fits:";
    for (const auto& [why, count] : refusals) {
      message += " " + std::to_string(count) + (count == 1 ? " agent: " : " agents: ") + why + ";";
    }
    if (message.back() == ';') message.pop_back();
    return unavailable(message);
  }
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
