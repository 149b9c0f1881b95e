// `berth agent ls`: the agents the master knows, from GET /master/slaves. The master serves its
// Mesos-style routes on both its ports, so the client asks the same --master (the API port) as
// every other noun and needs no second address.
#pragma once

#include <ostream>

#include "cli/client_options.h"

namespace berth {

struct AgentListCommand {
  ClientOptions client;
};

// Adds `agent ls` beside `agent` (which runs an agent): `berth agent` with no verb stays the
// daemon, `berth agent ls` is the client. Returns the `ls` subcommand.
CLI::App* add_agent_list_command(CLI::App* agent, AgentListCommand& command);
int run_agent_list_command(const AgentListCommand& command, std::ostream& out, std::ostream& err);

}  // namespace berth
