// Error helpers that need <cstring>.
#include "common/result.h"

#include <cstring>

namespace berth {

Error errno_error(const std::string& what, int err) {
  return {ErrorCode::kInternal, what + ": " + std::strerror(err)};
}

}  // namespace berth
