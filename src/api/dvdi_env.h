// The DVDI environment interface of mesos-module-dvdi: a task without container volumes asks
// for external volumes through its environment, and this turns those variables into the
// TaskVolumes Berth mounts. Pure: no I/O, the same answer on the master and on an agent.
//
//   DVDI_VOLUME_NAME[n]            the volume; its presence asks for volume n
//   DVDI_VOLUME_DRIVER[n]          driver name, default "rexray" (the master maps aliases)
//   DVDI_VOLUME_OPTS[n]            "k=v,k=v": size (GiB), newfstype (ext4|xfs), anything else
//                                  kept as a driver option
//   DVDI_VOLUME_CONTAINERPATH[n]   absolute path in the task; default <mount_root>/<name>
//   DVDI_VOLUME_EXPLICITCREATE[n]  "true": the volume must exist already
//
// n is nothing or 0 (both volume 0) or one digit 1-9. A longer or non-digit suffix, a value
// with a character the module rejected (it built shell commands), options or a driver without
// a name, a relative container path, a volume named twice with container paths, or two
// volumes at one path are errors naming the variable. A volume named twice without a container
// path is mounted once, as the module did.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/volume_protocol.h"
#include "common/result.h"

namespace berth {

struct DvdiDefaults {
  std::string driver = "rexray";
  // REX-Ray's mount path, so tasks written for dvdcli find their data where it used to be.
  std::string mount_root = "/var/lib/rexray/volumes";
};

// Empty when the environment names no DVDI volume. Options whose key is known to Berth are
// read into the spec (size -> size_mib, newfstype -> fs_type) and all are kept in `options`.
Result<std::vector<TaskVolume>> task_volumes_from_dvdi_env(
    const std::map<std::string, std::string>& environment, const DvdiDefaults& defaults = {});

}  // namespace berth
