// `berth volume ls|create|inspect|rm`: the operator's client of /v2/volumes on the master's
// public API (--http_port). One blocking request per command; output for people on stdout
// (tables for ls, the API's JSON for inspect), errors on stderr.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>

#include "common/result.h"

namespace berth {

struct VolumeCommand {
  enum class Verb { kList, kCreate, kInspect, kRemove };
  Verb verb = Verb::kList;
  std::string master = "127.0.0.1:8080";  // the master's API, host:port
  std::string name;                       // create, inspect, rm
  // create; empty or 0: the master's defaults
  std::string size;  // "1024" (MiB), "512M", "16G", "1T"
  std::string driver;
  std::string fs_type;
  std::string kind;                  // external | local
  bool shared = false;               // accessMode shared
  std::vector<std::string> options;  // key=value
  bool json = false;                 // ls: the API's JSON instead of a table
};

// Exit codes, as the rest of the CLI: 0 done, 1 the master refused or could not be reached,
// 2 bad usage (caught before any request).
inline constexpr int kVolumeOk = 0;
inline constexpr int kVolumeApiError = 1;
inline constexpr int kVolumeBadUsage = 2;

// "1024" -> 1024 MiB; "512M", "512MiB", "16G", "16GiB", "1T", "1TiB". kInvalidArgument otherwise.
Result<std::int64_t> parse_volume_size(const std::string& text);

int run_volume_command(const VolumeCommand& command, std::ostream& out, std::ostream& err);

}  // namespace berth
