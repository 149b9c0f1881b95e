// `berth deployment ls|watch|cancel`: the master's running deployments (/v2/deployments), and
// watching one until it ends. `berth app ... --wait` watches the deployment it started the same
// way.
#pragma once

#include <chrono>
#include <memory>
#include <ostream>
#include <string>

#include "cli/api_client.h"
#include "cli/client_options.h"
#include "cli/event_stream_reader.h"

namespace berth {

struct DeploymentCommand {
  enum class Verb { kList, kWatch, kCancel };
  Verb verb = Verb::kList;
  ClientOptions client;
  std::string id;                           // watch, cancel
  bool force = false;                       // cancel: stop without rolling back
  std::chrono::milliseconds interval{500};  // watch: between looks at /v2/deployments
};

// Adds `deployment` and its verbs to `berth`, filling `command` as it parses;
// run_deployment_command() then runs it.
CLI::App* add_deployment_command(CLI::App& berth, DeploymentCommand& command);
int run_deployment_command(const DeploymentCommand& command, std::ostream& out, std::ostream& err);

struct WatchOptions {
  std::chrono::milliseconds interval{500};
  // A deployment that is not running when the watch starts: an error for `deployment watch`,
  // already finished for `app ... --wait` (a quick deployment may end before the first look).
  bool must_exist = true;
};

// The master's announcements of deployments ending, or null when the stream cannot be opened
// (a proxy that buffers it): watches then poll alone. Open it before the request that starts a
// deployment, so that even a deployment that ends at once is seen ending.
std::unique_ptr<EventStreamReader> open_deployment_events(const Endpoint& master);

// Prints the deployment's progress whenever it changes, until it ends. kExitOk when it
// succeeded (or ended without the master saying it failed), kExitApiError when it failed or was
// cancelled, or when the master could not be asked. `events`: from open_deployment_events().
int watch_deployment(const ApiClient& client, const std::string& id, const WatchOptions& options,
                     std::unique_ptr<EventStreamReader> events, std::ostream& out);

}  // namespace berth
