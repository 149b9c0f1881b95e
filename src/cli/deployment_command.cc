// Listing, watching and cancelling deployments.
#include "cli/deployment_command.h"

#include <CLI/CLI.hpp>
#include <ctime>
#include <thread>

#include "cli/duration_flag.h"
#include "cli/event_stream_reader.h"
#include "cli/table.h"
#include "http/http_types.h"

namespace berth {
namespace {

using nlohmann::json;

// "ScaleApplication /web, StopApplication /db".
std::string actions_text(const json& actions) {
  std::string text;
  for (const auto& action : actions) {
    if (!action.is_object()) continue;
    text +=
        (text.empty() ? "" : ", ") + text_field(action, "action") + " " + text_field(action, "app");
  }
  return text;
}

void print_deployments(std::ostream& out, const json& deployments) {
  Table table({"ID", "STEP", "APPS", "VERSION", "ACTIONS"});
  for (const auto& d : deployments) {
    if (!d.is_object()) continue;
    std::string apps;
    for (const auto& app : d.value("affectedApps", json::array())) {
      apps += (apps.empty() ? "" : ",") + (app.is_string() ? app.get<std::string>() : app.dump());
    }
    table.add(
        {text_field(d, "id"),
         std::to_string(d.value("currentStep", 0)) + "/" + std::to_string(d.value("totalSteps", 0)),
         apps, text_field(d, "version"), actions_text(d.value("currentActions", json::array()))});
  }
  table.print(out);
}

// The wall clock as HH:MM:SS, to date each line of a watch.
std::string clock_text() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  ::localtime_r(&now, &local);
  char text[16];
  std::strftime(text, sizeof(text), "%H:%M:%S", &local);
  return text;
}

// "/web 2/3 running, 1 healthy" from the app's counts, or just the id when it cannot be read
// (an app being stopped may be gone already).
std::string app_progress(const ApiClient& client, const std::string& app_id) {
  auto path = id_path(app_id);
  if (!path.ok()) return app_id;
  auto answer = client.call("GET", "/v2/apps/" + *path);
  if (!answer || answer->status != 200 || !answer->body.is_object()) return app_id;
  const json app = answer->body.value("app", json::object());
  if (!app.is_object()) return app_id;
  std::string text = app_id + " " + std::to_string(app.value("tasksRunning", 0)) + "/" +
                     std::to_string(app.value("instances", 0)) + " running";
  if (!app.value("healthChecks", json::array()).empty()) {
    text += ", " + std::to_string(app.value("tasksHealthy", 0)) + " healthy";
  }
  return text;
}

std::string progress_line(const ApiClient& client, const json& deployment) {
  std::string line = "step " + std::to_string(deployment.value("currentStep", 0)) + "/" +
                     std::to_string(deployment.value("totalSteps", 0)) + ":";
  for (const auto& action : deployment.value("currentActions", json::array())) {
    if (!action.is_object()) continue;
    line +=
        " " + text_field(action, "action") + " " + app_progress(client, text_field(action, "app"));
    line += ";";
  }
  if (line.back() == ';') line.pop_back();
  return line;
}

// The outcome of deployment `id` if `event` announces it: 0 succeeded, 1 failed.
std::optional<int> outcome(const SseEvent& event, const std::string& id, std::ostream& out) {
  if (!event.data.is_object() || text_field(event.data, "id") != id) {
    return std::nullopt;
  }
  if (event.type == "deployment_success") {
    out << clock_text() << " deployment " << id << " succeeded\n";
    return kExitOk;
  }
  if (event.type == "deployment_failed") {
    out << clock_text() << " deployment " << id << " failed: " << text_field(event.data, "reason")
        << "\n";
    return kExitApiError;
  }
  return std::nullopt;
}

}  // namespace

std::unique_ptr<EventStreamReader> open_deployment_events(const Endpoint& master) {
  auto stream = EventStreamReader::open(master, {"deployment_success", "deployment_failed"});
  return stream.ok() ? std::move(*stream) : nullptr;
}

