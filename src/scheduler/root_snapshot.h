// Root snapshots: what the declared root looked like after each change, kept so that groups have
// versions (GET /v2/groups/<id>/versions[/<v>]) and can be rolled back (PUT {"version": v}).
// A snapshot stores the groups and, for each app, only the version it was at: the definitions
// themselves are the app versions the scheduler stores anyway.
//
//   marathon/root_versions/<epoch millis, 15 digits>   {"groups":[...], "apps":{"/a":<millis>}}
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "marathon/app_definition.h"

namespace berth::scheduler {

struct RootSnapshot {
  WallTime version;
  std::map<std::string, marathon::GroupDefinition> groups;
  std::map<std::string, WallTime> app_versions;  // app id -> its version then
};

std::string root_snapshot_key(WallTime version);
inline constexpr std::string_view kRootVersions = "marathon/root_versions/";
Result<WallTime> parse_root_snapshot_key(std::string_view key);

std::string root_snapshot_to_store(const RootSnapshot& snapshot);
Result<RootSnapshot> root_snapshot_from_store(std::string_view text);

// Whether `id` is `group` or lies below it.
bool is_in_group(const std::string& id, const std::string& group);

}  // namespace berth::scheduler
