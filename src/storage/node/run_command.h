// Runs a storage tool (mkfs, resize2fs, xfs_growfs) with a deadline: a tool that hangs is
// killed, so no volume operation can stay pending forever (the hung dvdcli of
// mesos-module-dvdi#88).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/result.h"

namespace berth {

// Runs argv[0] (searched in PATH) without a shell. Returns its stdout when it exits with a
// status up to `max_ok_status` (e2fsck says 1 for "errors corrected"); otherwise an error with
// the command, its exit status and the end of its stderr.
Result<std::string> run_command(const std::vector<std::string>& argv,
                                std::chrono::milliseconds timeout, int max_ok_status = 0);

}  // namespace berth
