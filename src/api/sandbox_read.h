// The query of GET /files/read (Mesos' sandbox file API, limited to task sandboxes): which file,
// from where, how much. The agent serves it from its disk and the master forwards it to the
// task's agent (for the web UI, which reaches only the master); both read the query here, so
// that they refuse the same requests with the same words.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace berth {

// The most a single read returns; a client pages with `offset` for more.
inline constexpr std::int64_t kMaxFileChunk = 1 << 20;

struct SandboxReadQuery {
  std::string path;         // "<task-id>/<file>"
  std::int64_t offset = 0;  // -1: no data, the file's size as the answer's offset
  std::int64_t length = kMaxFileChunk;

  // The task the path names: everything before its first '/'.
  std::string task_id() const { return path.substr(0, path.find('/')); }
};

// From the raw query values (absent: nullopt). kMalformed, saying which value is wrong, for a
// missing path, a path that names no task and file, or an offset or length that is not a whole
// number (or an offset below -1). Whether the path stays inside the sandbox is the agent's check
// (read_sandbox_file), next to the files it guards.
Result<SandboxReadQuery> parse_sandbox_read(const std::optional<std::string>& path,
                                            const std::optional<std::string>& offset,
                                            const std::optional<std::string>& length);

}  // namespace berth
