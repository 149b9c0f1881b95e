// V2Api: Marathon's v2 REST API (marathon-api.md) over the AppScheduler and MasterCore. The
// live master hands it every request under /v2/; contract tests call it directly, with no
// sockets. Synchronous: each answer is computed on the master's event loop from its memory,
// after any change has been persisted.
#pragma once

#include <optional>

#include "http/http_types.h"
#include "marathon_api/api_context.h"

namespace berth::marathon_api {

class V2Api {
 public:
  explicit V2Api(ApiContext context) : context_(std::move(context)) {}

  // The answer to a request whose path starts with /v2/, or nullopt for any other path.
  std::optional<HttpResponse> handle(const HttpRequest& request);

 private:
  ApiContext context_;
};

}  // namespace berth::marathon_api
