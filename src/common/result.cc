// Error helpers that need <cstring>.
#include <cstring>

#include "common/result.h"

namespace berth {

Error errno_error(const std::string& what, int err) {
  return {ErrorCode::kInternal, what + ": " + std::strerror(err)};
}

}  // namespace berth
