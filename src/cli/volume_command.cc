// `berth volume ...` over HTTP: builds the request, prints the answer, maps failures to exit
// codes.
#include "cli/volume_command.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <map>

#include "cli/table.h"

namespace berth {
namespace {

using nlohmann::json;

constexpr const char* kVerbNames[] = {"ls", "create", "inspect", "rm", "resize"};

std::string size_text(std::int64_t mib) {
  if (mib >= 1024 * 1024 && mib % (1024 * 1024) == 0) return std::to_string(mib >> 20) + "TiB";
  if (mib >= 1024 && mib % 1024 == 0) return std::to_string(mib >> 10) + "GiB";
  return std::to_string(mib) + "MiB";
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

// Agent id -> hostname, from GET /master/slaves; empty if the master does not answer (the
// table then shows ids, which is all it had before).
std::map<std::string, std::string> agent_hostnames(const ApiClient& client) {
  std::map<std::string, std::string> names;
  auto answer = client.call("GET", "/master/slaves");
  if (!answer || answer->status != 200) return names;
  for (const auto& agent : answer->body.value("slaves", json::array())) {
    if (agent.is_object()) names[text_field(agent, "id")] = text_field(agent, "hostname");
  }
  return names;
}

}  // namespace

void print_volume_table(std::ostream& out, const json& volumes,
                        const std::map<std::string, std::string>& hostnames) {
  // HOST, as `berth task ls` shows a task's: an operator knows nodes by name; the agent id
  // stays in --json and `berth volume inspect`.
  Table table({"NAME", "DRIVER", "SIZE", "KIND", "STATE", "HOST", "EPOCH", "CLAIMS"});
  for (const auto& v : volumes) {
    if (!v.is_object()) continue;
    std::string agent = text_field(v, "agentId");
    std::string epoch;
    if (v.contains("attachment") && v["attachment"].is_object()) {
      agent = text_field(v["attachment"], "agentId");
      epoch = text_field(v["attachment"], "epoch");
    }
    auto known = hostnames.find(agent);
    const std::string host =
        known != hostnames.end() && !known->second.empty() ? known->second : agent;
    std::string claims;
    for (const auto& c : v.value("claims", json::array())) {
      claims += (claims.empty() ? "" : ",") + (c.is_string() ? c.get<std::string>() : c.dump());
    }
    table.add({text_field(v, "name"), text_field(v, "driver"),
               size_text(static_cast<std::int64_t>(number_field(v, "size"))), text_field(v, "kind"),
               text_field(v, "state"), host, epoch, claims});
  }
  table.print(out);
}

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

CLI::App* add_volume_command(CLI::App& berth, VolumeCommand& command) {
  CLI::App* noun =
      berth.add_subcommand("volume", "list, create, inspect and delete volumes (/v2/volumes)");
  noun->require_subcommand(1);
  add_client_options(noun, command.client);
  using Verb = VolumeCommand::Verb;
  auto verb = [&](Verb which, const std::string& help) {
    CLI::App* sub = noun->add_subcommand(kVerbNames[static_cast<int>(which)], help);
    sub->callback([&command, which] { command.verb = which; });
    return sub;
  };
  verb(Verb::kList, "a table of every volume");
  CLI::App* create = verb(Verb::kCreate, "create a volume");
  create->add_option("name", command.name, "the volume's name")->required();
  create->add_option("--size", command.size,
                     "MiB, or with a unit: 512M, 16G, 1T (default: the master's, 16G)");
  create->add_option("--driver", command.driver, "blockpool (default), local, or an alias");
  create->add_option("--fs_type,--fs-type", command.fs_type, "ext4 (default) or xfs");
  create->add_option("--kind", command.kind, "external (default) or local");
  create->add_flag("--shared", command.shared,
                   "several tasks may use it at once (on one node at a time)");
  create->add_option("--opt", command.options, "a driver option key=value; repeatable");
  verb(Verb::kInspect, "one volume, as JSON")
      ->add_option("name", command.name, "the volume's name")
      ->required();
  verb(Verb::kRemove, "delete a volume (refused while attached or in use)")
      ->add_option("name", command.name, "the volume's name")
      ->required();
  CLI::App* resize = verb(Verb::kResize, "grow a volume (applied when it is next attached)");
  resize->add_option("name", command.name, "the volume's name")->required();
  resize->add_option("size", command.size, "the new size: MiB, or 512M, 16G, 1T")->required();
  return noun;
}

int run_volume_command(const VolumeCommand& command, std::ostream& out, std::ostream& err) {
  const std::string name =
      std::string("berth volume ") + kVerbNames[static_cast<int>(command.verb)];
  if (command.verb != VolumeCommand::Verb::kList &&
      (command.name.empty() || command.name.find('/') != std::string::npos ||
       command.name.find('?') != std::string::npos)) {
    err << name << ": '" << command.name << "' is not a volume name\n";
    return kExitBadUsage;
  }
  std::string body;
  if (command.verb == VolumeCommand::Verb::kCreate) {
    auto created = create_body(command);
    if (!created.ok()) {
      err << name << ": " << created.error().message << "\n";
      return kExitBadUsage;
    }
    body = *created;
  }
  if (command.verb == VolumeCommand::Verb::kResize) {
    auto size = parse_volume_size(command.size);
    if (!size.ok()) {
      err << name << ": " << size.error().message << "\n";
      return kExitBadUsage;
    }
    body = json{{"size", *size}}.dump();
  }
  auto client = master_client(command.client, name, err);
  if (!client) return kExitBadUsage;

  const std::string path = "/v2/volumes/" + command.name;
  switch (command.verb) {
    case VolumeCommand::Verb::kList: {
      auto answer = client->expect("GET", "/v2/volumes", {200});
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << answer->body.dump(2) << "\n";
      } else {
        print_volume_table(out, answer->body.value("volumes", json::array()),
                           agent_hostnames(*client));
      }
      return kExitOk;
    }
    case VolumeCommand::Verb::kInspect: {
      auto answer = client->expect("GET", path, {200});
      if (!answer) return kExitApiError;
      out << answer->body.dump(2) << "\n";
      return kExitOk;
    }
    case VolumeCommand::Verb::kCreate: {
      auto answer = client->expect("POST", "/v2/volumes", {201}, body);
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << answer->body.dump(2) << "\n";
      } else {
        const json& v = answer->body;
        out << "created volume " << text_field(v, "name") << " (" << text_field(v, "driver") << ", "
            << size_text(static_cast<std::int64_t>(number_field(v, "size"))) << ", "
            << text_field(v, "state") << ")\n";
      }
      return kExitOk;
    }
    case VolumeCommand::Verb::kResize: {
      auto answer = client->expect("PATCH", path, {200}, body);
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << answer->body.dump(2) << "\n";
      } else {
        out << "volume " << command.name << " is now "
            << size_text(static_cast<std::int64_t>(number_field(answer->body, "size")))
            << " (applied when it is next attached)\n";
      }
      return kExitOk;
    }
    case VolumeCommand::Verb::kRemove: {
      auto answer = client->expect("DELETE", path, {200, 202});
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << (answer->body.is_null() ? "{}" : answer->body.dump(2)) << "\n";
      } else {
        out << (answer->status == 202 ? "deleting volume " : "deleted volume ") << command.name
            << "\n";
      }
      return kExitOk;
    }
  }
  return kExitBadUsage;
}

}  // namespace berth
