// Wording of the volume controller's messages.
#include "storage/volume_text.h"

#include <cstdio>

#include "storage/volume_controller.h"

namespace berth {

std::string duration_text(Duration d) {
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  const long long ms = duration_cast<milliseconds>(d).count();
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1fs", static_cast<double>(ms) / 1000.0);
  return buffer;
}

std::string tasks_text(const std::set<std::string>& task_ids) {
  std::string out = task_ids.size() == 1 ? "task " : "tasks ";
  bool first = true;
  for (const auto& id : task_ids) {
    if (!first) out += ", ";
    out += id;
    first = false;
  }
  return out;
}

std::string attachment_text(const VolumeRecord& v) {
  if (!v.attachment) return std::string(to_string(v.state));
  const std::string where =
      v.attachment->agent_id + " (epoch " + std::to_string(v.attachment->epoch) + ")";
  switch (v.state) {
    case VolumeState::kAttaching:
      return "being attached to agent " + where;
    case VolumeState::kDetaching:
      return "detaching from agent " + where;
    case VolumeState::kFencing:
      return "attached to unreachable agent " + where + ", being fenced";
    default:
      return "attached to agent " + where;
  }
}

std::string unknown_driver_text(const std::string& asked, const VolumeControllerConfig& config) {
  std::string text = "unknown volume driver '" + asked + "'; known drivers: ";
  bool first = true;
  for (const auto& d : config.drivers) {
    text += (first ? "" : ", ") + d;
    first = false;
  }
  if (!config.driver_aliases.empty()) {
    text += "; aliases: ";
    first = true;
    for (const auto& [alias, target] : config.driver_aliases) {
      text += (first ? "" : ", ") + alias + " -> " + target;
      first = false;
    }
  }
  return text;
}

std::string fields_text(const Error& error) {
  if (error.fields.empty()) return error.message;
  std::string text;
  for (const auto& field : error.fields) {
    for (const auto& rule : field.errors) {
      if (!text.empty()) text += "; ";
      text += field.path + ": " + rule;
    }
  }
  return text;
}

std::optional<std::string> claim_mismatch(const VolumeRecord& v, const VolumeLaunchClaim& claim,
                                          const std::string& resolved_driver) {
  const std::string prefix = "volume '" + v.name + "' ";
  if (resolved_driver != v.driver) {
    return prefix + "exists with driver '" + v.driver + "'; the app asks for driver '" +
           resolved_driver + "'";
  }
  const VolumeKind kind = claim.spec.external ? VolumeKind::kExternal : VolumeKind::kLocal;
  if (kind != v.kind) {
    return prefix + "is " +
           (v.kind == VolumeKind::kExternal ? "an external volume" : "a local persistent volume") +
           "; the app declares it as " +
           (kind == VolumeKind::kExternal ? "an external volume" : "a local persistent volume");
  }
  if (claim.access != v.access) {
    return prefix + "is " + std::string(to_string(v.access)) + "; the app declares it " +
           (claim.access == VolumeAccess::kShared ? "shared" : "not shared");
  }
  return std::nullopt;
}

}  // namespace berth

namespace berth {

std::string_view to_string(VolumeEventType type) {
  switch (type) {
    case VolumeEventType::kCreated:
      return "volume_created";
    case VolumeEventType::kAttaching:
      return "volume_attaching";
    case VolumeEventType::kAttached:
      return "volume_attached";
    case VolumeEventType::kDetaching:
      return "volume_detaching";
    case VolumeEventType::kDetached:
      return "volume_detached";
    case VolumeEventType::kFencing:
      return "volume_fencing";
    case VolumeEventType::kFenced:
      return "volume_fenced";
    case VolumeEventType::kUnfenced:
      return "volume_unfenced";
    case VolumeEventType::kFailedOver:
      return "volume_failed_over";
    case VolumeEventType::kRevoked:
      return "volume_revoked";
    case VolumeEventType::kDeleting:
      return "volume_deleting";
    case VolumeEventType::kDeleted:
      return "volume_deleted";
    case VolumeEventType::kError:
      return "volume_error";
  }
  return "volume_unknown";
}

}  // namespace berth
