// /v2/groups (marathon-api.md §3.2, §11): the tree of groups with their apps, and changes to
// whole subtrees as one deployment.
#include <cmath>
#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "marathon/group_json.h"
#include "marathon/path_id.h"
#include "marathon_api/resources.h"
#include "marathon_api/task_json.h"
#include "scheduler/app_scheduler.h"
#include "scheduler/stored_keys.h"
#include "storage/volume_controller.h"

namespace berth::marathon_api {
namespace {

using marathon::AppDefinition;
using marathon::GroupDefinition;
using marathon::GroupUpdate;
using scheduler::Root;

std::vector<AppDefinition> app_list(const Root& root) {
  std::vector<AppDefinition> apps;
  apps.reserve(root.apps.size());
  for (const auto& [id, app] : root.apps) apps.push_back(app);
  return apps;
}

std::vector<GroupDefinition> group_list(const Root& root) {
  std::vector<GroupDefinition> groups;
  for (const auto& [id, group] : root.groups) groups.push_back(group);
  return groups;
}

bool is_under(const std::string& id, const std::string& group) {
  return group == "/" ? id != "/" : id.rfind(group + "/", 0) == 0;
}

// Removes a group's whole subtree (not the group itself).
void clear_below(Root& root, const std::string& group) {
  std::erase_if(root.apps, [&](const auto& entry) { return is_under(entry.first, group); });
  std::erase_if(root.groups, [&](const auto& entry) { return is_under(entry.first, group); });
}

// Marathon's GroupUpdate applied to the root: given apps replace the group's own apps, given
// groups replace its subgroups (each applied the same way), given dependencies replace its own.
void apply_update(Root& root, const GroupUpdate& update) {
  GroupDefinition& group = root.groups[update.id];
  group.id = update.id;
  if (update.dependencies) group.dependencies = *update.dependencies;
  if (update.apps) {
    std::erase_if(root.apps,
                  [&](const auto& entry) { return marathon::parent_id(entry.first) == update.id; });
    for (const AppDefinition& app : *update.apps) root.apps.insert_or_assign(app.id, app);
  }
  if (update.groups) {
    std::set<std::string> kept;
    for (const GroupUpdate& child : *update.groups) kept.insert(child.id);
    std::vector<std::string> dropped;
    for (const auto& [id, child] : root.groups) {
      if (id != update.id && marathon::parent_id(id) == update.id && kept.count(id) == 0) {
        dropped.push_back(id);
      }
    }
    for (const std::string& id : dropped) {
      clear_below(root, id);
      root.groups.erase(id);
      root.apps.erase(id);
    }
    for (const GroupUpdate& child : *update.groups) apply_update(root, child);
  }
}

HttpResponse get_group(ApiContext& context, const HttpRequest& request, const std::string& id) {
  const Root& root = context.scheduler.root();
  TasksByApp tasks = tasks_by_app(context.master);
  marathon::GroupEmbed embed = marathon::resolve_group_embed(request.params("embed"));
  auto render = [&](const AppDefinition& app) {
    return app_info(context, app, tasks[app.id], embed.app);
  };
  auto body = marathon::group_info_json(id, app_list(root), group_list(root), embed, render);
  if (!body.ok()) return error(body.error());
  return json_ok(200, std::move(*body));
}

HttpResponse group_versions(ApiContext& context, const std::string& id) {
  std::vector<WallTime> versions = context.scheduler.group_versions(id);
  if (versions.empty() && context.scheduler.root().groups.count(id) == 0) {
    return error(not_found("Group '" + id + "' does not exist"));
  }
  nlohmann::json list = nlohmann::json::array();
  for (WallTime version : versions) list.push_back(format_timestamp(version));
  return json_ok(200, list.dump());
}

HttpResponse group_version(ApiContext& context, const HttpRequest& request, const std::string& id,
                           const std::string& text) {
  auto version = parse_timestamp(text);
  if (!version.ok()) {
    return error(not_found("Group '" + id + "' does not exist in version " + text));
  }
  auto subtree = context.scheduler.group_at(id, *version);
  if (!subtree.ok()) return error(subtree.error());
  marathon::GroupEmbed embed = marathon::resolve_group_embed(request.params("embed"));
  auto render = [](const AppDefinition& app) { return marathon::app_to_json(app); };
  auto body =
      marathon::group_info_json(id, app_list(*subtree), group_list(*subtree), embed, render);
  if (!body.ok()) return error(body.error());
  return json_ok(200, std::move(*body));
}

// A group body read for POST or PUT, refused when an app already sits at the group's path.
Result<GroupUpdate> read_group_update(const ApiContext& context, const HttpRequest& request,
                                      const std::string& path_id) {
  auto update = marathon::parse_group_update(request.body, path_id);
  if (!update.ok()) return update.error();
  if (context.scheduler.root().apps.count(update->id) != 0) {
    return conflict("An app with the path " + update->id + " already exists.");
  }
  return update;
}

HttpResponse create_group(ApiContext& context, const HttpRequest& request,
                          const std::string& path_id) {
  auto update = read_group_update(context, request, path_id);
  if (!update.ok()) return error(update.error());
  const Root& root = context.scheduler.root();
  if (update->id == "/" || root.groups.count(update->id) != 0) {
    return error(
        conflict("Group " + update->id + " is already created. Use PUT to change this group."));
  }
  Root target = root;
  apply_update(target, *update);
  scheduler::ensure_groups(target);
  if (auto valid = validate_target(context, target); !valid.ok()) return error(valid.error());
  std::vector<std::string> ids;
  for (const AppDefinition& app : marathon::apps_of(*update)) ids.push_back(app.id);
  auto deployment = context.scheduler.deploy(std::move(target), flag(request, "force", false));
  if (!deployment.ok()) return deploy_error(context, deployment.error(), ids);
  HttpResponse response = deployment_result(201, *deployment);
  response.headers.emplace_back("Location", context.base_url() + update->id);
  return response;
}

HttpResponse update_group(ApiContext& context, const HttpRequest& request,
                          const std::string& path_id) {
  auto update = read_group_update(context, request, path_id);
  if (!update.ok()) return error(update.error());
  const Root& root = context.scheduler.root();
  Root target = root;
  if (update->version) {
    // Roll the subtree back: its groups and apps as they were, everything else as it is.
    auto subtree = context.scheduler.group_at(update->id, *update->version);
    if (!subtree.ok()) return error(subtree.error());
    clear_below(target, update->id);
    for (auto& [id, group] : subtree->groups) target.groups[id] = std::move(group);
    for (auto& [id, app] : subtree->apps) target.apps.insert_or_assign(id, std::move(app));
  } else if (update->scale_by) {
    if (root.groups.count(update->id) == 0) {
      return error(not_found("Group '" + update->id + "' does not exist"));
    }
    for (auto& [id, app] : target.apps) {
      if (is_under(id, update->id)) {
        app.instances = static_cast<std::int64_t>(
            std::ceil(static_cast<double>(app.instances) * *update->scale_by - 1e-9));
      }
    }
  } else {
    apply_update(target, *update);
  }
  scheduler::ensure_groups(target);
  if (auto valid = validate_target(context, target); !valid.ok()) return error(valid.error());
  if (flag(request, "dryRun", false)) {
    auto plan = context.scheduler.dry_run(target);
    if (!plan.ok()) return error(plan.error());
    return json_ok(200, scheduler::deployment_steps_to_json(plan->plan).dump());
  }
  std::vector<std::string> ids;
  for (const auto& [id, app] : target.apps) {
    if (is_under(id, update->id)) ids.push_back(id);
  }
  auto deployment = context.scheduler.deploy(std::move(target), flag(request, "force", false));
  if (!deployment.ok()) return deploy_error(context, deployment.error(), ids);
  return deployment_result(200, *deployment);
}

HttpResponse delete_group(ApiContext& context, const HttpRequest& request, const std::string& id) {
  const Root& root = context.scheduler.root();
  if (root.groups.count(id) == 0) return error(not_found("Group '" + id + "' does not exist"));
  Root target = root;
  std::vector<std::string> ids;
  for (const auto& [app_id, app] : root.apps) {
    if (is_under(app_id, id)) ids.push_back(app_id);
  }
  clear_below(target, id);
  if (id != "/") target.groups.erase(id);
  scheduler::ensure_groups(target);
  auto deployment = context.scheduler.deploy(std::move(target), flag(request, "force", false));
  if (!deployment.ok()) return deploy_error(context, deployment.error(), ids);
  return deployment_result(200, *deployment);
}

}  // namespace

Status validate_target(const ApiContext& context, const Root& target) {
  std::vector<AppDefinition> apps = app_list(target);
  BERTH_RETURN_IF_ERROR(marathon::check_dependency_cycles(apps, group_list(target)));
  BERTH_RETURN_IF_ERROR(marathon::validate_cluster(apps));
  if (context.volumes == nullptr) return {};
  // A driver nobody serves would leave the app waiting forever: refuse it now.
  std::vector<FieldError> unknown;
  for (const AppDefinition& app : apps) {
    if (!app.container) continue;
    for (std::size_t i = 0; i < app.container->volumes.size(); ++i) {
      const auto& external = app.container->volumes[i].external;
      if (!external || external->provider != "dvdi") continue;
      auto driver = external->options.find("dvdi/driver");
      if (driver == external->options.end() || context.volumes->knows_driver(driver->second)) {
        continue;
      }
      unknown.push_back(
          {"/container/volumes(" + std::to_string(i) + ")/external/options(\"dvdi/driver\")",
           {"driver '" + driver->second + "' of app " + app.id +
            " is not served by this cluster"}});
    }
  }
  if (unknown.empty()) return {};
  return invalid_fields(std::move(unknown));
}

HttpResponse handle_groups(ApiContext& context, const HttpRequest& request,
                           const std::vector<std::string>& segments) {
  const std::size_t n = segments.size();
  const std::string& method = request.method;
  if (method == "GET") {
    if (n >= 3 && segments[n - 1] == "apps") {
      std::string id = join_id(segments, 2, n - 1);
      if (context.scheduler.root().groups.count(id) == 0) {
        return error(not_found("Group '" + id + "' does not exist"));
      }
      std::vector<std::string> apps_path{"v2", "apps"};
      for (const std::string& segment : path_segments(id)) apps_path.push_back(segment);
      apps_path.push_back("*");
      return handle_apps(context, request, apps_path);
    }
    if (n >= 3 && segments[n - 1] == "versions") {
      return group_versions(context, join_id(segments, 2, n - 1));
    }
    if (n >= 4 && segments[n - 2] == "versions") {
      return group_version(context, request, join_id(segments, 2, n - 2), segments[n - 1]);
    }
    return get_group(context, request, join_id(segments, 2, n));
  }
  // Group versions are read-only: PUT /v2/groups/<id>/versions/<v> (an old client's rollback)
  // names no route.
  if ((n >= 3 && segments[n - 1] == "versions") || (n >= 4 && segments[n - 2] == "versions")) {
    return message(404, "URI not found");
  }
  std::string id = join_id(segments, 2, n);
  if (method == "POST") return create_group(context, request, id);
  if (method == "PUT") return update_group(context, request, id);
  if (method == "DELETE") return delete_group(context, request, id);
  return message(405, "Method not allowed");
}

}  // namespace berth::marathon_api
