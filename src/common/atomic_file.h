// Files that survive a crash at any instant: written to a temporary name, fsynced, renamed over
// the target and the directory fsynced, so a reader sees the old contents or the new, never a
// torn mix. Every checkpoint the agent writes goes through here.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth {

Status write_file_atomically(const std::string& path, std::string_view contents);

// The whole file, or nullopt if it does not exist.
Result<std::optional<std::string>> read_file(const std::string& path);

// Creates `path` and its missing parents (mode 0755).
Status make_directories(const std::string& path);

// Removes `path` and everything below it; a missing path is not an error.
Status remove_tree(const std::string& path);

// Names of the entries of a directory (no "." or ".."), sorted; empty if it does not exist.
Result<std::vector<std::string>> list_directory(const std::string& path);

}  // namespace berth
