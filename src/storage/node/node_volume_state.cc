// JSON of the node's volume checkpoints.
#include "storage/node/node_volume_state.h"

#include <nlohmann/json.hpp>

#include "api/volume_json.h"

namespace berth {
namespace {

using nlohmann::json;

std::optional<StageState> parse_stage_state(std::string_view text) {
  for (auto state :
       {StageState::kStaging, StageState::kStaged, StageState::kUnstaging, StageState::kUnstaged}) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

std::optional<ClaimState> parse_claim_state(std::string_view text) {
  for (auto state : {ClaimState::kPublishing, ClaimState::kPublished, ClaimState::kUnpublishing,
                     ClaimState::kUnpublished}) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(StageState state) {
  switch (state) {
    case StageState::kStaging:
      return "STAGING";
    case StageState::kStaged:
      return "STAGED";
    case StageState::kUnstaging:
      return "UNSTAGING";
    case StageState::kUnstaged:
      return "UNSTAGED";
  }
  return "STAGING";
}

std::string_view to_string(ClaimState state) {
  switch (state) {
    case ClaimState::kPublishing:
      return "PUBLISHING";
    case ClaimState::kPublished:
      return "PUBLISHED";
    case ClaimState::kUnpublishing:
      return "UNPUBLISHING";
    case ClaimState::kUnpublished:
      return "UNPUBLISHED";
  }
  return "PUBLISHING";
}

std::string encode_node_volume(const NodeVolume& volume) {
  json claims = json::object();
  for (const auto& [task_id, claim] : volume.claims) {
    claims[task_id] = {{"state", to_string(claim.state)},
                       {"source", claim.source},
                       {"target", claim.target},
                       {"read_only", claim.read_only}};
  }
  json doc{{"spec", volume_spec_to_json(volume.spec)},
           {"state", to_string(volume.state)},
           {"boot_id", volume.boot_id},
           {"claims", claims}};
  if (!volume.device.empty()) {
    const StagedDevice& device = volume.device;
    doc["device"] = {{"path", device.path},
                     {"rdev", device.rdev},
                     {"diskseq", device.diskseq},
                     {"backing_dev", device.backing_dev},
                     {"backing_ino", device.backing_ino}};
  }
  return doc.dump();
}

Result<NodeVolume> decode_node_volume(std::string_view text) {
  try {
    json doc = json::parse(text);
    NodeVolume volume;
    auto spec = volume_spec_from_json(doc.at("spec"));
    if (!spec.ok()) return spec.error();
    volume.spec = std::move(spec).value();
    auto state = parse_stage_state(doc.at("state").get<std::string>());
    if (!state) return invalid_argument("unknown stage state " + doc.at("state").dump());
    volume.state = *state;
    volume.boot_id = doc.value("boot_id", "");
    if (doc.contains("device")) {  // absent in checkpoints of older agents
      const json& device = doc.at("device");
      volume.device.path = device.at("path").get<std::string>();
      volume.device.rdev = device.value("rdev", std::uint64_t{0});
      volume.device.diskseq = device.value("diskseq", std::uint64_t{0});
      volume.device.backing_dev = device.value("backing_dev", std::uint64_t{0});
      volume.device.backing_ino = device.value("backing_ino", std::uint64_t{0});
    }
    const json claims =
        doc.value("claims", json::object());  // items() needs it to outlive the loop
    for (const auto& [task_id, item] : claims.items()) {
      VolumeClaim claim;
      auto claim_state = parse_claim_state(item.at("state").get<std::string>());
      if (!claim_state) return invalid_argument("unknown claim state " + item.at("state").dump());
      claim.state = *claim_state;
      claim.source = item.at("source").get<std::string>();
      claim.target = item.at("target").get<std::string>();
      claim.read_only = item.value("read_only", false);
      volume.claims.emplace(task_id, std::move(claim));
    }
    return volume;
  } catch (const json::exception& e) {
    return invalid_argument(std::string("invalid volume checkpoint: ") + e.what());
  }
}

}  // namespace berth
