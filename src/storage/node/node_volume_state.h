// The checkpointed state of one volume on one node, and of each task's claim on it: what the
// NodeVolumeManager writes before and after every driver call (its state machine is drawn in
// node_volume_manager.h). Plain data and its JSON; no logic.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/volume_protocol.h"
#include "common/result.h"
#include "storage/node/node_driver.h"

namespace berth {

enum class StageState {
  kStaging,    // driver.stage may have run, partly or wholly: repeat it
  kStaged,     // the volume is mounted at its staging path
  kUnstaging,  // driver.unstage may have run: repeat it, then forget the volume
  kUnstaged,   // nothing is mounted (the node rebooted); claims wait to be released
};

enum class ClaimState {
  kPublishing,    // driver.publish may have run: repeat it
  kPublished,     // bound at the claim's source path
  kUnpublishing,  // driver.unpublish may have run: repeat it, then forget the claim
  kUnpublished,   // nothing is mounted (the node rebooted); waits for release_task
};

std::string_view to_string(StageState state);
std::string_view to_string(ClaimState state);

// One task's use of a volume.
struct VolumeClaim {
  ClaimState state = ClaimState::kPublishing;
  std::string source;  // the per-task publish target on the host
  std::string target;  // where the task sees it (absolute)
  bool read_only = false;

  bool operator==(const VolumeClaim&) const = default;
};

struct NodeVolume {
  VolumeSpec spec;  // as last staged: the epoch is the one the storage recorded for us
  StageState state = StageState::kStaging;
  std::string boot_id;                        // of the boot that made the current mounts
  StagedDevice device;                        // what the last stage mounted (STAGED)
  std::map<std::string, VolumeClaim> claims;  // by task id; their number is the refcount

  bool operator==(const NodeVolume&) const = default;
};

std::string encode_node_volume(const NodeVolume& volume);
Result<NodeVolume> decode_node_volume(std::string_view text);

}  // namespace berth
