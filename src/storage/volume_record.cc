// Volume records: validation and their two JSON forms (store and API).
#include "storage/volume_record.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/time_format.h"

namespace berth {
namespace {

using nlohmann::json;

std::string printable(char c) {
  if (c == '\0') return "NUL";
  if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02x", static_cast<unsigned char>(c));
    return buffer;
  }
  return std::string("'") + c + "'";
}

bool name_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '.' || c == '_' || c == '-');
}

Status field_error(const std::string& path, std::string message) {
  return invalid_fields({{path, {std::move(message)}}});
}

// Store timestamps as epoch milliseconds, like task records.
long long millis(WallTime t) { return to_epoch_millis(t); }
WallTime from_millis(const json& doc, const char* key) {
  return from_epoch_millis(doc.value(key, 0LL));
}

}  // namespace

std::string_view to_string(VolumeKind kind) {
  return kind == VolumeKind::kLocal ? "local" : "external";
}

std::string_view to_string(VolumeAccess access) {
  return access == VolumeAccess::kShared ? "shared" : "singleWriter";
}

std::optional<VolumeKind> parse_volume_kind(std::string_view text) {
  if (text == "external") return VolumeKind::kExternal;
  if (text == "local") return VolumeKind::kLocal;
  return std::nullopt;
}

std::optional<VolumeAccess> parse_volume_access(std::string_view text) {
  if (text == "singleWriter") return VolumeAccess::kSingleWriter;
  if (text == "shared") return VolumeAccess::kShared;
  return std::nullopt;
}

Status check_volume_name(std::string_view name, const std::string& path) {
  if (name.empty()) return field_error(path, "must not be empty");
  if (name.size() > kMaxVolumeNameLength) {
    return field_error(path, "must be at most " + std::to_string(kMaxVolumeNameLength) +
                                 " characters long, got " + std::to_string(name.size()));
  }
  if (name.find("..") != std::string_view::npos) {
    return field_error(path, "must not contain '..'");
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0)) {
      std::string rule = i == 0 ? "must start with a lowercase letter or a digit"
                                : "may contain only lowercase letters, digits, '.', '_' and '-'";
      return field_error(
          path, rule + "; found " + printable(name[i]) + " at position " + std::to_string(i));
    }
  }
  return {};
}

Status validate_fs_type(std::string_view fs_type, const std::string& path) {
  if (fs_type == "ext4" || fs_type == "xfs") return {};
  return field_error(path, "must be ext4 or xfs, got '" + std::string(fs_type) + "'");
}

Status validate_volume_size(std::int64_t size_mib, std::string_view fs_type,
                            const std::string& path) {
  const std::int64_t minimum = fs_type == "xfs" ? kMinXfsVolumeSizeMiB : kMinVolumeSizeMiB;
  if (size_mib < minimum) {
    return field_error(path, "must be at least " + std::to_string(minimum) + " MiB" +
                                 (fs_type == "xfs" ? " for xfs" : "") + ", got " +
                                 std::to_string(size_mib));
  }
  if (size_mib > kMaxVolumeSizeMiB) {
    return field_error(path, "must be at most " + std::to_string(kMaxVolumeSizeMiB) +
                                 " MiB (64 TiB), got " + std::to_string(size_mib));
  }
  return {};
}

Status validate_volume_options(const std::map<std::string, std::string>& options,
                               const std::string& path) {
  std::vector<FieldError> errors;
  std::size_t total = 0;
  for (const auto& [key, value] : options) {
    const std::string at = path + "(\"" + key + "\")";
    total += key.size() + value.size();
    if (key.empty() || key.size() > 128) {
      errors.push_back({at, {"option names must be 1 to 128 characters long"}});
      continue;
    }
    for (char c : key) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-' || c == '/';
      if (!ok) {
        errors.push_back({at,
                          {"option names may contain only letters, digits, '.', '_', '-' "
                           "and '/'; found " +
                           printable(c)}});
        break;
      }
    }
    for (char c : value) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        errors.push_back(
            {at, {"option values must not contain control characters; found " + printable(c)}});
        break;
      }
    }
  }
  if (total > kMaxVolumeOptionsBytes) {
    errors.push_back({path,
                      {"options must total at most " + std::to_string(kMaxVolumeOptionsBytes) +
                       " bytes, got " + std::to_string(total)}});
  }
  if (!errors.empty()) return invalid_fields(std::move(errors));
  return {};
}

