// Mapping errors to HTTP responses.
#include "http/http_errors.h"

#include <nlohmann/json.hpp>

namespace berth {

int http_status_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformed:
      return 400;
    case ErrorCode::kInvalidArgument:
      return 422;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kExhausted:
      return 403;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse json_response(int status, std::string body) {
  return HttpResponse{status, "application/json", std::move(body), {}};
}

HttpResponse error_response(const Error& error) {
  nlohmann::json body{{"message", error.message}};
  if (!error.fields.empty()) {
    nlohmann::json details = nlohmann::json::array();
    for (const FieldError& field : error.fields) {
      details.push_back({{"path", field.path}, {"errors", field.errors}});
    }
    body["details"] = std::move(details);
  } else if (!error.details_text.empty()) {
    body["details"] = error.details_text;
  }
  return json_response(http_status_for(error.code), body.dump());
}

HttpResponse validation_error(const std::string& path, const std::string& message) {
  nlohmann::json body{{"message", "Object is not valid"},
                      {"details", {{{"path", path}, {"errors", {message}}}}}};
  return json_response(422, body.dump());
}

}  // namespace berth
