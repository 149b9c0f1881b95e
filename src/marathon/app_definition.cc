#include "marathon/app_definition.h"

#include <algorithm>

namespace berth::marathon {

bool AppDefinition::has_persistent_volumes() const {
  if (!container) return false;
  return std::any_of(container->volumes.begin(), container->volumes.end(),
                     [](const Volume& volume) { return volume.persistent.has_value(); });
}

bool AppDefinition::has_external_volumes() const {
  if (!container) return false;
  return std::any_of(container->volumes.begin(), container->volumes.end(),
                     [](const Volume& volume) { return volume.external.has_value(); });
}

std::size_t AppDefinition::host_port_count() const {
  if (host_networking()) return port_definitions.size();
  if (!container) return 0;
  return static_cast<std::size_t>(
      std::count_if(container->port_mappings.begin(), container->port_mappings.end(),
                    [](const PortMapping& mapping) { return mapping.host_port.has_value(); }));
}

bool AppDefinition::differs_only_in_instances(const AppDefinition& other) const {
  AppDefinition a = *this;
  AppDefinition b = other;
  a.instances = b.instances = 0;
  a.version = b.version = {};
  a.version_info = b.version_info = {};
  return a == b;
}

}  // namespace berth::marathon
