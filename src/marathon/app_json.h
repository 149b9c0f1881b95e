// Marathon apps as JSON: reading a request body into an AppDefinition with Marathon's exact
// errors and validation (marathon-api.md §2, §4–§10), applying PUT/PATCH updates, and writing
// the canonical App and AppInfo JSON that Marathon's clients accept (§4.2, §4.3, §17).
//
// Errors, as the HTTP layer maps them (http/http_errors.h):
//   kMalformed        400 {"message":"Invalid JSON","details":"<parser message>"}
//   kInvalidArgument  422 {"message":"Invalid JSON","details":[{"path":"/id",
//                         "errors":["error.expected.jsstring"]}]} for values of the wrong type
//   kInvalidArgument  422 {"message":"Object is not valid","details":[...]} listing every
//                         violated rule per path
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "marathon/app_definition.h"

namespace berth::marathon {

// POST /v2/apps: a full definition. Relative ids resolve against `base_group`; legacy fields
// are converted, defaults applied, unknown fields ignored.
Result<AppDefinition> parse_app(std::string_view body, const std::string& base_group = "/");
// The same with the id taken from the request path (`PUT /v2/apps/{id}` creating or replacing
// an app): `id` wins over any id in the body.
Result<AppDefinition> parse_app_with_id(std::string_view body, const std::string& id);

// Every rule that one app must satisfy on its own (the cluster-wide ones are in group_json.h).
// For apps built in code; parse_app already applies it.
Status validate_app(const AppDefinition& app);

// PUT (partial defaults to true) and PATCH (always partial) /v2/apps/{id} on an existing app.
// partial: the top-level fields present in `body` replace those of `existing` (a body of
// {"instances":5} is a scale); otherwise the body replaces the definition. The id is always
// existing.id. The result is validated as a whole and keeps existing's version fields; the
// caller stamps the new version. Rollback bodies are detected first by parse_rollback_request.
Result<AppDefinition> apply_app_update(const AppDefinition& existing, std::string_view body,
                                       bool partial);

// A body that asks to roll back: {"version":"<ts>"}, optionally with "id". Returns the version,
// nullopt when the body has no "version", or 422 "The 'version' field may only be combined
// with the 'id' field." when other app fields come with it.
Result<std::optional<WallTime>> parse_rollback_request(std::string_view body);

// PUT and PATCH /v2/apps: an array of app updates, each naming its app by "id".
struct AppChange {
  AppDefinition app;                    // the new definition (existing one for rollbacks)
  bool created = false;                 // no app had this id
  std::optional<WallTime> rollback_to;  // the element asked for this stored version
};
// Finds the current definition of an app, or null.
using AppLookup = std::function<const AppDefinition*(const std::string& id)>;
// `must_exist` (PATCH): an unknown id is 404 "App '<id>' does not exist". Validation paths of
// element i are prefixed "/(i)".
Result<std::vector<AppChange>> apply_app_updates(std::string_view body, bool partial,
                                                 bool must_exist, const AppLookup& lookup);

// The canonical App object: only the keys of §17.2, unset optionals omitted, timestamps as
// Marathon prints them. Used for app versions, events and queue items.
std::string app_to_json(const AppDefinition& app);
// One of the App's healthChecks, as the App shows it (for the health check events).
std::string health_check_to_json(const HealthCheck& check);

struct TaskCounts {
  std::int64_t staged = 0;
  std::int64_t running = 0;
  std::int64_t healthy = 0;
  std::int64_t unhealthy = 0;
};

// What an AppInfo adds to an App (§4.3). The JSON fragments are rendered by the caller (the
// HTTP layer owns the task format) and embedded verbatim; each must be valid JSON of the
// stated kind.
struct AppInfoExtras {
  std::optional<TaskCounts> counts;                         // tasksStaged, ...
  std::optional<std::vector<std::string>> deployment_ids;   // deployments: [{"id":...}]
  std::optional<std::string> tasks_json;                    // tasks: a JSON array
  std::optional<std::string> last_task_failure_json;        // lastTaskFailure: an object
  std::optional<std::string> task_stats_json;               // taskStats: an object
  std::optional<std::string> readiness_check_results_json;  // readinessCheckResults: an array
};
std::string app_info_json(const AppDefinition& app, const AppInfoExtras& extras);

}  // namespace berth::marathon
