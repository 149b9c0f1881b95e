// Blocking requests for the command-line client, and Marathon's error bodies made readable.
#include "cli/api_client.h"

#include <algorithm>
#include <charconv>

#include "http/http_client.h"
#include "http/http_types.h"

namespace berth {

using nlohmann::json;

Result<Endpoint> parse_endpoint(const std::string& text, const std::string& flag) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return invalid_argument(flag + " must be host:port, not '" + text + "'");
  }
  unsigned port = 0;
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(begin, end, port);
  if (ec != std::errc() || stop != end || port == 0 || port > 65535) {
    return invalid_argument(flag + ": '" + text.substr(colon + 1) + "' is not a port");
  }
  return Endpoint{text.substr(0, colon), static_cast<std::uint16_t>(port)};
}

Result<std::string> id_path(const std::string& id) {
  std::string_view rest(id);
  if (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
  if (rest.empty()) return invalid_argument("'" + id + "' is not an id");
  std::string path;
  while (true) {
    auto slash = rest.find('/');
    std::string_view segment = rest.substr(0, slash);
    if (segment.empty()) return invalid_argument("'" + id + "' has an empty path segment");
    if (!path.empty()) path += '/';
    path += percent_encode(segment);
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return path;
}

void print_refusal(std::ostream& err, const std::string& command, const ApiAnswer& answer) {
  err << command << ": " << answer.status;
  const json& body = answer.body;
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    err << " " << body["message"].get<std::string>();
  } else if (!answer.raw.empty() && answer.raw.size() < 200) {
    err << " " << answer.raw;
  }
  err << "\n";
  if (!body.is_object() || !body.contains("details")) return;
  const json& details = body["details"];
  // Marathon's parse errors carry the parser's message as a string; validation errors a list.
  if (details.is_string()) err << "  " << details.get<std::string>() << "\n";
  if (!details.is_array()) return;
  for (const auto& detail : details) {
    if (!detail.is_object()) continue;
    for (const auto& text : detail.value("errors", json::array())) {
      err << "  " << detail.value("path", "/") << ": "
          << (text.is_string() ? text.get<std::string>() : text.dump()) << "\n";
    }
  }
}

ApiClient::ApiClient(Endpoint endpoint, std::string command, std::ostream& err, std::string server)
    : endpoint_(std::move(endpoint)),
      command_(std::move(command)),
      err_(err),
      server_(std::move(server)) {}

std::optional<ApiAnswer> ApiClient::call(const std::string& method, const std::string& target,
                                         const std::string& body) const {
  ClientRequest request;
  request.method = method;
  request.target = target;
  request.body = body;
  auto response = http_fetch(endpoint_.host, endpoint_.port, request);
  if (!response.ok()) {
    err_ << command_ << ": cannot reach " << server_ << " at " << endpoint_.text() << ": "
         << response.error().message << "\n";
    return std::nullopt;
  }
  ApiAnswer answer{response->status, json::parse(response->body, nullptr, false), response->body,
                   response->header("Marathon-Deployment-Id")};
  if (answer.body.is_discarded()) answer.body = nullptr;
  return answer;
}

std::optional<ApiAnswer> ApiClient::expect(const std::string& method, const std::string& target,
                                           std::initializer_list<int> accepted,
                                           const std::string& body) const {
  auto answer = call(method, target, body);
  if (!answer) return std::nullopt;
  if (std::find(accepted.begin(), accepted.end(), answer->status) == accepted.end()) {
    print_refusal(err_, command_, *answer);
    return std::nullopt;
  }
  return answer;
}

std::string force_query(bool force) { return force ? "?force=true" : ""; }

std::string text_field(const json& object, const std::string& key) {
  if (!object.is_object()) return "";
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) return "";
  return found->is_string() ? found->get<std::string>() : found->dump();
}

double number_field(const json& object, const std::string& key, double fallback) {
  if (!object.is_object()) return fallback;
  auto found = object.find(key);
  return found != object.end() && found->is_number() ? found->get<double>() : fallback;
}

}  // namespace berth
