// Store keys and the stored form of groups.
#include "scheduler/stored_keys.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace berth::scheduler {
namespace keys {
namespace {

std::string without_slash(const std::string& id) {
  return !id.empty() && id.front() == '/' ? id.substr(1) : id;
}

}  // namespace

std::string app(const std::string& id) { return std::string(kApps) + without_slash(id); }

std::string app_version(const std::string& id, WallTime version) {
  char millis[24];
  std::snprintf(millis, sizeof(millis), "%015lld", to_epoch_millis(version));
  return std::string(kAppVersions) + without_slash(id) + "#" + millis;
}

Result<std::pair<std::string, WallTime>> parse_app_version_key(std::string_view key) {
  std::string_view rest = key.substr(kAppVersions.size());
  auto hash = rest.rfind('#');
  if (hash == std::string_view::npos) return internal_error("bad version key " + std::string(key));
  try {
    long long millis = std::stoll(std::string(rest.substr(hash + 1)));
    return std::make_pair("/" + std::string(rest.substr(0, hash)), from_epoch_millis(millis));
  } catch (const std::exception&) {
    return internal_error("bad version key " + std::string(key));
  }
}

std::string group(const std::string& id) { return std::string(kGroups) + without_slash(id); }

std::string deployment(const std::string& id) { return std::string(kDeployments) + id; }

}  // namespace keys

std::string group_to_store(const marathon::GroupDefinition& group) {
  return nlohmann::json{{"id", group.id},
                        {"dependencies", group.dependencies},
                        {"version", format_timestamp(group.version)}}
      .dump();
}

Result<marathon::GroupDefinition> group_from_store(std::string_view text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return internal_error("group: not JSON");
  try {
    marathon::GroupDefinition group;
    group.id = doc.at("id").get<std::string>();
    group.dependencies = doc.at("dependencies").get<std::vector<std::string>>();
    auto version = parse_timestamp(doc.at("version").get<std::string>());
    if (!version.ok()) return version.error().context("group " + group.id);
    group.version = *version;
    return group;
  } catch (const nlohmann::json::exception& e) {
    return internal_error(std::string("group: ") + e.what());
  }
}

void ensure_groups(Root& root) {
  auto add_parents = [&root](const std::string& id) {
    std::string parent = id;
    while (true) {
      auto slash = parent.rfind('/');
      parent = slash == 0 ? "/" : parent.substr(0, slash);
      if (root.groups.count(parent) == 0)
        root.groups[parent] = marathon::GroupDefinition{parent, {}, {}};
      if (parent == "/") break;
    }
  };
  root.groups.try_emplace("/", marathon::GroupDefinition{"/", {}, {}});
  for (const auto& [id, app] : root.apps) add_parents(id);
  std::vector<std::string> group_ids;
  for (const auto& [id, group] : root.groups) group_ids.push_back(id);
  for (const std::string& id : group_ids) {
    if (id != "/") add_parents(id);
  }
}

}  // namespace berth::scheduler
