// Private helpers of the http module for reading requests: splitting a request target into its
// percent-decoded path and query parameters, and lowercasing header names.
#pragma once

#include <string>
#include <string_view>

#include "http/http_types.h"

namespace berth {

// Fills request.path and request.query from request.target.
void parse_target(HttpRequest& request);

// ASCII lowercase, for header names.
std::string to_lower(std::string_view text);

}  // namespace berth
