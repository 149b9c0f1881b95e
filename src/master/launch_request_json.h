// The body of POST /master/tasks, the operator's way to run a bare command task until apps exist:
//   {"name":"hello","cmd":"echo hi","cpus":0.1,"mem":32,"disk":0,"ports":1,
//    "agent_id":"...","hostname":"...","env":{"K":"V"},"kill_grace_period_seconds":3,
//    "health_checks":[{"protocol":"HTTP","path":"/","portIndex":0,"gracePeriodSeconds":300,
//                      "intervalSeconds":60,"timeoutSeconds":20,"maxConsecutiveFailures":3,
//                      "delaySeconds":15,"ignoreHttp1xx":false,"command":{"value":"..."}}],
//    "readiness_check":{"path":"/","portIndex":0,"intervalSeconds":30,"timeoutSeconds":10,
//                       "httpStatusCodesForReady":[200]},
//    "fetch":[{"uri":"file:///srv/app.tgz","extract":true,"executable":false,"destPath":""}],
//    "uris":["/srv/app.tgz"]}
// Health checks and readiness use Marathon's field names and defaults. A Marathon-level check
// (HTTP, HTTPS, TCP) without delaySeconds first runs after one interval, a Mesos-level one
// (MESOS_*, COMMAND) after delaySeconds (15). Bare tasks are never killed for their health.
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
