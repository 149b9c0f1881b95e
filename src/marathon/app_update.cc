// Whole-body entry points of app_json.h: POST bodies, PUT/PATCH updates (merge semantics of
// marathon-api.md §3.1), rollback bodies and the array bodies of PUT/PATCH /v2/apps.
#include <algorithm>

#include "marathon/app_internal.h"
#include "marathon/app_json.h"
#include "marathon/path_id.h"

namespace berth::marathon {

namespace {

using detail::Json;

// The fields of Marathon's AppUpdate: with "version", only "id" may be given.
const std::vector<std::string_view> kAppUpdateFields = {"id",
                                                        "cmd",
                                                        "args",
                                                        "user",
                                                        "env",
                                                        "instances",
                                                        "cpus",
                                                        "mem",
                                                        "disk",
                                                        "gpus",
                                                        "executor",
                                                        "constraints",
                                                        "fetch",
                                                        "uris",
                                                        "storeUrls",
                                                        "ports",
                                                        "portDefinitions",
                                                        "requirePorts",
                                                        "backoffSeconds",
                                                        "backoffFactor",
                                                        "maxLaunchDelaySeconds",
                                                        "container",
                                                        "healthChecks",
                                                        "readinessChecks",
                                                        "dependencies",
                                                        "upgradeStrategy",
                                                        "labels",
                                                        "acceptedResourceRoles",
                                                        "ipAddress",
                                                        "residency",
                                                        "secrets",
                                                        "unreachableStrategy",
                                                        "killSelection",
                                                        "networks",
                                                        "taskKillGracePeriodSeconds",
                                                        "role",
                                                        "tty",
                                                        "check",
                                                        "resourceLimits",
                                                        "executorResources"};

Result<AppDefinition> read_whole(const Json& body, const detail::AppReadOptions& options) {
  detail::Violations type_errors;
  detail::Violations violations;
  detail::Reader reader(type_errors);
  AppDefinition app = detail::read_app(reader, violations, body, "", options);
  return detail::finish(type_errors, violations, std::move(app));
}

bool has(const Json& object, const char* key) {
  return detail::Reader::find(object, key) != nullptr;
}

bool docker_network_given(const Json& update) {
  const Json* container = detail::Reader::find(update, "container");
  if (container == nullptr) return false;
  const Json* docker = detail::Reader::find(*container, "docker");
  return docker != nullptr && has(*docker, "network");
}

// Whether the update's legacy network fields (ipAddress, docker.network) leave host networking.
bool legacy_leaves_host_networking(const Json& update) {
  if (has(update, "ipAddress")) return true;
  if (!docker_network_given(update)) return false;
  return update["container"]["docker"]["network"] != "HOST";
}

// Whether the networks of `update` leave host networking.
bool leaves_host_networking(const Json& update) {
  const Json* networks = detail::Reader::find(update, "networks");
  if (networks == nullptr || !networks->is_array() || networks->empty()) return false;
  const Json* mode = detail::Reader::find((*networks)[0], "mode");
  return mode != nullptr && *mode != "host";
}

// The existing app's JSON with the top-level fields of `update` laid over it. Where an update
// states something in a legacy or exclusive form, the existing counterpart is dropped so that
// the two do not conflict; strategies that were only defaults are dropped so that the defaults
// of the new definition apply.
Json merge_update(const AppDefinition& existing, const Json& update) {
  Json merged = Json::parse(app_to_json(existing));
  merged.erase("version");
  merged.erase("versionInfo");
  for (const auto& [key, value] : update.items()) {
    if (key == "id" || key == "version" || value.is_null()) continue;
    merged[key] = value;
  }
  auto drop_unless_given = [&](const char* key, std::initializer_list<const char*> instead) {
    for (const char* given : instead) {
      if (has(update, given) && !has(update, key)) merged.erase(key);
    }
  };
  drop_unless_given("portDefinitions", {"ports"});
  drop_unless_given("fetch", {"uris"});
  drop_unless_given("networks", {"ipAddress"});
  drop_unless_given("cmd", {"args"});
  drop_unless_given("args", {"cmd"});
  if (docker_network_given(update) && !has(update, "networks")) merged.erase("networks");
  if ((leaves_host_networking(update) || legacy_leaves_host_networking(update)) &&
      !has(update, "portDefinitions") && !has(update, "ports")) {
    merged["portDefinitions"] = Json::array();
  }
  if (has(update, "networks") && !leaves_host_networking(update) && !has(update, "container") &&
      merged.contains("container")) {
    merged["container"].erase("portMappings");
  }

  bool had_volumes = existing.has_persistent_volumes() || existing.has_external_volumes();
  UpgradeStrategy old_default = had_volumes ? UpgradeStrategy{0.5, 0.0} : UpgradeStrategy{};
  if (!has(update, "upgradeStrategy") && existing.upgrade_strategy == old_default) {
    merged.erase("upgradeStrategy");
  }
  bool was_resident = existing.has_persistent_volumes();
  if (!has(update, "unreachableStrategy") &&
      existing.unreachable_strategy == UnreachableStrategy{was_resident, 0, 0}) {
    merged.erase("unreachableStrategy");
  }
  if (!has(update, "residency") && existing.residency == Residency{}) merged.erase("residency");
  return merged;
}

Error with_index_prefix(Error error, std::size_t index) {
  std::string prefix = "/(" + std::to_string(index) + ")";
  for (FieldError& field : error.fields)
    field.path = field.path == "/" ? prefix : prefix + field.path;
  return error;
}

}  // namespace

Result<AppDefinition> parse_app(std::string_view body, const std::string& base_group) {
  auto json = detail::parse_body(body);
  if (!json.ok()) return json.error();
  detail::AppReadOptions options;
  options.base = canonical_id(base_group, "/");
  return read_whole(*json, options);
}

Result<AppDefinition> parse_app_with_id(std::string_view body, const std::string& id) {
  auto json = detail::parse_body(body);
  if (!json.ok()) return json.error();
  detail::AppReadOptions options;
  options.id = canonical_id(id, "/");
  return read_whole(*json, options);
}

Result<AppDefinition> apply_app_update(const AppDefinition& existing, std::string_view body,
                                       bool partial) {
  auto json = detail::parse_body(body);
  if (!json.ok()) return json.error();
  if (!json->is_object())
    return detail::invalid_json({FieldError{"/", {"error.expected.jsobject"}}});
  detail::AppReadOptions options;
  options.id = existing.id;
  Json source = partial ? merge_update(existing, *json) : *json;
  if (!partial) {
    source.erase("version");
    source.erase("versionInfo");
  }
  auto updated = read_whole(source, options);
  if (!updated.ok()) return updated;
  updated->version = existing.version;
  updated->version_info = existing.version_info;
  return updated;
}

Result<std::optional<WallTime>> parse_rollback_request(std::string_view body) {
  auto json = detail::parse_body(body);
  if (!json.ok()) return json.error();
  if (!json->is_object() || !has(*json, "version")) return std::optional<WallTime>{};
  detail::Violations type_errors;
  detail::Reader reader(type_errors);
  auto version = reader.timestamp(*json, "version", "");
  if (!type_errors.empty()) return detail::invalid_json(type_errors.take());
  for (std::string_view field : kAppUpdateFields) {
    if (field == "id") continue;
    if (has(*json, std::string(field).c_str())) {
      return invalid_fields(
          {FieldError{"/", {"The 'version' field may only be combined with the 'id' field."}}});
    }
  }
  return std::optional<WallTime>{version};
}

Result<std::vector<AppChange>> apply_app_updates(std::string_view body, bool partial,
                                                 bool must_exist, const AppLookup& lookup) {
  auto json = detail::parse_body(body);
  if (!json.ok()) return json.error();
  if (!json->is_array()) return detail::invalid_json({FieldError{"/", {"error.expected.jsarray"}}});
  std::vector<AppChange> changes;
  for (std::size_t i = 0; i < json->size(); ++i) {
    const Json& element = (*json)[i];
    const Json* id = detail::Reader::find(element, "id");
    if (id == nullptr || !id->is_string()) {
      return invalid_argument("requirement failed: App Update must have app id set");
    }
    std::string app_id = canonical_id(id->get<std::string>(), "/");
    std::string text = element.dump();
    const AppDefinition* existing = lookup ? lookup(app_id) : nullptr;
    auto rollback = parse_rollback_request(text);
    if (!rollback.ok()) return with_index_prefix(rollback.error(), i);
    if (*rollback) {
      if (existing == nullptr) return not_found("App '" + app_id + "' does not exist");
      changes.push_back(AppChange{*existing, false, **rollback});
      continue;
    }
    if (existing == nullptr && must_exist) return not_found("App '" + app_id + "' does not exist");
    Result<AppDefinition> app = existing != nullptr ? apply_app_update(*existing, text, partial)
                                                    : parse_app_with_id(text, app_id);
    if (!app.ok()) return with_index_prefix(app.error(), i);
    std::vector<std::string> id_errors = id_violations(id->get<std::string>());
    if (!id_errors.empty())
      return invalid_fields({FieldError{"/(" + std::to_string(i) + ")/id", id_errors}});
    changes.push_back(AppChange{std::move(app).value(), existing == nullptr, std::nullopt});
  }
  return changes;
}

}  // namespace berth::marathon
