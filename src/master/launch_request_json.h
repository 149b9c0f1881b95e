// The body of POST /master/tasks, the operator's way to run a bare command task until apps exist:
//   {"name":"hello","cmd":"echo hi","cpus":0.1,"mem":32,"disk":0,"ports":1,
//    "agent_id":"...","hostname":"...","env":{"K":"V"},"kill_grace_period_seconds":3}
#pragma once

#include <optional>
#include <string>

#include "http/http_types.h"
#include "master/master_core.h"

namespace berth {

// The request, or nullopt with `rejection` set: 400 for malformed JSON, 422 in Marathon's shape
// naming the field for invalid values.
std::optional<LaunchRequest> parse_launch_request(const std::string& body, HttpResponse& rejection);

}  // namespace berth
