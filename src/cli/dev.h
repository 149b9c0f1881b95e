// berth dev: a master (SQLite state) and N agents on loopback, each agent on its own address
// (127.0.0.2, 127.0.0.3, ...) with its own work dir, ports and share of the machine, ready in
// seconds. An agent that exits stays down, as a failed node would, until the operator asks for
// it back (SIGHUP); the master and the other agents keep running. Ctrl-C or SIGTERM stops them
// all and leaves nothing behind; so does the master's exit, without which nothing works.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth {

struct DevOptions {
  int agents = 3;
  std::string work_dir = "/tmp/berth-dev";
  std::vector<std::string> attributes;  // one per agent, in order
  // Mesos' --resources text: one for every agent, or one per agent in order. Each is laid over
  // the agent's default share of the machine, so 'mem:512' keeps its cpus, disk and ports.
  std::vector<std::string> resources;
  std::uint16_t port = 5050;
  std::uint16_t http_port = 8080;
  // Every agent listens on this port at its own address (127.0.0.2, .3, ...); another one lets
  // a second dev cluster (a test run) live beside the first.
  std::uint16_t agent_port = 5051;
  // "--name=value" flags given to the master and to every agent (daemon_flags.h).
  std::vector<std::string> master_flags;
  std::vector<std::string> agent_flags;
};

// Where berth dev writes its pid, for `kill -HUP $(cat ...)`.
std::string dev_pid_file(const DevOptions& options);

// One agent's --resources: the default share of the machine for agent `index` of `count`, with
// whatever `given` names replaced. kInvalidArgument if `given` does not parse.
Result<std::string> dev_agent_resources(int index, int count, const std::string& given);

// Runs until SIGINT/SIGTERM or the master's exit, then stops everything.
Status run_dev(const DevOptions& options, const std::string& argv0);

}  // namespace berth
