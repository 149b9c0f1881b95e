// Where the scheduler keeps its state in the StateStore. App ids contain '/', so an app's
// versions are keyed "<id>#<millis>": '#' cannot occur in an id, and listing one app's versions
// by prefix never picks up a nested app's.
//
//   marathon/apps/<id without leading />            current definition (App JSON)
//   marathon/app_versions/<id>#<epoch millis>       every stored version (App JSON)
//   marathon/groups/<id without leading />          {"id","dependencies","version"}; "/" is
//   "marathon/groups/" marathon/deployments/<uuid>                     a deployment in flight
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "common/clock.h"
#include "common/result.h"
#include "scheduler/app_scheduler.h"

namespace berth::scheduler::keys {

inline constexpr std::string_view kApps = "marathon/apps/";
inline constexpr std::string_view kAppVersions = "marathon/app_versions/";
inline constexpr std::string_view kGroups = "marathon/groups/";
inline constexpr std::string_view kDeployments = "marathon/deployments/";

std::string app(const std::string& id);
std::string app_version(const std::string& id, WallTime version);
Result<std::pair<std::string, WallTime>> parse_app_version_key(std::string_view key);
std::string group(const std::string& id);
std::string deployment(const std::string& id);

}  // namespace berth::scheduler::keys

namespace berth::scheduler {

std::string group_to_store(const marathon::GroupDefinition& group);
Result<marathon::GroupDefinition> group_from_store(std::string_view text);

// Adds every missing parent group of the apps and groups of `root` (with the root's version).
void ensure_groups(Root& root);

}  // namespace berth::scheduler
