// The app verbs over /v2/apps.
#include "cli/app_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/deployment_command.h"
#include "cli/table.h"
#include "cli/task_command.h"

namespace berth {
namespace {

using nlohmann::json;

constexpr const char* kVerbNames[] = {"add",     "ls",      "show",   "scale",
                                      "suspend", "restart", "update", "rm"};

// 0.1 -> "0.1", 64 -> "64": resources as people write them.
std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

std::string health_text(const json& app) {
  if (!app.contains("healthChecks") || app["healthChecks"].empty()) return "-";
  return number_text(number_field(app, "tasksHealthy")) + "/" +
         number_text(number_field(app, "instances"));
}

void print_apps(std::ostream& out, const json& apps) {
  Table table({"ID", "RUNNING", "HEALTHY", "STAGED", "CPUS", "MEM", "DEPLOYING", "CMD"});
  for (const auto& app : apps) {
    if (!app.is_object()) continue;
    const bool deploying = app.contains("deployments") && !app["deployments"].empty();
    table.add({text_field(app, "id"),
               number_text(number_field(app, "tasksRunning")) + "/" +
                   number_text(number_field(app, "instances")),
               health_text(app), number_text(number_field(app, "tasksStaged")),
               number_text(number_field(app, "cpus")), number_text(number_field(app, "mem")),
               deploying ? "yes" : "-", truncate(text_field(app, "cmd"), 60)});
  }
  table.print(out);
}

void print_app(std::ostream& out, const json& app) {
  Table facts({"ID", text_field(app, "id")});
  facts.add({"VERSION", text_field(app, "version")});
  facts.add({"CMD", text_field(app, "cmd")});
  facts.add({"INSTANCES", number_text(number_field(app, "tasksRunning")) + " running of " +
                              number_text(number_field(app, "instances")) + ", " +
                              number_text(number_field(app, "tasksStaged")) + " staged, " +
                              number_text(number_field(app, "tasksHealthy")) + " healthy, " +
                              number_text(number_field(app, "tasksUnhealthy")) + " unhealthy"});
  facts.add({"RESOURCES", "cpus " + number_text(number_field(app, "cpus")) + ", mem " +
                              number_text(number_field(app, "mem")) + " MiB, disk " +
                              number_text(number_field(app, "disk")) + " MiB"});
  std::string deployments;
  for (const auto& d : app.value("deployments", json::array())) {
    deployments += (deployments.empty() ? "" : ", ") + text_field(d, "id");
  }
  facts.add({"DEPLOYMENTS", deployments});
  if (app.contains("lastTaskFailure") && app["lastTaskFailure"].is_object()) {
    const json& failure = app["lastTaskFailure"];
    facts.add({"LAST FAILURE", text_field(failure, "state") + " at " +
                                   text_field(failure, "timestamp") + ": " +
                                   text_field(failure, "message")});
  }
  facts.print(out);
  out << "\n";
  print_tasks(out, app.value("tasks", json::array()));
}

// What a change answered, in one sentence: the deployment it started (or none, for a change that
// needed none).
std::string deployment_of(const ApiAnswer& answer) {
  if (!answer.deployment_id.empty()) return answer.deployment_id;
  std::string id = text_field(answer.body, "deploymentId");
  if (id.empty() && answer.body.is_object() && answer.body.contains("deployments") &&
      answer.body["deployments"].is_array() && !answer.body["deployments"].empty()) {
    id = text_field(answer.body["deployments"][0], "id");
  }
  return id;
}

// Prints what a change started and, with --wait, follows it on `events` (opened before the
// change was asked for).
int report_change(const AppCommand& command, const ApiClient& client, const ApiAnswer& answer,
                  const std::string& what, std::unique_ptr<EventStreamReader> events,
                  std::ostream& out) {
  const std::string deployment = deployment_of(answer);
  if (command.client.json) {
    out << answer.body.dump(2) << "\n";
  } else {
    out << what << (deployment.empty() ? "" : ": deployment " + deployment) << "\n";
  }
  if (!command.wait || deployment.empty()) return kExitOk;
  // Progress is for people: with --json it goes to stderr, leaving stdout one JSON document.
  return watch_deployment(client, deployment, {std::chrono::milliseconds(500), false},
                          std::move(events), command.client.json ? client.err() : out);
}

}  // namespace

Result<std::string> read_json_document(const std::string& file, std::istream& in) {
  std::stringstream text;
  if (file == "-") {
    text << in.rdbuf();
  } else {
    std::ifstream stream(file);
    if (!stream) return invalid_argument("cannot read " + file);
    text << stream.rdbuf();
  }
  const std::string name = file == "-" ? "stdin" : file;
  try {
    auto document = json::parse(text.str());
    if (!document.is_object()) return invalid_argument(name + ": expected a JSON object");
    return document.dump();
  } catch (const json::parse_error& e) {
    return invalid_argument(name + ": not JSON: " + e.what());
  }
}

CLI::App* add_app_command(CLI::App& berth, AppCommand& command) {
  CLI::App* noun = berth.add_subcommand("app",
                                        "create, list, scale, update and remove Marathon "
                                        "apps (/v2/apps)");
  noun->require_subcommand(1);
  add_client_options(noun, command.client);
  using Verb = AppCommand::Verb;
  auto verb = [&](Verb which, const std::string& help) {
    CLI::App* sub = noun->add_subcommand(kVerbNames[static_cast<int>(which)], help);
    sub->callback([&command, which] { command.verb = which; });
    return sub;
  };
  auto id = [&](CLI::App* sub) {
    sub->add_option("id", command.id, "the app's id, e.g. /shop/web")->required();
  };
  auto changes = [&](CLI::App* sub) {
    sub->add_flag("--force", command.force,
                  "go ahead even if a deployment holds the app (it is cancelled)");
    sub->add_flag("--wait", command.wait, "follow the deployment until it ends");
  };

  CLI::App* add = verb(Verb::kAdd, "create an app from a JSON definition, as POST /v2/apps");
  add->add_option("file", command.file, "the app's JSON, or - for stdin")->required();
  changes(add);
  verb(Verb::kList, "a table of every app");
  id(verb(Verb::kShow, "one app: its definition's key facts and its tasks"));
  CLI::App* scale = verb(Verb::kScale, "set the number of instances");
  id(scale);
  scale->add_option("instances", command.instances, "how many")
      ->required()
      ->check(CLI::NonNegativeNumber);
  changes(scale);
  CLI::App* suspend = verb(Verb::kSuspend, "scale to 0, keeping the definition");
  id(suspend);
  changes(suspend);
  CLI::App* restart = verb(Verb::kRestart, "replace every task, under the upgrade strategy");
  id(restart);
  changes(restart);
  CLI::App* update = verb(Verb::kUpdate,
                          "change the fields a JSON file names (PUT /v2/apps/{id}); a rolling "
                          "upgrade when the definition changes");
  id(update);
  update->add_option("file", command.file, "the fields to change, as JSON, or - for stdin")
      ->required();
  changes(update);
  CLI::App* rm = verb(Verb::kRemove, "destroy an app and its tasks");
  id(rm);
  changes(rm);
  return noun;
}

int run_app_command(const AppCommand& command, std::istream& in, std::ostream& out,
                    std::ostream& err) {
  const std::string name = std::string("berth app ") + kVerbNames[static_cast<int>(command.verb)];
  auto bad_usage = [&](const std::string& message) {
    err << name << ": " << message << "\n";
    return kExitBadUsage;
  };
  std::string path;
  if (command.verb != AppCommand::Verb::kAdd && command.verb != AppCommand::Verb::kList) {
    auto id = id_path(command.id);
    if (!id.ok()) return bad_usage(id.error().message);
    path = "/v2/apps/" + *id;
  }
  std::string body;
  if (command.verb == AppCommand::Verb::kAdd || command.verb == AppCommand::Verb::kUpdate) {
    auto document = read_json_document(command.file, in);
    if (!document.ok()) return bad_usage(document.error().message);
    body = *document;
  }
  auto client = master_client(command.client, name, err);
  if (!client) return kExitBadUsage;

  const std::string force = force_query(command.force);
  auto events = [&] { return command.wait ? open_deployment_events(client->endpoint()) : nullptr; };
  switch (command.verb) {
    case AppCommand::Verb::kList:
    case AppCommand::Verb::kShow: {
      const bool list = command.verb == AppCommand::Verb::kList;
      auto answer = client->expect("GET", list ? "/v2/apps" : path, {200});
      if (!answer) return kExitApiError;
      if (command.client.json) {
        out << answer->body.dump(2) << "\n";
      } else if (list) {
        print_apps(out, answer->body.value("apps", json::array()));
      } else {
        print_app(out, answer->body.value("app", json::object()));
      }
      return kExitOk;
    }
    case AppCommand::Verb::kAdd: {
      auto stream = events();
      auto answer = client->expect("POST", "/v2/apps" + force, {201}, body);
      if (!answer) return kExitApiError;
      return report_change(command, *client, *answer,
                           "created app " + text_field(answer->body, "id"), std::move(stream), out);
    }
    case AppCommand::Verb::kScale:
    case AppCommand::Verb::kSuspend: {
      const int instances = command.verb == AppCommand::Verb::kScale ? command.instances : 0;
      auto stream = events();
      auto answer =
          client->expect("PUT", path + force, {200}, json{{"instances", instances}}.dump());
      if (!answer) return kExitApiError;
      return report_change(
          command, *client, *answer,
          "scaling app " + command.id + " to " + std::to_string(instances) + " instances",
          std::move(stream), out);
    }
    case AppCommand::Verb::kRestart: {
      auto stream = events();
      auto answer = client->expect("POST", path + "/restart" + force, {200});
      if (!answer) return kExitApiError;
      return report_change(command, *client, *answer, "restarting app " + command.id,
                           std::move(stream), out);
    }
    case AppCommand::Verb::kUpdate: {
      auto stream = events();
      auto answer = client->expect("PUT", path + force, {200, 201}, body);
      if (!answer) return kExitApiError;
      return report_change(command, *client, *answer,
                           (answer->status == 201 ? "created app " : "updating app ") + command.id,
                           std::move(stream), out);
    }
    case AppCommand::Verb::kRemove: {
      auto stream = events();
      auto answer = client->expect("DELETE", path + force, {200});
      if (!answer) return kExitApiError;
      return report_change(command, *client, *answer, "removing app " + command.id,
                           std::move(stream), out);
    }
  }
  return kExitBadUsage;
}

}  // namespace berth
