// The one place where errors become HTTP responses: {"message": ...} with the status that tells
// the caller what to do (Marathon's conventions).
#pragma once

#include <string>

#include "common/result.h"
#include "http/http_types.h"

namespace berth {

int http_status_for(ErrorCode code);
HttpResponse error_response(const Error& error);
HttpResponse json_response(int status, std::string body);
// 422 with Marathon's validation body: one detail at `path`.
HttpResponse validation_error(const std::string& path, const std::string& message);

}  // namespace berth
