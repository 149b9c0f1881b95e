// The daemons' shared flag declarations (see daemon_flags.h).
#include "cli/daemon_flags.h"

#include <CLI/CLI.hpp>

#include "agent/agent_server.h"
#include "cli/duration_flag.h"
#include "master/master_server.h"

namespace berth {

CLI::Option* add_duration_option(CLI::App* app, const std::string& names, Duration& target,
                                 const std::string& help) {
  // The option's first long name, for the error message.
  const std::string name = names.substr(0, names.find(','));
  return app
      ->add_option_function<std::string>(
          names,
          [&target, name](const std::string& text) {
            auto parsed = parse_duration(text);
            if (!parsed.ok()) throw CLI::ValidationError(name, parsed.error().message);
            target = *parsed;
          },
          help)
      ->default_str(format_duration(target));
}

std::vector<CLI::Option*> add_master_timing_flags(CLI::App* app, MasterOptions& options) {
  std::vector<CLI::Option*> added;
  added.push_back(add_duration_option(app, "--heartbeat_interval,--heartbeat-interval",
                                      options.core.heartbeat_interval,
                                      "agents' heartbeat (poll) interval"));
  added.push_back(app->add_option("--max_missed_heartbeats,--max-missed-heartbeats",
                                  options.core.max_missed_heartbeats,
                                  "missed heartbeats before an agent is unreachable")
                      ->check(CLI::Range(1, 1000))
                      ->capture_default_str());
  added.push_back(add_duration_option(app, "--agent_reregister_timeout,--agent-reregister-timeout",
                                      options.core.agent_reregister_timeout,
                                      "after a master restart, how long agents have to come back"));
  added.push_back(add_duration_option(app, "--event_stream_keepalive,--event-stream-keepalive",
                                      options.events.keepalive_interval,
                                      "keepalive interval of GET /v2/events streams"));
  added.push_back(add_duration_option(
      app, "--volume_lease,--volume-lease", options.volumes.lease,
      "agents' lease on their external volumes, sent to them at registration; agents with a "
      "shorter --volume_lease keep theirs"));
  added.push_back(add_duration_option(
      app, "--volume_drift_margin,--volume-drift-margin", options.volumes.drift_margin,
      "added to the lease before a volume of an unreachable agent is attached elsewhere"));
  return added;
}

CLI::Option* add_agent_lease_flag(CLI::App* app, AgentOptions& options) {
  return add_duration_option(
      app, "--volume_lease,--volume-lease", options.volume_lease,
      "how long after its last answered poll the agent keeps external volumes before it stops "
      "their tasks and unmounts them; a shorter lease from the master wins");
}

std::vector<std::string> given_flags(const std::vector<CLI::Option*>& options) {
  std::vector<std::string> flags;
  for (const CLI::Option* option : options) {
    for (const std::string& value : option->results()) {
      flags.push_back("--" + option->get_lnames().front() + "=" + value);
    }
  }
  return flags;
}

}  // namespace berth
