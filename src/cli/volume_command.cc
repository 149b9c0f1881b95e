// `berth volume ...` over HTTP: builds the request, prints the answer, maps failures to exit
// codes.
#include "cli/volume_command.h"

#include <algorithm>
#include <cctype>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "http/http_client.h"

namespace berth {
namespace {

using nlohmann::json;

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

Result<Endpoint> parse_master(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return invalid_argument("--master must be host:port, not '" + text + "'");
  }
  const std::string port_text = text.substr(colon + 1);
  if (port_text.size() > 5 || !std::all_of(port_text.begin(), port_text.end(), ::isdigit) ||
      std::stoi(port_text) == 0 || std::stoi(port_text) > 65535) {
    return invalid_argument("--master: '" + port_text + "' is not a port");
  }
  return Endpoint{text.substr(0, colon), static_cast<std::uint16_t>(std::stoi(port_text))};
}

std::string size_text(std::int64_t mib) {
  if (mib >= 1024 * 1024 && mib % (1024 * 1024) == 0) return std::to_string(mib >> 20) + "TiB";
  if (mib >= 1024 && mib % 1024 == 0) return std::to_string(mib >> 10) + "GiB";
  return std::to_string(mib) + "MiB";
}

// The API's refusal as one or more lines: the message, then each field's path and errors.
void print_refusal(std::ostream& err, const std::string& what, const HttpResponse& response) {
  err << "berth volume " << what << ": " << response.status;
  json body = json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("message") && body["message"].is_string()) {
    err << " " << body["message"].get<std::string>();
  }
  err << "\n";
  if (body.is_object() && body.contains("details") && body["details"].is_array()) {
    for (const auto& detail : body["details"]) {
      if (!detail.is_object()) continue;
      for (const auto& text : detail.value("errors", json::array())) {
        err << "  " << detail.value("path", "") << ": "
            << (text.is_string() ? text.get<std::string>() : text.dump()) << "\n";
      }
    }
  }
}

void print_table(std::ostream& out, const json& volumes) {
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "DRIVER", "SIZE", "KIND", "STATE", "AGENT", "EPOCH", "CLAIMS"}};
  for (const auto& v : volumes) {
    std::string agent = "-";
    std::string epoch = "-";
    if (v.contains("attachment") && v["attachment"].is_object()) {
      agent = v["attachment"].value("agentId", "-");
      epoch = std::to_string(v["attachment"].value("epoch", std::uint64_t{0}));
    } else if (v.contains("agentId") && v["agentId"].is_string()) {
      agent = v["agentId"].get<std::string>();
    }
    std::string claims;
    for (const auto& c : v.value("claims", json::array())) {
      claims += (claims.empty() ? "" : ",") + (c.is_string() ? c.get<std::string>() : c.dump());
    }
    rows.push_back({v.value("name", ""), v.value("driver", ""),
                    size_text(v.value("size", std::int64_t{0})), v.value("kind", ""),
                    v.value("state", ""), agent, epoch, claims.empty() ? "-" : claims});
  }
  std::vector<std::size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

Result<std::string> create_body(const VolumeCommand& command) {
  json body{{"name", command.name}};
  if (!command.size.empty()) {
    auto size = parse_volume_size(command.size);
    if (!size.ok()) return size.error();
    body["size"] = *size;
  }
  if (!command.driver.empty()) body["driver"] = command.driver;
  if (!command.fs_type.empty()) body["fsType"] = command.fs_type;
  if (!command.kind.empty()) body["kind"] = command.kind;
  if (command.shared) body["accessMode"] = "shared";
  if (!command.options.empty()) {
    json options = json::object();
    for (const auto& option : command.options) {
      auto eq = option.find('=');
      if (eq == std::string::npos || eq == 0) {
        return invalid_argument("--opt must be key=value, not '" + option + "'");
      }
      options[option.substr(0, eq)] = option.substr(eq + 1);
    }
    body["options"] = std::move(options);
  }
  return body.dump();
}

}  // namespace

Result<std::int64_t> parse_volume_size(const std::string& text) {
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  if (digits == 0 || digits > 12) {
    return invalid_argument("size '" + text + "' is not a number of MiB (or with M, G, T)");
  }
  std::int64_t value = std::stoll(text.substr(0, digits));
  std::string unit = text.substr(digits);
  for (auto& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "M" || unit == "MIB") return value;
  if (unit == "G" || unit == "GIB") return value * 1024;
  if (unit == "T" || unit == "TIB") return value * 1024 * 1024;
  return invalid_argument("size '" + text + "': unknown unit '" + text.substr(digits) +
                          "' (M, G or T, powers of 1024)");
}

int run_volume_command(const VolumeCommand& command, std::ostream& out, std::ostream& err) {
  auto endpoint = parse_master(command.master);
  if (!endpoint.ok()) {
    err << "berth volume: " << endpoint.error().message << "\n";
    return kVolumeBadUsage;
  }
  ClientRequest request;
  std::string what;
  int expected = 200;
  switch (command.verb) {
    case VolumeCommand::Verb::kList:
      what = "ls";
      request.target = "/v2/volumes";
      break;
    case VolumeCommand::Verb::kInspect:
      what = "inspect";
      request.target = "/v2/volumes/" + command.name;
      break;
    case VolumeCommand::Verb::kRemove:
      what = "rm";
      request.method = "DELETE";
      request.target = "/v2/volumes/" + command.name;
      break;
    case VolumeCommand::Verb::kCreate: {
      what = "create";
      auto body = create_body(command);
      if (!body.ok()) {
        err << "berth volume create: " << body.error().message << "\n";
        return kVolumeBadUsage;
      }
      request.method = "POST";
      request.target = "/v2/volumes";
      request.body = *body;
      expected = 201;
      break;
    }
  }
  if (command.verb != VolumeCommand::Verb::kList &&
      (command.name.empty() || command.name.find('/') != std::string::npos ||
       command.name.find('?') != std::string::npos)) {
    err << "berth volume " << what << ": '" << command.name << "' is not a volume name\n";
    return kVolumeBadUsage;
  }

  auto response = http_fetch(endpoint->host, endpoint->port, request);
  if (!response.ok()) {
    err << "berth volume " << what << ": cannot reach the master at " << command.master << ": "
        << response.error().message << "\n";
    return kVolumeApiError;
  }
  const bool accepted = response->status == expected ||
                        (command.verb == VolumeCommand::Verb::kRemove && response->status == 202);
  if (!accepted) {
    print_refusal(err, what, *response);
    return kVolumeApiError;
  }
  json body = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  switch (command.verb) {
    case VolumeCommand::Verb::kList:
      if (command.json) {
        out << body.dump(2) << "\n";
      } else if (body.is_object() && body["volumes"].is_array()) {
        print_table(out, body["volumes"]);
      }
      break;
    case VolumeCommand::Verb::kInspect:
      out << body.dump(2) << "\n";
      break;
    case VolumeCommand::Verb::kCreate:
      out << "created volume " << body.value("name", command.name) << " ("
          << body.value("driver", "") << ", " << size_text(body.value("size", std::int64_t{0}))
          << ", " << body.value("state", "") << ")\n";
      break;
    case VolumeCommand::Verb::kRemove:
      out << (response->status == 202 ? "deleting volume " : "deleted volume ") << command.name
          << "\n";
      break;
  }
  return kVolumeOk;
}

}  // namespace berth
