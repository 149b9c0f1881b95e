// How the scheduler persists an app definition: Marathon's canonical App JSON, which already
// carries `version` and `versionInfo`, read back through the same parser the API uses so that a
// stored app and a posted app can never drift apart.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "marathon/app_definition.h"

namespace berth::scheduler {

std::string stored_app_json(const marathon::AppDefinition& app);
Result<marathon::AppDefinition> parse_stored_app(std::string_view text);

}  // namespace berth::scheduler
