// Plain HTTP request and response values shared by the server, the client and every handler.
// No Beast types here: handlers in the master and the agent include only this.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/v2/apps?embed=apps.tasks"
  std::string path;    // target before '?', percent-decoded
  // Query parameters in order, percent-decoded ('+' is a space); repeated keys repeat.
  std::vector<std::pair<std::string, std::string>> query;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string remote;  // "127.0.0.1:53412"

  // The first value of query parameter `name`, if present.
  std::optional<std::string> param(const std::string& name) const;
  // Every value of a repeatable query parameter.
  std::vector<std::string> params(const std::string& name) const;
  // The value of header `name` (lowercase) or "".
  std::string header(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers

  // The value of header `name` (case-insensitive) among `headers`, or "".
  std::string header(const std::string& name) const;
};

// Percent-encodes everything but RFC 3986's unreserved characters, for building a path segment
// or a query value ("apps/web 1" -> "apps%2Fweb%201").
std::string percent_encode(std::string_view text);

}  // namespace berth
