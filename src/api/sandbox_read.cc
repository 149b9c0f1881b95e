// Reading /files/read's query values, once for the agent and the master.
#include "api/sandbox_read.h"

#include <charconv>

namespace berth {
namespace {

// `fallback` when absent; an error naming the parameter when it is not a whole number.
Result<std::int64_t> whole_number(const char* name, const std::optional<std::string>& text,
                                  std::int64_t fallback) {
  if (!text) return fallback;
  std::int64_t value = 0;
  const char* end = text->data() + text->size();
  auto [stop, ec] = std::from_chars(text->data(), end, value);
  if (text->empty() || ec != std::errc() || stop != end) {
    return malformed(std::string(name) + " must be a whole number of bytes, not '" + *text + "'");
  }
  return value;
}

}  // namespace

Result<SandboxReadQuery> parse_sandbox_read(const std::optional<std::string>& path,
                                            const std::optional<std::string>& offset,
                                            const std::optional<std::string>& length) {
  SandboxReadQuery query;
  if (!path || path->empty()) return malformed("/files/read needs path=<task-id>/<file>");
  const std::size_t slash = path->find('/');
  if (slash == 0 || slash == std::string::npos || slash + 1 == path->size()) {
    return malformed("path '" + *path + "' must be <task-id>/<file>");
  }
  query.path = *path;
  auto from = whole_number("offset", offset, 0);
  if (!from.ok()) return from.error();
  if (*from < -1) return malformed("offset must be -1 or more, not " + std::to_string(*from));
  query.offset = *from;
  auto most = whole_number("length", length, kMaxFileChunk);
  if (!most.ok()) return most.error();
  query.length = *most;
  return query;
}

}  // namespace berth
