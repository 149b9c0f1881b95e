// The command-line client's side of Berth's HTTP APIs: where the master is (--master, else
// $BERTH_MASTER, else 127.0.0.1:8080), one blocking request at a time, and the exit codes and
// error lines every `berth <noun> <verb>` shares. A refusal prints the API's message and, for a
// 422, each field path with its errors, so that an operator sees what to fix in the JSON.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "common/result.h"

namespace berth {

// Exit codes of every client command (documented in docs/cli.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitApiError =
    1;  // the master (or an agent) refused, or could not be reached
inline constexpr int kExitBadUsage = 2;  // the command line was wrong; nothing was sent

inline constexpr char kDefaultMaster[] = "127.0.0.1:8080";
inline constexpr char kMasterEnv[] = "BERTH_MASTER";

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;

  std::string text() const { return host + ":" + std::to_string(port); }
};

// "host:port"; `flag` names the source in the error ("--master").
Result<Endpoint> parse_endpoint(const std::string& text, const std::string& flag);

// An app, group or deployment id as a path below a collection: "/shop/web" -> "shop/web", each
// segment percent-encoded. kInvalidArgument for an empty id or one with empty segments.
Result<std::string> id_path(const std::string& id);

struct ApiAnswer {
  int status = 0;
  nlohmann::json body;  // null when the answer was not JSON
  std::string raw;
  std::string deployment_id;  // Marathon-Deployment-Id, when the master sent one
};

// Prints "<command>: <status> <message>" and then "  <path>: <error>" per field error.
void print_refusal(std::ostream& err, const std::string& command, const ApiAnswer& answer);

// Requests to one server on behalf of one command (`command`, e.g. "berth app add", starts every
// error line). Failures are printed to `err` when they happen, so callers only map them to
// kExitApiError.
class ApiClient {
 public:
  ApiClient(Endpoint endpoint, std::string command, std::ostream& err,
            std::string server = "the master");

  // Any answer, or nullopt (printed) when the server could not be reached.
  std::optional<ApiAnswer> call(const std::string& method, const std::string& target,
                                const std::string& body = "") const;
  // An answer with one of the `accepted` statuses, or nullopt after printing the refusal.
  std::optional<ApiAnswer> expect(const std::string& method, const std::string& target,
                                  std::initializer_list<int> accepted,
                                  const std::string& body = "") const;

  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& command() const { return command_; }
  std::ostream& err() const { return err_; }

 private:
  Endpoint endpoint_;
  std::string command_;
  std::ostream& err_;
  std::string server_;
};

// "?force=true" or "" (Marathon treats an absent flag as its default).
std::string force_query(bool force);

// `object[key]` as text: strings as they are, other values as JSON, "" when absent or when
// `object` is not an object (the CLI prints what it is given and never throws on odd JSON).
std::string text_field(const nlohmann::json& object, const std::string& key);
// `object[key]` as a number, `fallback` when absent or not a number.
double number_field(const nlohmann::json& object, const std::string& key, double fallback = 0);

}  // namespace berth
