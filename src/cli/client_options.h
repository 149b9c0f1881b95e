// The flags every client noun (app, task, deployment, agent, volume) takes, declared once so that
// they read the same everywhere: --master (else $BERTH_MASTER, else 127.0.0.1:8080) and --json.
#pragma once

#include <ostream>
#include <string>

#include "cli/api_client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace berth {

struct ClientOptions {
  std::string master = kDefaultMaster;  // the master's API (--http_port), host:port
  bool json = false;                    // print the API's JSON instead of tables and sentences
};

// Adds --master and --json to `noun`; its verbs accept them too (before or after the verb).
void add_client_options(CLI::App* noun, ClientOptions& options);

// The client for `command` ("berth app ls"), or nullopt after printing why --master is unusable.
std::optional<ApiClient> master_client(const ClientOptions& options, const std::string& command,
                                       std::ostream& err);

}  // namespace berth
