// `berth volume ls|create|inspect|rm|resize`: the operator's client of /v2/volumes on the master's
// public API (--http_port). One blocking request per command; output for people on stdout
// (tables for ls, the API's JSON for inspect and with --json), errors on stderr.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/client_options.h"
#include "common/result.h"

namespace berth {

struct VolumeCommand {
  enum class Verb { kList, kCreate, kInspect, kRemove, kResize };
  Verb verb = Verb::kList;
  ClientOptions client;
  std::string name;  // create, inspect, rm
  // create; empty or 0: the master's defaults
  std::string size;  // "1024" (MiB), "512M", "16G", "1T"
  std::string driver;
  std::string fs_type;
  std::string kind;                  // external | local
  bool shared = false;               // accessMode shared
  std::vector<std::string> options;  // key=value
};

// "1024" -> 1024 MiB; "512M", "512MiB", "16G", "16GiB", "1T", "1TiB". kInvalidArgument otherwise.
Result<std::int64_t> parse_volume_size(const std::string& text);

// The `ls` table of GET /v2/volumes' `volumes`, naming each attachment's node by its hostname
// from `hostnames` (agent id -> hostname), or by its agent id when the master does not know it.
void print_volume_table(std::ostream& out, const nlohmann::json& volumes,
                        const std::map<std::string, std::string>& hostnames);

CLI::App* add_volume_command(CLI::App& berth, VolumeCommand& command);
int run_volume_command(const VolumeCommand& command, std::ostream& out, std::ostream& err);

}  // namespace berth
