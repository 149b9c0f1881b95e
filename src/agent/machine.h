// What the agent learns about its machine: hostname, boot id, and the resources it offers when
// --resources does not say (cpus from the online processors, memory from /proc/meminfo less a
// reserve for the system, disk from the work dir's filesystem, Mesos' default port range).
#pragma once

#include <string>

#include "common/resources.h"
#include "common/result.h"

namespace berth {

std::string machine_hostname();
// The first IPv4 address `host` resolves to (itself when it is one); empty when it resolves to
// none. Blocking (getaddrinfo): for startup only.
std::string resolve_ipv4(const std::string& host);
// /proc/sys/kernel/random/boot_id: changes on every boot, so mounts are not believed across one.
std::string machine_boot_id();
// `given` completed with detected values for cpus, mem, disk and ports it does not name.
Result<Resources> complete_resources(const Resources& given, const std::string& work_dir);

}  // namespace berth
