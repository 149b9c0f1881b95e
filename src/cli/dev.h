// berth dev: a master (SQLite state) and N agents on loopback, each agent on its own address
// (127.0.0.2, 127.0.0.3, ...) with its own work dir, ports and share of the machine, ready in
// seconds. Ctrl-C or SIGTERM stops them all and leaves nothing behind.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace berth {

struct DevOptions {
  int agents = 3;
  std::string work_dir = "/tmp/berth-dev";
  std::vector<std::string> attributes;  // one per agent, in order
  std::uint16_t port = 5050;
  std::uint16_t http_port = 8080;
  // Every agent listens on this port at its own address (127.0.0.2, .3, ...); another one lets
  // a second dev cluster (a test run) live beside the first.
  std::uint16_t agent_port = 5051;
};

// Runs until SIGINT/SIGTERM (or until a member of the cluster dies), then stops everything.
Status run_dev(const DevOptions& options, const std::string& argv0);

}  // namespace berth
