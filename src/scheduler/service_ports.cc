// Assigning service ports.
#include "scheduler/service_ports.h"

#include <set>
#include <vector>

namespace berth::scheduler {

Status assign_service_ports(std::map<std::string, marathon::AppDefinition>& target,
                            const std::map<std::string, marathon::AppDefinition>& current) {
  std::set<std::uint32_t> used;
  std::vector<marathon::AppDefinition*> pending;
  for (auto& [id, app] : target) {
    bool wants = false;
    for (const auto& definition : app.port_definitions) {
      if (definition.port != 0) used.insert(definition.port);
      wants = wants || definition.port == 0;
    }
    if (wants && app.host_networking()) pending.push_back(&app);
  }
  std::uint32_t next = kServicePortMin;
  for (marathon::AppDefinition* app : pending) {
    auto old = current.find(app->id);
    for (std::size_t i = 0; i < app->port_definitions.size(); ++i) {
      std::uint32_t& port = app->port_definitions[i].port;
      if (port != 0) continue;
      if (old != current.end() && i < old->second.port_definitions.size()) {
        std::uint32_t previous = old->second.port_definitions[i].port;
        if (previous >= kServicePortMin && previous <= kServicePortMax &&
            used.count(previous) == 0) {
          port = previous;
          used.insert(port);
          continue;
        }
      }
      while (next <= kServicePortMax && used.count(next) != 0) ++next;
      if (next > kServicePortMax) {
        return unavailable("no free service port left in " + std::to_string(kServicePortMin) + "-" +
                           std::to_string(kServicePortMax));
      }
      port = next;
      used.insert(port);
    }
  }
  return {};
}

}  // namespace berth::scheduler
