// Marathon groups (marathon-api.md §3.2, §11): the GroupUpdate bodies of POST/PUT /v2/groups
// with nested apps and groups, the dependency-cycle rule, the rules that need every app of the
// cluster at once (unique external volume names, §8.1(6)), and GroupInfo output.
//
// Groups form a tree by id. The scheduler keeps apps (by id) and GroupDefinitions; a group
// exists when it is declared or when some app or declared group lies below it; the root always
// exists.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "marathon/app_definition.h"
#include "marathon/embed.h"

namespace berth::marathon {

// A group body. Absent fields (nullopt) leave the group as it is; ids and dependencies are
// already absolute.
struct GroupUpdate {
  std::string id;
  std::optional<std::vector<AppDefinition>> apps;
  std::optional<std::vector<GroupUpdate>> groups;
  std::optional<std::vector<std::string>> dependencies;
  std::optional<double> scale_by;   // multiply instances of every transitive app
  std::optional<WallTime> version;  // roll back to this version (wins over scale_by)

  bool operator==(const GroupUpdate&) const = default;
};

// POST/PUT /v2/groups[/{path_id}]: the body's id (optional) resolves against `path_id`
// ("/" for /v2/groups), app and group ids against their enclosing group, and dependencies
// against the app's parent group (apps) or the group itself (groups). Children outside their
// group: "Identifier is not child of '<group>'" at /apps(0)/id or /groups(0)/id. Errors as in
// app_json.h; validation paths point into the body (/groups(0)/apps(1)/cpus).
Result<GroupUpdate> parse_group_update(std::string_view body, const std::string& path_id = "/");

// Every app that `update` defines, its nested groups' included, in body order.
std::vector<AppDefinition> apps_of(const GroupUpdate& update);

// 422 {"path":"/","errors":["Dependency graph has cyclic dependencies."]} when apps depend on
// each other in a cycle. An app inherits the dependencies of every group above it; a
// dependency on a group means every app below it.
Status check_dependency_cycles(const std::vector<AppDefinition>& apps,
                               const std::vector<GroupDefinition>& groups);

// The rules over all apps of the cluster: a non-shared external volume name is used by one app
// only ("Volume name 'x' in /a conflicts with volume(s) of same name in app(s): /b", one
// violation per app involved). Paths point into the root group: /groups(0)/apps(0)/
// externalVolumes(0).
Status validate_cluster(const std::vector<AppDefinition>& apps);

// Whether `id` names a group: the root, a declared group, or an ancestor of an app or group.
bool group_exists(const std::string& id, const std::vector<AppDefinition>& apps,
                  const std::vector<GroupDefinition>& groups);

// Renders one app as AppInfo JSON text (the HTTP layer adds counts, tasks, ...).
using AppRenderer = std::function<std::string(const AppDefinition&)>;

// GroupInfo of `group_id` (§11, §17.2): {id, apps, groups, pods, dependencies, version} with
// exactly those keys (no enforceRole); apps, groups and pods only when embedded; apps and
// subgroups sorted by id. A group that nothing declares has no dependencies and the newest
// version found below it. 404 "Group '<id>' does not exist" when there is no such group.
Result<std::string> group_info_json(const std::string& group_id,
                                    const std::vector<AppDefinition>& apps,
                                    const std::vector<GroupDefinition>& groups,
                                    const GroupEmbed& embed, const AppRenderer& render_app);

}  // namespace berth::marathon
