// Group bodies, dependency cycles, cluster-wide volume rules and GroupInfo output.
#include "marathon/group_json.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/time_format.h"
#include "marathon/app_internal.h"
#include "marathon/path_id.h"

namespace berth::marathon {

namespace {

using detail::child_path;
using detail::index_path;
using detail::Json;

GroupUpdate read_group(detail::Reader& reader, detail::Violations& violations, const Json& body,
                       const std::string& path, const std::string& base, bool nested) {
  GroupUpdate group;
  group.id = base;
  if (!reader.expect_object(body, path)) return group;
  std::string id_path = child_path(path, "id");
  if (auto id = reader.string(body, "id", path)) {
    for (std::string& message : id_violations(*id)) violations.add(id_path, std::move(message));
    group.id = canonical_id(*id, base);
    if (nested && !is_child_of(group.id, base)) violations.add(id_path, not_child_message(base));
  } else if (nested && detail::Reader::find(body, "id") == nullptr) {
    reader.missing(id_path);
  }

  if (const Json* apps = reader.array(body, "apps", path)) {
    group.apps.emplace();
    std::string apps_path = child_path(path, "apps");
    detail::AppReadOptions options;
    options.base = group.id;
    options.required_parent = group.id;
    for (std::size_t i = 0; i < apps->size(); ++i) {
      group.apps->push_back(
          detail::read_app(reader, violations, (*apps)[i], index_path(apps_path, i), options));
    }
  }
  if (const Json* groups = reader.array(body, "groups", path)) {
    group.groups.emplace();
    std::string groups_path = child_path(path, "groups");
    for (std::size_t i = 0; i < groups->size(); ++i) {
      group.groups->push_back(
          read_group(reader, violations, (*groups)[i], index_path(groups_path, i), group.id, true));
    }
  }
  if (auto dependencies = reader.strings(body, "dependencies", path)) {
    group.dependencies.emplace();
    std::string dependencies_path = child_path(path, "dependencies");
    for (std::size_t i = 0; i < dependencies->size(); ++i) {
      for (std::string& message : id_violations((*dependencies)[i])) {
        violations.add(index_path(dependencies_path, i), std::move(message));
      }
      group.dependencies->push_back(canonical_id((*dependencies)[i], group.id));
    }
  }
  group.scale_by = reader.number(body, "scaleBy", path);
  group.version = reader.timestamp(body, "version", path);
  return group;
}

void collect_apps(const GroupUpdate& update, std::vector<AppDefinition>& apps) {
  if (update.apps) apps.insert(apps.end(), update.apps->begin(), update.apps->end());
  if (update.groups) {
    for (const GroupUpdate& group : *update.groups) collect_apps(group, apps);
  }
}

bool is_at_or_below(const std::string& id, const std::string& group) {
  return id == group || is_child_of(id, group);
}

// The index path of an app inside the root group tree: /groups(0)/apps(1).
class TreePaths {
 public:
  explicit TreePaths(const std::vector<AppDefinition>& apps) {
    for (const AppDefinition& app : apps) {
      std::string group = parent_id(app.id);
      apps_[group].insert(app.id);
      while (!is_root_id(group)) {
        std::string parent = parent_id(group);
        groups_[parent].insert(group);
        group = parent;
      }
    }
  }

  std::string of_app(const std::string& app_id) const {
    std::vector<std::string> chain;
    for (std::string group = parent_id(app_id); !is_root_id(group); group = parent_id(group)) {
      chain.push_back(group);
    }
    std::string path;
    std::string parent = "/";
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      path = index_path(path + "/groups", position(groups_.at(parent), *it));
      parent = *it;
    }
    return index_path(path + "/apps", position(apps_.at(parent), app_id));
  }

 private:
  static std::size_t position(const std::set<std::string>& ids, const std::string& id) {
    return static_cast<std::size_t>(std::distance(ids.begin(), ids.find(id)));
  }

