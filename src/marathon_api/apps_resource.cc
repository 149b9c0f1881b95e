// /v2/apps: list, create, read, replace, patch, delete, restart, versions and an app's tasks
// (marathon-api.md §3.1). Every change goes through AppScheduler::deploy as a new target root.
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "marathon/label_selector.h"
#include "marathon/path_id.h"
#include "marathon_api/resources.h"
#include "marathon_api/task_json.h"
#include "master/master_core.h"
#include "scheduler/app_scheduler.h"
#include "scheduler/stored_keys.h"

namespace berth::marathon_api {
namespace {

using marathon::AppDefinition;
using scheduler::Root;

bool contains_ignoring_case(const std::string& haystack, const std::string& needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) { return std::tolower(a) == std::tolower(b); });
  return it != haystack.end();
}

HttpResponse app_not_found(const std::string& id) {
  return error(not_found("App '" + id + "' does not exist"));
}

// The apps listed by GET /v2/apps, filtered by cmd, id and label.
Result<std::vector<const AppDefinition*>> filtered_apps(const ApiContext& context,
                                                        const HttpRequest& request) {
  std::optional<marathon::LabelSelector> selector;
  if (auto label = request.param("label")) {
    auto parsed = marathon::LabelSelector::parse(*label);
    if (!parsed.ok()) return parsed.error();
    selector = std::move(*parsed);
  }
  auto cmd = request.param("cmd");
  auto id = request.param("id");
  std::vector<const AppDefinition*> apps;
  for (const auto& [app_id, app] : context.scheduler.root().apps) {
    if (cmd && !contains_ignoring_case(app.cmd.value_or(""), *cmd)) continue;
    if (id && !contains_ignoring_case(app_id, *id)) continue;
    if (selector && !selector->matches(app.labels)) continue;
    apps.push_back(&app);
  }
  return apps;
}

std::string app_infos(const ApiContext& context, const std::vector<const AppDefinition*>& apps,
                      const marathon::AppEmbed& embed) {
  std::string out = "[";
  for (std::size_t i = 0; i < apps.size(); ++i) {
    if (i > 0) out += ",";
    out += app_info(context, *apps[i], context.master.live_tasks_of(apps[i]->id), embed);
  }
  return out + "]";
}

HttpResponse list_apps(const ApiContext& context, const HttpRequest& request) {
  auto apps = filtered_apps(context, request);
  if (!apps.ok()) return error(apps.error());
  marathon::AppEmbed embed = marathon::resolve_app_embed(request.params("embed"));
  embed.counts = embed.deployments = true;  // Marathon always embeds these in lists
  return json_ok(200, "{\"apps\":" + app_infos(context, *apps, embed) + "}");
}

// A path already taken by a group or an app cannot take a new app.
std::optional<Error> id_taken(const Root& root, const std::string& id) {
  if (root.apps.count(id) != 0) {
    return conflict("An app with id [" + id + "] already exists.");
  }
  if (root.groups.count(id) != 0) {
    return conflict("A group with id [" + id + "] already exists.");
  }
  // No app may sit where a group of the new app's path is.
  for (std::string parent = id; parent != "/";) {
    auto slash = parent.rfind('/');
    parent = slash == 0 ? "/" : parent.substr(0, slash);
    if (root.apps.count(parent) != 0) {
      return conflict("An app with the path " + parent + " already exists.");
    }
  }
  return std::nullopt;
}

// Adds or replaces `app` in a copy of the root and deploys it.
Result<scheduler::Deployment> deploy_app(ApiContext& context, const AppDefinition& app,
                                         bool force) {
  Root target = context.scheduler.root();
  target.apps.insert_or_assign(app.id, app);
  scheduler::ensure_groups(target);
  BERTH_RETURN_IF_ERROR(validate_target(context, target));
  return context.scheduler.deploy(std::move(target), force);
}

