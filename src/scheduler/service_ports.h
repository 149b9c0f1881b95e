// Service ports: Marathon gives every `portDefinitions[i].port` of 0 a port number unique across
// the cluster's apps, from local_port_min..local_port_max (10000-20000), and shows it in the app
// and in each task's `servicePorts`. An app keeps the numbers it had at the same index.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.h"
#include "marathon/app_definition.h"

namespace berth::scheduler {

inline constexpr std::uint32_t kServicePortMin = 10000;
inline constexpr std::uint32_t kServicePortMax = 20000;

// Fills every port-0 definition of the apps of `target` that are new or differ from `current`,
// keeping the number the current app had at that index when it is still free. kUnavailable when
// the range is exhausted.
Status assign_service_ports(std::map<std::string, marathon::AppDefinition>& target,
                            const std::map<std::string, marathon::AppDefinition>& current);

}  // namespace berth::scheduler
