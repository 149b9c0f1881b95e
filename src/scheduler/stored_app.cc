// Stored apps: the API's own JSON, plus the version fields the API parser leaves to the server.
#include "scheduler/stored_app.h"

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "marathon/app_json.h"

namespace berth::scheduler {

std::string stored_app_json(const marathon::AppDefinition& app) {
  return marathon::app_to_json(app);
}

Result<marathon::AppDefinition> parse_stored_app(std::string_view text) {
  auto app = marathon::parse_app(text);
  if (!app.ok()) return internal_error("stored app: " + app.error().message);
  auto doc = nlohmann::json::parse(text, nullptr, false);
  auto read_time = [&doc](const nlohmann::json& holder, const char* key) -> Result<WallTime> {
    auto it = holder.find(key);
    if (it == holder.end() || !it->is_string()) return WallTime{};
    return parse_timestamp(it->get<std::string>());
  };
  auto version = read_time(doc, "version");
  if (!version.ok()) return version.error().context("stored app " + app->id);
  app->version = *version;
  if (auto info = doc.find("versionInfo"); info != doc.end() && info->is_object()) {
    auto scaling = read_time(*info, "lastScalingAt");
    auto config = read_time(*info, "lastConfigChangeAt");
    if (!scaling.ok() || !config.ok())
      return internal_error("stored app " + app->id + ": bad versionInfo");
    app->version_info = {*scaling, *config};
  }
  return app;
}

}  // namespace berth::scheduler