int watch_deployment(const ApiClient& client, const std::string& id, const WatchOptions& options,
                     std::unique_ptr<EventStreamReader> events, std::ostream& out) {
  // Without the stream the watch still works by polling, but it cannot tell a deployment that
  // succeeded from one that was cancelled.
  bool seen = false;
  std::string last_line;
  while (true) {
    auto answer = client.expect("GET", "/v2/deployments", {200});
    if (!answer) return kExitApiError;
    const json* found = nullptr;
    if (answer->body.is_array()) {
      for (const auto& d : answer->body) {
        if (d.is_object() && text_field(d, "id") == id) found = &d;
      }
    }
    if (found == nullptr) {
      if (!seen && options.must_exist) {
        client.err() << client.command() << ": no deployment '" << id << "' is running\n";
        return kExitApiError;
      }
      // Gone: the stream says how it ended, if it is still there to say it.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (events && std::chrono::steady_clock::now() < deadline) {
        auto event = events->next(std::chrono::milliseconds(200));
        if (!event.ok()) break;
        if (*event) {
          if (auto result = outcome(**event, id, out)) return *result;
        }
      }
      out << clock_text() << " deployment " << id << " is over\n";
      return kExitOk;
    }
    seen = true;
    std::string line = progress_line(client, *found);
    if (line != last_line) out << clock_text() << " " << line << std::endl;
    last_line = line;

    // Until the next look: whatever the stream says, or a plain wait.
    const auto next_look = std::chrono::steady_clock::now() + options.interval;
    while (events && std::chrono::steady_clock::now() < next_look) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          next_look - std::chrono::steady_clock::now());
      auto event = events->next(std::max(left, std::chrono::milliseconds(1)));
      if (!event.ok()) {
        events.reset();
        break;
      }
      if (!*event) break;
      if (auto result = outcome(**event, id, out)) return *result;
    }
    if (!events) std::this_thread::sleep_until(next_look);
  }
}

CLI::App* add_deployment_command(CLI::App& berth, DeploymentCommand& command) {
  CLI::App* noun = berth.add_subcommand(
      "deployment", "list, watch and cancel the master's deployments (/v2/deployments)");
  noun->require_subcommand(1);
  add_client_options(noun, command.client);
  using Verb = DeploymentCommand::Verb;
  noun->add_subcommand("ls", "a table of the running deployments")->callback([&command] {
    command.verb = Verb::kList;
  });
  CLI::App* watch = noun->add_subcommand("watch", "show a deployment's progress until it ends");
  watch->add_option("id", command.id, "the deployment's id")->required();
  watch->add_option_function<std::string>(
      "--interval",
      [&command](const std::string& text) {
        auto parsed = parse_duration(text);
        if (!parsed.ok()) throw CLI::ValidationError("--interval", parsed.error().message);
        command.interval = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(*parsed),
                                    std::chrono::milliseconds(50));
      },
      "between looks at the deployment (default 500ms)");
  watch->callback([&command] { command.verb = Verb::kWatch; });
  CLI::App* cancel = noun->add_subcommand(
      "cancel",
      "cancel a deployment: roll back to the previous definitions, or with --force "
      "just stop it");
  cancel->add_option("id", command.id, "the deployment's id")->required();
  cancel->add_flag("--force", command.force,
                   "stop the deployment without rolling back (the apps keep their new "
                   "definitions)");
  cancel->callback([&command] { command.verb = Verb::kCancel; });
  return noun;
}

int run_deployment_command(const DeploymentCommand& command, std::ostream& out, std::ostream& err) {
  static const char* const kVerbs[] = {"ls", "watch", "cancel"};
  const std::string name =
      std::string("berth deployment ") + kVerbs[static_cast<int>(command.verb)];
  auto client = master_client(command.client, name, err);
  if (!client) return kExitBadUsage;
  switch (command.verb) {
    case DeploymentCommand::Verb::kList: {
      auto answer = client->expect("GET", "/v2/deployments", {200});
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << answer->body.dump(2) << "\n";
      } else if (answer->body.is_array()) {
        print_deployments(out, answer->body);
      }
      return kExitOk;
    }
    case DeploymentCommand::Verb::kWatch:
      // Subscribed before the first look, so that an ending between the two is not missed.
      return watch_deployment(*client, command.id, {command.interval, true},
                              open_deployment_events(client->endpoint()), out);
    case DeploymentCommand::Verb::kCancel: {
      auto answer = client->expect(
          "DELETE", "/v2/deployments/" + percent_encode(command.id) + force_query(command.force),
          {200, 202});
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << (answer->body.is_null() ? "{}" : answer->body.dump(2)) << "\n";
      } else if (answer->status == 202) {
        out << "stopped deployment " << command.id << " (no rollback)\n";
      } else {
        out << "cancelled deployment " << command.id << "; rolling back in deployment "
            << text_field(answer->body, "deploymentId") << "\n";
      }
      return kExitOk;
    }
  }
  return kExitBadUsage;
}

}  // namespace berth
