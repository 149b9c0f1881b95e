// NodeDriver: one storage backend as seen from a node (the node half of a CSI plugin): make a
// volume's filesystem available here, bind it into tasks, take it away again. Owned by the
// agent and called only by its NodeVolumeManager, one call at a time, from the agent's volume
// worker thread (calls block: they format, attach and mount).
//
// Every call is idempotent: repeating a call that succeeded, or that was interrupted by a crash
// at any point, succeeds and leaves the same state. The manager relies on this to recover by
// simply repeating the call its checkpoint names. A failed call undoes its own partial work
// where it can and never disturbs a mount that existed before it was made.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/volume_protocol.h"
#include "common/result.h"

namespace berth {

struct VolumeStats {
  std::uint64_t total_bytes = 0;
  std::uint64_t used_bytes = 0;
  std::uint64_t available_bytes = 0;
  std::uint64_t total_inodes = 0;
  std::uint64_t used_inodes = 0;
};

class NodeDriver {
 public:
  virtual ~NodeDriver() = default;

  // The name volumes give as VolumeSpec::driver.
  virtual std::string_view name() const = 0;

  // Makes the volume's filesystem available at `staging_path` (created if missing), creating
  // and formatting the volume on first use and growing it when `volume.size_mib` is larger
  // than it is. External drivers check `volume.epoch` against the newest epoch the storage has
  // seen and refuse (kConflict) an older one; staging an already staged volume again with a
  // newer epoch records that epoch.
  virtual Status stage(const VolumeSpec& volume, const std::string& staging_path) = 0;

  // Undoes stage. Fails (and keeps the volume staged) while anything still uses it.
  virtual Status unstage(const VolumeSpec& volume, const std::string& staging_path) = 0;

  // Bind-mounts the staged volume at `target_path` (created if missing), read-only if asked.
  virtual Status publish(const VolumeSpec& volume, const std::string& staging_path,
                         const std::string& target_path, bool read_only) = 0;

  // Unmounts `target_path` and removes it.
  virtual Status unpublish(const VolumeSpec& volume, const std::string& target_path) = 0;

  // Space and inodes of a staged volume.
  virtual Result<VolumeStats> stats(const VolumeSpec& volume, const std::string& staging_path) = 0;
};

}  // namespace berth
