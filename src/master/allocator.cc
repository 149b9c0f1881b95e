// Picking an agent for a task, and explaining the refusal when none fits.
#include "master/allocator.h"

#include <cmath>
#include <map>

namespace berth {
namespace {

// As Resources::operator-= leaves it: a difference within this of zero is zero.
constexpr double kEpsilon = 1e-6;

// `name` free on `agent`, as agent.available().scalar(name) would say, without the copies.
double free_scalar(const AgentRecord& agent, const std::string& name) {
  const double left = agent.total.scalar(name) - agent.used.scalar(name);
  return std::abs(left) < kEpsilon ? 0.0 : left;
}

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
// without building the agent's free Resources: this runs for every agent at every placement.
bool fits(const AgentRecord& agent, const PlacementRequest& request) {
  if (agent.status != AgentRecord::Status::kActive) return false;
  if (request.filter && !request.filter(agent)) return false;
  for (const auto& [name, amount] : request.resources.scalars()) {
    if (amount > free_scalar(agent, name) + 1e-6) return false;
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

}  // namespace

Result<Placement> Allocator::place(const AgentRegistry& agents,
                                   const PlacementRequest& request) const {
  const AgentRecord* best = nullptr;
  double best_cpus = 0;
  double best_mem = 0;
  for (const auto& [id, agent] : agents.all()) {
    if (!fits(agent, request)) continue;
    const double cpus = free_scalar(agent, "cpus");
    const double mem = free_scalar(agent, "mem");
    if (best == nullptr || cpus > best_cpus + 1e-9 ||
        (cpus >= best_cpus - 1e-9 && mem > best_mem)) {
      best = &agent;
      best_cpus = cpus;
      best_mem = mem;
    }
  }
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