std::string volume_to_store_json(const VolumeRecord& v) {
  json doc{{"name", v.name},
           {"driver", v.driver},
           {"size_mib", v.size_mib},
           {"fs_type", v.fs_type},
           {"options", v.options},
           {"kind", to_string(v.kind)},
           {"access", to_string(v.access)},
           {"state", to_string(v.state)},
           {"claims", v.claims},
           {"app_id", v.app_id},
           {"created_at_ms", millis(v.created_at)},
           {"updated_at_ms", millis(v.updated_at)}};
  if (!v.pinned_agent.empty()) doc["pinned_agent"] = v.pinned_agent;
  if (v.attachment) {
    doc["attachment"] = {{"agent_id", v.attachment->agent_id},
                         {"epoch", v.attachment->epoch},
                         {"since_ms", millis(v.attachment->since)}};
  }
  json history = json::array();
  for (const auto& h : v.history) {
    history.push_back({{"agent_id", h.agent_id},
                       {"epoch", h.epoch},
                       {"attached_at_ms", millis(h.attached_at)},
                       {"detached_at_ms", millis(h.detached_at)},
                       {"ended_by", h.ended_by}});
  }
  doc["history"] = std::move(history);
  if (v.last_error) {
    doc["last_error"] = {{"message", v.last_error->message}, {"at_ms", millis(v.last_error->at)}};
  }
  if (v.deadline) doc["deadline_ms"] = millis(*v.deadline);
  return doc.dump();
}

Result<VolumeRecord> volume_from_store_json(std::string_view text) {
  try {
    const json doc = json::parse(text);
    VolumeRecord v;
    v.name = doc.at("name").get<std::string>();
    v.driver = doc.at("driver").get<std::string>();
    v.size_mib = doc.at("size_mib").get<std::int64_t>();
    v.fs_type = doc.value("fs_type", "ext4");
    v.options = doc.value("options", std::map<std::string, std::string>{});
    auto kind = parse_volume_kind(doc.value("kind", "external"));
    auto access = parse_volume_access(doc.value("access", "singleWriter"));
    auto state = parse_volume_state(doc.at("state").get<std::string>());
    if (!kind || !access || !state) {
      return internal_error("corrupt volume record " + v.name + ": bad kind, access or state");
    }
    v.kind = *kind;
    v.access = *access;
    v.state = *state;
    v.pinned_agent = doc.value("pinned_agent", "");
    v.claims = doc.value("claims", std::set<std::string>{});
    v.app_id = doc.value("app_id", "");
    v.created_at = from_millis(doc, "created_at_ms");
    v.updated_at = from_millis(doc, "updated_at_ms");
    if (doc.contains("attachment")) {
      const json& a = doc.at("attachment");
      v.attachment =
          VolumeAttachment{a.at("agent_id").get<std::string>(), a.at("epoch").get<std::uint64_t>(),
                           from_millis(a, "since_ms")};
    }
    for (const json& h : doc.value("history", json::array())) {
      v.history.push_back({h.at("agent_id").get<std::string>(), h.at("epoch").get<std::uint64_t>(),
                           from_millis(h, "attached_at_ms"), from_millis(h, "detached_at_ms"),
                           h.value("ended_by", "")});
    }
    if (doc.contains("last_error")) {
      const json& e = doc.at("last_error");
      v.last_error = VolumeError{e.at("message").get<std::string>(), from_millis(e, "at_ms")};
    }
    if (doc.contains("deadline_ms")) v.deadline = from_millis(doc, "deadline_ms");
    if (has_attachment(v.state) != v.attachment.has_value()) {
      return internal_error("corrupt volume record " + v.name + ": state " +
                            std::string(to_string(v.state)) + " does not match its attachment");
    }
    return v;
  } catch (const json::exception& e) {
    return internal_error(std::string("corrupt volume record: ") + e.what());
  }
}

