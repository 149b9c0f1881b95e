// Resources and attributes as JSON, in Mesos' shape: {"cpus":4.0,"ports":"[31000-32000]"} and
// {"disk":"ssd","weight":1.5}. Used on the agent protocol and by /master/state.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "common/resources.h"
#include "common/result.h"

namespace berth {

nlohmann::json resources_to_json(const Resources& resources);
Result<Resources> resources_from_json(const nlohmann::json& json);
nlohmann::json attributes_to_json(const std::vector<Attribute>& attributes);
// Attributes on the wire are their text form ("disk:ssd;rack:r1") to keep order and types.
Result<std::vector<Attribute>> attributes_from_text_json(const nlohmann::json& json);

}  // namespace berth