  std::map<std::string, std::set<std::string>> apps_;    // group -> its apps
  std::map<std::string, std::set<std::string>> groups_;  // group -> its direct subgroups
};

// Whether a volume may be used by one app only.
bool is_exclusive(const Volume& volume) {
  const ExternalVolume& external = *volume.external;
  if (external.shared) return false;
  if (external.provider != "csi") return true;
  std::string mode = external.csi ? external.csi->access_mode : "";
  bool shareable = mode.rfind("MULTI_NODE", 0) == 0;
  return !shareable || (mode == "MULTI_NODE_SINGLE_WRITER" && volume.mode == "RW");
}

WallTime newest_version(const std::string& group_id, const std::vector<AppDefinition>& apps,
                        const std::vector<GroupDefinition>& groups) {
  WallTime newest{};
  for (const AppDefinition& app : apps) {
    if (is_child_of(app.id, group_id)) newest = std::max(newest, app.version);
  }
  for (const GroupDefinition& group : groups) {
    if (is_at_or_below(group.id, group_id)) newest = std::max(newest, group.version);
  }
  return newest;
}

std::string render_group(const std::string& group_id, const std::vector<AppDefinition>& apps,
                         const std::vector<GroupDefinition>& groups, const GroupEmbed& embed,
                         const AppRenderer& render_app) {
  const GroupDefinition* declared = nullptr;
  for (const GroupDefinition& group : groups) {
    if (group.id == group_id) declared = &group;
  }
  std::string text = "{\"id\":" + Json(group_id).dump();
  if (embed.apps) {
    std::vector<const AppDefinition*> direct;
    for (const AppDefinition& app : apps) {
      if (parent_id(app.id) == group_id) direct.push_back(&app);
    }
    std::sort(direct.begin(), direct.end(),
              [](const AppDefinition* a, const AppDefinition* b) { return a->id < b->id; });
    text += ",\"apps\":[";
    for (std::size_t i = 0; i < direct.size(); ++i) {
      if (i > 0) text += ',';
      text += render_app(*direct[i]);
    }
    text += ']';
  }
  if (embed.groups) {
    // Direct subgroups: one level below, from declared groups and from app ids.
    std::set<std::string> children;
    std::size_t depth = id_segments(group_id).size();
    auto add_child = [&](const std::string& id) {
      if (!is_child_of(id, group_id)) return;
      std::vector<std::string> segments = id_segments(id);
      std::string child = group_id == "/" ? "" : group_id;
      child += "/" + segments[depth];
      children.insert(child);
    };
    for (const GroupDefinition& group : groups) add_child(group.id);
    for (const AppDefinition& app : apps) add_child(parent_id(app.id));
    text += ",\"groups\":[";
    bool first = true;
    for (const std::string& child : children) {
      if (!first) text += ',';
      first = false;
      text += render_group(child, apps, groups, embed, render_app);
    }
    text += ']';
  }
  if (embed.pods) text += ",\"pods\":[]";
  std::vector<std::string> dependencies =
      declared ? declared->dependencies : std::vector<std::string>{};
  text += ",\"dependencies\":" + Json(dependencies).dump();
  WallTime version = declared ? declared->version : newest_version(group_id, apps, groups);
  text += ",\"version\":" + Json(format_timestamp(version)).dump() + "}";
  return text;
}

}  // namespace

Result<GroupUpdate> parse_group_update(std::string_view body, const std::string& path_id) {
  auto json = detail::parse_body(body);
  if (!json.ok()) return json.error();
  detail::Violations type_errors;
  detail::Violations violations;
  detail::Reader reader(type_errors);
  GroupUpdate group = read_group(reader, violations, *json, "", canonical_id(path_id, "/"), false);
  return detail::finish(type_errors, violations, std::move(group));
}

std::vector<AppDefinition> apps_of(const GroupUpdate& update) {
  std::vector<AppDefinition> apps;
  collect_apps(update, apps);
  return apps;
}

