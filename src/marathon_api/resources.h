// The v2 API's resources, one function per route prefix. Each takes the request's path already
// split into segments (see path_segments) and answers synchronously.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "http/http_types.h"
#include "marathon_api/api_context.h"

namespace berth::scheduler {
struct Root;
}

namespace berth::marathon_api {

HttpResponse handle_apps(ApiContext& context, const HttpRequest& request,
                         const std::vector<std::string>& segments);
HttpResponse handle_groups(ApiContext& context, const HttpRequest& request,
                           const std::vector<std::string>& segments);
HttpResponse handle_deployments(ApiContext& context, const HttpRequest& request,
                                const std::vector<std::string>& segments);
HttpResponse handle_tasks(ApiContext& context, const HttpRequest& request,
                          const std::vector<std::string>& segments);
HttpResponse handle_queue(ApiContext& context, const HttpRequest& request,
                          const std::vector<std::string>& segments);
// Berth's own: /v2/volumes (volumes_resource.cc).
HttpResponse handle_volumes(ApiContext& context, const HttpRequest& request,
                            const std::vector<std::string>& segments);
HttpResponse handle_info(ApiContext& context, const HttpRequest& request,
                         const std::vector<std::string>& segments);

// The rules a new root must satisfy as a whole: no dependency cycle, external volume names
// unique across apps, and (when the master manages volumes) DVDI drivers it knows.
Status validate_target(const ApiContext& context, const scheduler::Root& target);

// DELETE /v2/apps/<id>/tasks[/<task id>], shared with POST /v2/tasks/delete.
HttpResponse kill_app_tasks(ApiContext& context, const HttpRequest& request, const std::string& id,
                            const std::optional<std::string>& task_id);

}  // namespace berth::marathon_api
