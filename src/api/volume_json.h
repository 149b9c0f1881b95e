// The volume structs of volume_protocol.h as nlohmann JSON values, for the messages that embed
// them (TaskSpec, RegisterAgent) and for checkpoints that store them. Readers throw nlohmann's
// exceptions for wrong types (the caller's parse wrapper turns them into errors) and return
// kInvalidArgument for values that break a rule.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "api/volume_protocol.h"
#include "common/result.h"

namespace berth {

nlohmann::json volume_spec_to_json(const VolumeSpec& spec);
Result<VolumeSpec> volume_spec_from_json(const nlohmann::json& doc);
nlohmann::json task_volume_to_json(const TaskVolume& volume);
Result<TaskVolume> task_volume_from_json(const nlohmann::json& doc);
nlohmann::json mounted_volume_to_json(const MountedVolume& volume);
Result<MountedVolume> mounted_volume_from_json(const nlohmann::json& doc);

}  // namespace berth