Status check_dependency_cycles(const std::vector<AppDefinition>& apps,
                               const std::vector<GroupDefinition>& groups) {
  // Apps sorted by id, so that the apps at or below an id are one contiguous range.
  std::vector<std::pair<std::string, std::size_t>> by_id;
  by_id.reserve(apps.size());
  for (std::size_t i = 0; i < apps.size(); ++i) by_id.emplace_back(apps[i].id, i);
  std::sort(by_id.begin(), by_id.end());
  auto targets_of = [&](const std::string& dependency, std::vector<std::size_t>& out) {
    auto exact =
        std::lower_bound(by_id.begin(), by_id.end(), std::make_pair(dependency, std::size_t{0}));
    for (; exact != by_id.end() && exact->first == dependency; ++exact)
      out.push_back(exact->second);
    // "/a-b" sorts between "/a" and "/a/x", so the apps below start at the prefix itself.
    std::string prefix = is_root_id(dependency) ? "/" : dependency + "/";
    auto below =
        std::lower_bound(by_id.begin(), by_id.end(), std::make_pair(prefix, std::size_t{0}));
    for (; below != by_id.end() && below->first.compare(0, prefix.size(), prefix) == 0; ++below) {
      if (below->first != dependency) out.push_back(below->second);
    }
  };
  std::map<std::string, const GroupDefinition*> groups_by_id;
  for (const GroupDefinition& group : groups) groups_by_id[group.id] = &group;

  // Edges from each app to the apps it waits for.
  std::vector<std::vector<std::size_t>> edges(apps.size());
  for (std::size_t a = 0; a < apps.size(); ++a) {
    std::vector<std::string> dependencies = apps[a].dependencies;
    for (std::string group = parent_id(apps[a].id);; group = parent_id(group)) {
      auto found = groups_by_id.find(group);
      if (found != groups_by_id.end()) {
        dependencies.insert(dependencies.end(), found->second->dependencies.begin(),
                            found->second->dependencies.end());
      }
      if (is_root_id(group)) break;
    }
    for (const std::string& dependency : dependencies) targets_of(dependency, edges[a]);
  }
  // Iterative depth-first search; a back edge (to a node on the stack) closes a cycle.
  enum class Mark { kNew, kOnStack, kDone };
  std::vector<Mark> marks(apps.size(), Mark::kNew);
  for (std::size_t start = 0; start < apps.size(); ++start) {
    if (marks[start] != Mark::kNew) continue;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{start, 0}};
    marks[start] = Mark::kOnStack;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next == edges[node].size()) {
        marks[node] = Mark::kDone;
        stack.pop_back();
        continue;
      }
      std::size_t target = edges[node][next++];
      if (marks[target] == Mark::kOnStack) {
        return invalid_fields({FieldError{"/", {"Dependency graph has cyclic dependencies."}}});
      }
      if (marks[target] == Mark::kNew) {
        marks[target] = Mark::kOnStack;
        stack.emplace_back(target, 0);
      }
    }
  }
  return {};
}

Status validate_cluster(const std::vector<AppDefinition>& apps) {
  struct Use {
    std::string app_id;
    std::size_t index;  // among the app's external volumes
  };
  // (provider, name) -> where it is used, in app order.
  std::map<std::pair<std::string, std::string>, std::vector<Use>> uses;
  for (const AppDefinition& app : apps) {
    if (!app.container) continue;
    std::size_t external_index = 0;
    for (const Volume& volume : app.container->volumes) {
      if (!volume.external) continue;
      if (is_exclusive(volume)) {
        uses[{volume.external->provider, volume.external->name}].push_back(
            Use{app.id, external_index});
      }
      ++external_index;
    }
  }
  detail::Violations violations;
  std::optional<TreePaths> paths;
  for (const auto& [key, users] : uses) {
    std::set<std::string> app_ids;
    for (const Use& use : users) app_ids.insert(use.app_id);
    if (app_ids.size() < 2) continue;
    if (!paths) paths.emplace(apps);
    for (const Use& use : users) {
      std::string others;
      for (const std::string& other : app_ids) {
        if (other == use.app_id) continue;
        if (!others.empty()) others += ", ";
        others += other;
      }
      violations.add(index_path(paths->of_app(use.app_id) + "/externalVolumes", use.index),
                     "Volume name '" + key.second + "' in " + use.app_id +
                         " conflicts with volume(s) of same name in app(s): " + others);
    }
  }
  if (!violations.empty()) return invalid_fields(violations.take());
  return {};
}

bool group_exists(const std::string& id, const std::vector<AppDefinition>& apps,
                  const std::vector<GroupDefinition>& groups) {
  std::string group_id = canonical_id(id, "/");
  if (is_root_id(group_id)) return true;
  for (const GroupDefinition& group : groups) {
    if (is_at_or_below(group.id, group_id)) return true;
  }
  return std::any_of(apps.begin(), apps.end(),
                     [&](const AppDefinition& app) { return is_child_of(app.id, group_id); });
}

Result<std::string> group_info_json(const std::string& group_id,
                                    const std::vector<AppDefinition>& apps,
                                    const std::vector<GroupDefinition>& groups,
                                    const GroupEmbed& embed, const AppRenderer& render_app) {
  std::string id = canonical_id(group_id, "/");
  if (!group_exists(id, apps, groups)) return not_found("Group '" + id + "' does not exist");
  return render_group(id, apps, groups, embed, render_app);
}

}  // namespace berth::marathon
