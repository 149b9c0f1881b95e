// Flags of the daemons (`berth master`, `berth agent`) that `berth dev` passes on to the
// processes it starts. Each is declared once, here: the daemon binds it to its own options, and
// `berth dev` declares the very same flag (same names, checks, help and default) and forwards
// what the user gave, as the parser accepted it, so the two can never drift apart.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace berth {

struct MasterOptions;
struct AgentOptions;

// The help text of the agent's resource flags, shared with `berth dev`'s per-agent ones.
inline constexpr const char* kResourcesHelp =
    "e.g. 'cpus:4;mem:8192;disk:40960;ports:[31000-32000]'";
inline constexpr const char* kAttributesHelp = "e.g. 'disk:ssd;rack:r1'";

// A Mesos-style duration flag ("500ms", "5secs") that sets `target`; its help shows `target`'s
// value at declaration as the default.
CLI::Option* add_duration_option(CLI::App* app, const std::string& names, Duration& target,
                                 const std::string& help);

// The master's timing flags: heartbeats, re-registration, event-stream keepalive, volume lease
// and drift margin. Returns them, for given_flags().
std::vector<CLI::Option*> add_master_timing_flags(CLI::App* app, MasterOptions& options);

// The agent's --volume_lease.
CLI::Option* add_agent_lease_flag(CLI::App* app, AgentOptions& options);

// "--name=value" for each of `options` that the command line gave, after parsing.
std::vector<std::string> given_flags(const std::vector<CLI::Option*>& options);

}  // namespace berth