HttpResponse create_app(ApiContext& context, const HttpRequest& request) {
  auto app = marathon::parse_app(request.body);
  if (!app.ok()) return error(app.error());
  if (auto taken = id_taken(context.scheduler.root(), app->id)) return error(*taken);
  auto deployment = deploy_app(context, *app, flag(request, "force", false));
  if (!deployment.ok()) return deploy_error(context, deployment.error(), {app->id});
  const AppDefinition& created = *context.scheduler.find_app(app->id);
  if (context.api_post) context.api_post(request.remote, request.path, created);
  marathon::AppEmbed embed;
  embed.counts = embed.deployments = true;
  HttpResponse response = json_ok(201, app_info(context, created, {}, embed));
  // Marathon answers `created(new URI(appId))`, which its server resolves against the base URI.
  response.headers.emplace_back("Location", context.base_url() + created.id);
  response.headers.emplace_back("Marathon-Deployment-Id", deployment->id());
  return response;
}

HttpResponse get_app(ApiContext& context, const HttpRequest& request, const std::string& id) {
  const AppDefinition* app = context.scheduler.find_app(id);
  if (app == nullptr) return app_not_found(id);
  marathon::AppEmbed embed = marathon::resolve_app_embed(request.params("embed"));
  embed.counts = embed.tasks = embed.deployments = embed.last_task_failure = true;
  return json_ok(
      200, "{\"app\":" + app_info(context, *app, context.master.live_tasks_of(id), embed) + "}");
}

// GET /v2/apps/<group>/*: the apps directly in the group.
HttpResponse get_group_apps(ApiContext& context, const HttpRequest& request,
                            const std::string& group) {
  const Root& root = context.scheduler.root();
  if (root.groups.count(group) == 0) {
    return error(not_found("Group '" + group + "' does not exist"));
  }
  std::vector<const AppDefinition*> apps;
  for (const auto& [id, app] : root.apps) {
    if (marathon::parent_id(id) == group) apps.push_back(&app);
  }
  marathon::AppEmbed embed = marathon::resolve_app_embed(request.params("embed"));
  embed.counts = embed.deployments = true;
  return json_ok(200, "{\"*\":" + app_infos(context, apps, embed) + "}");
}

// PUT and PATCH /v2/apps/<id>.
HttpResponse update_app(ApiContext& context, const HttpRequest& request, const std::string& id,
                        bool patch) {
  bool force = flag(request, "force", false);
  const AppDefinition* existing = context.scheduler.find_app(id);
  auto rollback = marathon::parse_rollback_request(request.body);
  if (!rollback.ok()) return error(rollback.error());
  AppDefinition next;
  if (*rollback) {
    if (existing == nullptr) return app_not_found(id);
    auto stored = context.scheduler.version(id, **rollback);
    if (!stored.ok()) return error(stored.error());
    next = std::move(*stored);
  } else if (existing == nullptr) {
    if (patch) return app_not_found(id);
    if (auto taken = id_taken(context.scheduler.root(), id)) return error(*taken);
    auto created = marathon::parse_app_with_id(request.body, id);
    if (!created.ok()) return error(created.error());
    next = std::move(*created);
  } else {
    bool partial = patch || flag(request, "partialUpdate", true);
    auto updated = marathon::apply_app_update(*existing, request.body, partial);
    if (!updated.ok()) return error(updated.error());
    next = std::move(*updated);
  }
  bool created = existing == nullptr;
  auto deployment = deploy_app(context, next, force);
  if (!deployment.ok()) return deploy_error(context, deployment.error(), {id});
  if (context.api_post) {
    context.api_post(request.remote, request.path, *context.scheduler.find_app(id));
  }
  HttpResponse response = deployment_result(created ? 201 : 200, *deployment);
  if (created) response.headers.emplace_back("Location", context.base_url() + id);
  return response;
}

