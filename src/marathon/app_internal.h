// Internal to berth_marathon: the steps behind app_json.h, shared with group_json.cc (apps
// nested in group bodies are read and validated at their own paths, "/apps(0)/...").
#pragma once

#include <optional>
#include <string>

#include "marathon/app_definition.h"
#include "marathon/json_util.h"

namespace berth::marathon::detail {

struct AppReadOptions {
  std::string base = "/";                      // relative ids resolve against this group
  std::optional<std::string> id;               // canonical id that wins over the body's
  std::optional<std::string> required_parent;  // group bodies: the id must lie below it
};

// Reads the app object at `path` ("" for a whole body), converts legacy fields and applies
// defaults. Values of the wrong type go to the reader's errors; broken rules (legacy
// conflicts, constraint syntax, every rule of validate_app_at) go to `violations`.
AppDefinition read_app(Reader& reader, Violations& violations, const Json& body,
                       const std::string& path, const AppReadOptions& options);

// Every per-app rule, reported at paths below `path`. `with_constraints` false leaves out the
// constraint rules (read_app checks those at the constraints' positions in the body).
void validate_app_at(const AppDefinition& app, const std::string& path, Violations& violations,
                     bool with_constraints = true);
// The value rules of one constraint, reported at `path`.
void validate_constraint(const Constraint& constraint, const std::string& path,
                         Violations& violations);

// Whether `pattern` compiles as a regular expression.
bool is_valid_regex(const std::string& pattern);

// The canonical App object (app_to_json without the text).
OrderedJson app_value(const AppDefinition& app);

// Result of a read: type errors win (422 "Invalid JSON"), then violations (422 "Object is not
// valid"), else the value.
template <typename T>
Result<T> finish(Violations& type_errors, Violations& violations, T value) {
  if (!type_errors.empty()) return invalid_json(type_errors.take());
  if (!violations.empty()) return invalid_fields(violations.take());
  return value;
}

}  // namespace berth::marathon::detail
