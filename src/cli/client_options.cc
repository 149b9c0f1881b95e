// --master, $BERTH_MASTER and --json for every client noun.
#include "cli/client_options.h"

#include <CLI/CLI.hpp>

namespace berth {

void add_client_options(CLI::App* noun, ClientOptions& options) {
  noun->fallthrough();
  noun->add_option("--master", options.master,
                   "the master's API, host:port (its --http_port); default $BERTH_MASTER, else " +
                       std::string(kDefaultMaster))
      ->envname(kMasterEnv);
  noun->add_flag("--json", options.json, "print the API's JSON, for scripts");
}

std::optional<ApiClient> master_client(const ClientOptions& options, const std::string& command,
                                       std::ostream& err) {
  auto endpoint = parse_endpoint(options.master, "--master");
  if (!endpoint.ok()) {
    err << command << ": " << endpoint.error().message << "\n";
    return std::nullopt;
  }
  return ApiClient(*endpoint, command, err);
}

}  // namespace berth