// PUT and PATCH /v2/apps: many apps in one deployment.
HttpResponse update_apps(ApiContext& context, const HttpRequest& request, bool patch) {
  bool partial = patch || flag(request, "partialUpdate", true);
  auto lookup = [&context](const std::string& id) { return context.scheduler.find_app(id); };
  auto changes = marathon::apply_app_updates(request.body, partial, patch, lookup);
  if (!changes.ok()) return error(changes.error());
  Root target = context.scheduler.root();
  std::vector<std::string> ids;
  for (marathon::AppChange& change : *changes) {
    if (change.rollback_to) {
      auto stored = context.scheduler.version(change.app.id, *change.rollback_to);
      if (!stored.ok()) return error(stored.error());
      change.app = std::move(*stored);
    }
    ids.push_back(change.app.id);
    target.apps.insert_or_assign(change.app.id, change.app);
  }
  scheduler::ensure_groups(target);
  if (auto valid = validate_target(context, target); !valid.ok()) {
    return error(valid.error());
  }
  auto deployment = context.scheduler.deploy(std::move(target), flag(request, "force", false));
  if (!deployment.ok()) return deploy_error(context, deployment.error(), ids);
  return deployment_result(200, *deployment);
}

HttpResponse delete_app(ApiContext& context, const HttpRequest& request, const std::string& id) {
  if (context.scheduler.find_app(id) == nullptr) return app_not_found(id);
  Root target = context.scheduler.root();
  target.apps.erase(id);
  auto deployment = context.scheduler.deploy(std::move(target), flag(request, "force", true));
  if (!deployment.ok()) return deploy_error(context, deployment.error(), {id});
  return deployment_result(200, *deployment);
}

HttpResponse restart_app(ApiContext& context, const HttpRequest& request, const std::string& id) {
  if (context.scheduler.find_app(id) == nullptr) return app_not_found(id);
  auto deployment = context.scheduler.restart(id, flag(request, "force", false));
  if (!deployment.ok()) return deploy_error(context, deployment.error(), {id});
  return deployment_result(200, *deployment);
}

HttpResponse app_versions(ApiContext& context, const std::string& id) {
  if (context.scheduler.find_app(id) == nullptr) return app_not_found(id);
  nlohmann::json versions = nlohmann::json::array();
  for (WallTime version : context.scheduler.versions(id)) {
    versions.push_back(format_timestamp(version));
  }
  return json_ok(200, nlohmann::json{{"versions", std::move(versions)}}.dump());
}

HttpResponse app_version(ApiContext& context, const std::string& id, const std::string& text) {
  if (context.scheduler.find_app(id) == nullptr) return app_not_found(id);
  auto version = parse_timestamp(text);
  if (!version.ok()) {
    return error(not_found("App '" + id + "' does not exist in version " + text));
  }
  auto app = context.scheduler.version(id, *version);
  if (!app.ok()) return error(app.error());
  return json_ok(200, marathon::app_to_json(*app));
}

// GET /v2/apps/<id>/tasks; with a trailing "*", the tasks of every app under the group.
HttpResponse app_tasks(ApiContext& context, const std::string& id) {
  const Root& root = context.scheduler.root();
  std::string out = "[";
  auto append = [&](const AppDefinition& app) {
    for (const TaskRecord* task : context.master.live_tasks_of(app.id)) {
      if (out.size() > 1) out += ",";
      out += task_json(*task, &app);
    }
  };
  if (id.size() >= 2 && id.substr(id.size() - 2) == "/*") {
    std::string group = id.size() == 2 ? "/" : id.substr(0, id.size() - 2);
    if (root.groups.count(group) == 0) {
      return error(not_found("Group '" + group + "' does not exist"));
    }
    for (const auto& [app_id, app] : root.apps) {
      if (group == "/" || app_id.rfind(group + "/", 0) == 0) append(app);
    }
  } else {
    const AppDefinition* app = context.scheduler.find_app(id);
    if (app == nullptr) return app_not_found(id);
    append(*app);
  }
  return json_ok(200, "{\"tasks\":" + out + "]}");
}

}  // namespace

