// Root snapshots in the store.
#include "scheduler/root_snapshot.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "scheduler/stored_keys.h"

namespace berth::scheduler {

std::string root_snapshot_key(WallTime version) {
  char millis[24];
  std::snprintf(millis, sizeof(millis), "%015lld", to_epoch_millis(version));
  return std::string(kRootVersions) + millis;
}

Result<WallTime> parse_root_snapshot_key(std::string_view key) {
  try {
    return from_epoch_millis(std::stoll(std::string(key.substr(kRootVersions.size()))));
  } catch (const std::exception&) {
    return internal_error("bad root version key " + std::string(key));
  }
}

std::string root_snapshot_to_store(const RootSnapshot& snapshot) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& [id, group] : snapshot.groups) {
    groups.push_back(nlohmann::json::parse(group_to_store(group)));
  }
  nlohmann::json apps = nlohmann::json::object();
  // Epoch milliseconds: a snapshot names every app, and numbers are cheap to write.
  for (const auto& [id, version] : snapshot.app_versions) apps[id] = to_epoch_millis(version);
  return nlohmann::json{{"version", format_timestamp(snapshot.version)},
                        {"groups", std::move(groups)},
                        {"apps", std::move(apps)}}
      .dump();
}

Result<RootSnapshot> root_snapshot_from_store(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return internal_error("root snapshot: not JSON");
  try {
    RootSnapshot snapshot;
    auto version = parse_timestamp(doc.at("version").get<std::string>());
    if (!version.ok()) return version.error().context("root snapshot");
    snapshot.version = *version;
    for (const auto& group : doc.at("groups")) {
      auto parsed = group_from_store(group.dump());
      if (!parsed.ok()) return parsed.error().context("root snapshot");
      snapshot.groups[parsed->id] = std::move(*parsed);
    }
    for (const auto& [id, value] : doc.at("apps").items()) {
      snapshot.app_versions[id] = from_epoch_millis(value.get<long long>());
    }
    return snapshot;
  } catch (const nlohmann::json::exception& e) {
    return internal_error(std::string("root snapshot: ") + e.what());
  }
}

bool is_in_group(const std::string& id, const std::string& group) {
  return group == "/" || id == group || id.rfind(group + "/", 0) == 0;
}

}  // namespace berth::scheduler
