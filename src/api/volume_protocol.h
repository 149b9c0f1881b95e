// Volumes on the master <-> agent protocol: what a task's launch says about the volumes it
// needs, and what an agent reports about the volumes it has mounted. Plain structs with their
// JSON; the master's VolumeController and the agent's NodeVolumeManager both speak these.
//
// The epoch is the fence. The master bumps a volume's attachment epoch every time it gives the
// volume to a node; a node mounts only with the epoch it was given, records it in the volume's
// pool (so that storage itself remembers the newest claim), and refuses to mount when the pool
// already holds a newer one. A node cut off from the master stops the tasks using external
// volumes and unmounts them once its lease has run out, before the master may hand the volume to
// anyone else (lease + drift margin, counted from the last heartbeat the master acknowledged).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth {

// One volume as a node needs to know it to stage and mount it.
struct VolumeSpec {
  std::string name;    // cluster-unique; [a-z0-9][a-z0-9._-]* (no '/', no '..')
  std::string driver;  // "blockpool", "local", ...
  std::int64_t size_mib = 0;
  std::string fs_type = "ext4";  // ext4 | xfs
  std::map<std::string, std::string> options;
  std::uint64_t epoch = 0;  // the attachment this mount belongs to
  bool external = true;     // false: a local persistent volume, pinned to its node

  bool operator==(const VolumeSpec&) const = default;
};

// A volume as one task sees it.
struct TaskVolume {
  VolumeSpec volume;
  std::string container_path;  // absolute, or relative to the sandbox
  bool read_only = false;

  bool operator==(const TaskVolume&) const = default;
};

// A volume mounted on a node, as its agent reports it when it registers.
struct MountedVolume {
  std::string name;
  std::uint64_t epoch = 0;
  std::vector<std::string> task_ids;  // the tasks using it now

  bool operator==(const MountedVolume&) const = default;
};

// Volume names become file and directory names on every node and in the pool, so only these
// pass: 1-128 characters of [a-z0-9._-], starting with a letter or digit, not "." or "..".
Status validate_volume_name(std::string_view name);

// Parsers return kInvalidArgument naming the bad field; names are validated as above.
std::string to_json(const TaskVolume& volume);
Result<TaskVolume> parse_task_volume(std::string_view json);
std::string to_json(const MountedVolume& volume);
Result<MountedVolume> parse_mounted_volume(std::string_view json);

}  // namespace berth