HttpResponse kill_app_tasks(ApiContext& context, const HttpRequest& request, const std::string& id,
                            const std::optional<std::string>& task_id) {
  bool scale = flag(request, "scale", false);
  if (scale && flag(request, "wipe", false)) {
    return message(400, "You cannot use scale and wipe at the same time.");
  }
  const AppDefinition* app = context.scheduler.find_app(id);
  if (app == nullptr) return app_not_found(id);
  std::vector<const TaskRecord*> chosen;
  auto host = request.param("host");
  for (const TaskRecord* task : context.master.live_tasks_of(id)) {
    if (task_id && task->id() != *task_id) continue;
    if (host && *host != "*" && task->hostname != *host) continue;
    chosen.push_back(task);
  }
  if (task_id && chosen.empty()) return error(not_found("Task '" + *task_id + "' does not exist"));
  std::vector<std::string> ids;
  for (const TaskRecord* task : chosen) ids.push_back(task->id());
  std::string killed = tasks_array_json(chosen, app);
  auto result = context.scheduler.kill_tasks(ids, scale, flag(request, "force", false),
                                             flag(request, "wipe", false));
  if (!result.ok()) return deploy_error(context, result.error(), {id});
  if (scale && *result) return deployment_result(200, **result);
  if (task_id) {
    std::string one = killed.substr(1, killed.size() - 2);
    return json_ok(200, "{\"task\":" + one + "}");
  }
  return json_ok(200, "{\"tasks\":" + killed + "}");
}

HttpResponse handle_apps(ApiContext& context, const HttpRequest& request,
                         const std::vector<std::string>& segments) {
  // segments: "v2", "apps", id..., [suffix...]
  const std::string& method = request.method;
  const std::size_t n = segments.size();
  if (n == 2) {
    if (method == "GET") return list_apps(context, request);
    if (method == "POST") return create_app(context, request);
    if (method == "PUT") return update_apps(context, request, false);
    if (method == "PATCH") return update_apps(context, request, true);
    return message(405, "Method not allowed");
  }
  const std::string& last = segments[n - 1];
  if (last == "tasks") {
    std::string id = join_id(segments, 2, n - 1);
    if (method == "GET") return app_tasks(context, id);
    if (method == "DELETE") return kill_app_tasks(context, request, id, std::nullopt);
    return message(405, "Method not allowed");
  }
  if (n >= 4 && segments[n - 2] == "tasks") {
    std::string id = join_id(segments, 2, n - 2);
    if (method == "DELETE") return kill_app_tasks(context, request, id, last);
    if (method == "GET") {
      const AppDefinition* app = context.scheduler.find_app(id);
      const TaskRecord* task = context.master.find_task(last);
      if (app == nullptr) return app_not_found(id);
      if (task == nullptr || task->spec.app_id != id) {
        return error(not_found("Task '" + last + "' does not exist"));
      }
      return json_ok(200, "{\"task\":" + task_json(*task, app) + "}");
    }
    return message(405, "Method not allowed");
  }
  if (last == "versions") {
    if (method != "GET") return message(405, "Method not allowed");
    return app_versions(context, join_id(segments, 2, n - 1));
  }
  if (n >= 4 && segments[n - 2] == "versions") {
    if (method != "GET") return message(405, "Method not allowed");
    return app_version(context, join_id(segments, 2, n - 2), last);
  }
  if (last == "restart") {
    if (method != "POST") return message(405, "Method not allowed");
    return restart_app(context, request, join_id(segments, 2, n - 1));
  }
  if (last == "*") {
    if (method != "GET") return message(405, "Method not allowed");
    return get_group_apps(context, request, join_id(segments, 2, n - 1));
  }
  std::string id = join_id(segments, 2, n);
  if (method == "GET") return get_app(context, request, id);
  if (method == "PUT") return update_app(context, request, id, false);
  if (method == "PATCH") return update_app(context, request, id, true);
  if (method == "DELETE") return delete_app(context, request, id);
  return message(405, "Method not allowed");
}

}  // namespace berth::marathon_api
