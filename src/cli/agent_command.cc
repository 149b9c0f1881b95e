// The agents' table.
#include "cli/agent_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/table.h"

namespace berth {
namespace {

using nlohmann::json;

std::string amount(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

// "used/total" of one resource, as the agent's table shows it.
std::string usage(const json& agent, const std::string& name) {
  const json used = agent.value("used_resources", json::object());
  const json total = agent.value("resources", json::object());
  return amount(number_field(used, name)) + "/" + amount(number_field(total, name));
}

std::string attributes_text(const json& agent) {
  std::string text;
  const json attributes = agent.value("attributes", json::object());
  if (!attributes.is_object()) return text;
  for (const auto& [name, value] : attributes.items()) {
    text += (text.empty() ? "" : ";") + name + ":" +
            (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return text;
}

}  // namespace

CLI::App* add_agent_list_command(CLI::App* agent, AgentListCommand& command) {
  CLI::App* ls = agent->add_subcommand(
      "ls", "a table of the agents the master knows (a client: runs no agent)");
  add_client_options(ls, command.client);
  // The daemon's flags (--work_dir, ...) mean nothing here; refuse rather than ignore them.
  ls->fallthrough(false);
  return ls;
}

int run_agent_list_command(const AgentListCommand& command, std::ostream& out, std::ostream& err) {
  auto client = master_client(command.client, "berth agent ls", err);
  if (!client) return kExitBadUsage;
  auto answer = client->expect("GET", "/master/slaves", {200});
  if (!answer) return kExitApiError;
  if (command.client.json) {
    out << answer->body.dump(2) << "\n";
    return kExitOk;
  }
  Table table({"ID", "HOSTNAME", "PORT", "STATUS", "CPUS", "MEM", "DISK", "ATTRIBUTES"});
  for (const auto& agent : answer->body.value("slaves", json::array())) {
    if (!agent.is_object()) continue;
    table.add({text_field(agent, "id"), text_field(agent, "hostname"), text_field(agent, "port"),
               text_field(agent, "status"), usage(agent, "cpus"), usage(agent, "mem"),
               usage(agent, "disk"), attributes_text(agent)});
  }
  table.print(out);
  return kExitOk;
}

}  // namespace berth
