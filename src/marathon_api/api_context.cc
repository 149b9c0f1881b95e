// Helpers shared by the v2 handlers.
#include "marathon_api/api_context.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "common/time_format.h"
#include "http/http_errors.h"
#include "marathon/path_id.h"
#include "scheduler/app_scheduler.h"

namespace berth::marathon_api {

std::vector<std::string> path_segments(const std::string& path) {
  return marathon::id_segments(path);
}

std::string join_id(const std::vector<std::string>& segments, std::size_t first, std::size_t last) {
  std::string id;
  for (std::size_t i = first; i < last && i < segments.size(); ++i) id += "/" + segments[i];
  return id.empty() ? "/" : id;
}

bool flag(const HttpRequest& request, const std::string& name, bool fallback) {
  auto value = request.param(name);
  if (!value) return fallback;
  std::string lower = *value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "true";
}

HttpResponse json_ok(int status, std::string body) {
  return json_response(status, std::move(body));
}

HttpResponse error(const Error& error) { return error_response(error); }

HttpResponse message(int status, const std::string& text) {
  return json_response(status, nlohmann::json{{"message", text}}.dump());
}

HttpResponse deployment_result(int status, const scheduler::Deployment& deployment) {
  HttpResponse response =
      json_response(status, nlohmann::json{{"deploymentId", deployment.id()},
                                           {"version", format_timestamp(deployment.plan.version)}}
                                .dump());
  response.headers.emplace_back("Marathon-Deployment-Id", deployment.id());
  return response;
}

HttpResponse deploy_error(const ApiContext& context, const Error& failure,
                          const std::vector<std::string>& app_ids) {
  if (failure.code != ErrorCode::kConflict) return error_response(failure);
  std::set<std::string> ids(app_ids.begin(), app_ids.end());
  nlohmann::json deployments = nlohmann::json::array();
  for (const std::string& id : context.scheduler.locking_deployments(ids)) {
    deployments.push_back({{"id", id}});
  }
  return json_response(
      409,
      nlohmann::json{{"message", failure.message}, {"deployments", std::move(deployments)}}.dump());
}

}  // namespace berth::marathon_api
