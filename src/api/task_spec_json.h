// TaskSpec as an nlohmann JSON value, for records that embed it (the master's task records):
// they skip a text round trip per task, which the master pays at every launch and, for every
// task, at recovery. The reader throws nlohmann's exceptions for wrong types (the caller's parse
// wrapper turns them into errors) and returns kInvalidArgument for values that break a rule.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "api/agent_protocol.h"
#include "common/result.h"

namespace berth {

nlohmann::json task_spec_to_json(const TaskSpec& spec);
Result<TaskSpec> task_spec_from_json(const nlohmann::json& doc);

}  // namespace berth
