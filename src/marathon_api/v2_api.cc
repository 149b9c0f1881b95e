// Dispatch of /v2/<resource>/... to the resources.
#include "marathon_api/v2_api.h"

#include "marathon_api/resources.h"

namespace berth::marathon_api {

std::optional<HttpResponse> V2Api::handle(const HttpRequest& request) {
  std::vector<std::string> segments = path_segments(request.path);
  if (segments.empty() || segments[0] != "v2") return std::nullopt;
  if (segments.size() < 2) return message(404, "URI not found");
  const std::string& resource = segments[1];
  if (resource == "apps") return handle_apps(context_, request, segments);
  if (resource == "groups") return handle_groups(context_, request, segments);
  if (resource == "deployments") return handle_deployments(context_, request, segments);
  if (resource == "tasks") return handle_tasks(context_, request, segments);
  if (resource == "queue") return handle_queue(context_, request, segments);
  if (resource == "volumes") return handle_volumes(context_, request, segments);
  if (resource == "info" || resource == "leader") return handle_info(context_, request, segments);
  return message(404, "URI not found");
}

}  // namespace berth::marathon_api