std::string volume_to_api_json(const VolumeRecord& v) {
  json doc{{"name", v.name},
           {"driver", v.driver},
           {"size", v.size_mib},
           {"fsType", v.fs_type},
           {"options", v.options},
           {"kind", to_string(v.kind)},
           {"accessMode", to_string(v.access)},
           {"state", to_string(v.state)},
           {"claims", v.claims},
           {"createdAt", format_timestamp(v.created_at)},
           {"updatedAt", format_timestamp(v.updated_at)}};
  if (!v.app_id.empty()) doc["appId"] = v.app_id;
  if (!v.pinned_agent.empty()) doc["agentId"] = v.pinned_agent;
  if (v.attachment) {
    doc["attachment"] = {{"agentId", v.attachment->agent_id},
                         {"epoch", v.attachment->epoch},
                         {"since", format_timestamp(v.attachment->since)}};
  }
  json history = json::array();
  for (const auto& h : v.history) {
    history.push_back({{"agentId", h.agent_id},
                       {"epoch", h.epoch},
                       {"attachedAt", format_timestamp(h.attached_at)},
                       {"detachedAt", format_timestamp(h.detached_at)},
                       {"endedBy", h.ended_by}});
  }
  doc["attachmentHistory"] = std::move(history);
  if (v.last_error) {
    doc["lastError"] = {{"message", v.last_error->message},
                        {"timestamp", format_timestamp(v.last_error->at)}};
  }
  if (v.deadline) {
    doc[v.state == VolumeState::kFencing ? "fenceAt" : "deadline"] = format_timestamp(*v.deadline);
  }
  return doc.dump();
}

Result<VolumeCreateRequest> parse_volume_create_request(std::string_view text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    return malformed("Invalid JSON", e.what());
  }
  if (!doc.is_object()) return invalid_fields({{"/", {"must be a JSON object"}}});
  VolumeCreateRequest request;
  std::vector<FieldError> errors;
  auto string_field = [&](const char* key, std::string& out) {
    if (!doc.contains(key)) return;
    if (!doc[key].is_string()) {
      errors.push_back({std::string("/") + key, {"must be a string"}});
      return;
    }
    out = doc[key].get<std::string>();
  };
  string_field("name", request.name);
  string_field("driver", request.driver);
  string_field("fsType", request.fs_type);
  if (doc.contains("size")) {
    if (!doc["size"].is_number_integer()) {
      errors.push_back({"/size", {"must be a whole number of MiB"}});
    } else {
      request.size_mib = doc["size"].get<std::int64_t>();
    }
  }
  if (doc.contains("options")) {
    const json& options = doc["options"];
    if (!options.is_object()) {
      errors.push_back({"/options", {"must be an object of strings"}});
    } else {
      for (const auto& [key, value] : options.items()) {
        if (!value.is_string()) {
          errors.push_back({"/options(\"" + key + "\")", {"must be a string"}});
          continue;
        }
        request.options[key] = value.get<std::string>();
      }
    }
  }
  std::string kind = "external";
  std::string access = "singleWriter";
  string_field("kind", kind);
  string_field("accessMode", access);
  if (auto parsed = parse_volume_kind(kind)) {
    request.kind = *parsed;
  } else {
    errors.push_back({"/kind", {"must be external or local"}});
  }
  if (auto parsed = parse_volume_access(access)) {
    request.access = *parsed;
  } else {
    errors.push_back({"/accessMode", {"must be singleWriter or shared"}});
  }
  if (!doc.contains("name")) errors.push_back({"/name", {"must not be empty"}});
  if (!errors.empty()) return invalid_fields(std::move(errors));
  return request;
}

}  // namespace berth
