// Reading task sandboxes over HTTP (GET /files/read on the agent's port), so that an operator can
// see a task's stdout and stderr without a shell on its node. The shape is Mesos' /files/read:
// a chunk of one file as {"data": "...", "offset": N}. Only files inside a task's sandbox can be
// read: the path names the task first ("<task-id>/stdout"), and no "..", absolute path or
// symbolic link may lead out of that sandbox (a task controls its sandbox and could plant links).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/sandbox_read.h"
#include "common/result.h"

namespace berth {

struct FileChunk {
  std::string data;
  std::int64_t offset = 0;  // where `data` starts in the file
};

// Reads up to `length` bytes (capped at kMaxFileChunk; negative: the cap) from `offset` of the
// file `path` ("<task-id>/<file>") below `sandboxes_dir`. offset -1 reads nothing and answers
// the file's size as the offset, which is how a client finds the tail. Errors: kMalformed for a
// path that tries to leave a sandbox, a bad offset or a directory; kNotFound for a missing file.
Result<FileChunk> read_sandbox_file(const std::string& sandboxes_dir, std::string_view path,
                                    std::int64_t offset, std::int64_t length);

}  // namespace berth
