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

// The block device a stage attached on this node, as the volume's checkpoint keeps it. Several
// nodes may share one kernel (every test cluster, `berth dev`), so a device is known as this
// node's by the attachment, not by its name: the kernel numbers every attach and detach of a
// disk (diskseq), and a device number that another node attached since, even to the same image,
// carries another number. Empty (no path) for drivers that attach no device.
struct StagedDevice {
  std::string path;               // "/dev/loop3"
  std::uint64_t rdev = 0;         // its major:minor, as stat's st_rdev
  std::uint64_t diskseq = 0;      // of this attachment; 0 when the kernel has none (< 5.15)
  std::uint64_t backing_dev = 0;  // the image it reads and writes: st_dev and st_ino
  std::uint64_t backing_ino = 0;

  bool empty() const { return path.empty(); }
  bool operator==(const StagedDevice&) const = default;
};

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
  // newer epoch records that epoch. Returns the device the volume is mounted from (empty for
  // drivers that attach none), for the checkpoint.
  virtual Result<StagedDevice> stage(const VolumeSpec& volume, const std::string& staging_path) = 0;

  // Undoes stage. Fails (and keeps the volume staged) while anything still uses it. `device` is
  // what stage returned, or empty when the checkpoint has none; unstage waits for that device
  // (or the one mounted at `staging_path`) to be released, and never for a device it cannot
  // tell is this node's.
  virtual Status unstage(const VolumeSpec& volume, const std::string& staging_path,
                         const StagedDevice& device) = 0;

  // Whether anything stage put in place is still there: the mount at `staging_path` in this
  // process's mount namespace, or `device` still in this same attachment (held by a copy of the
  // mount in some task's namespace). False after the node came back in a new mount namespace
  // with the same kernel (the checkpoint outlived the mounts without a reboot): recovery then
  // forgets the mounts without calling unstage.
  virtual Result<bool> still_staged(const VolumeSpec& volume, const std::string& staging_path,
                                    const StagedDevice& device) = 0;

  // Bind-mounts the staged volume at `target_path` (created if missing), read-only if asked.
  virtual Status publish(const VolumeSpec& volume, const std::string& staging_path,
                         const std::string& target_path, bool read_only) = 0;

  // Unmounts `target_path` and removes it.
  virtual Status unpublish(const VolumeSpec& volume, const std::string& target_path) = 0;

  // Space and inodes of a staged volume.
  virtual Result<VolumeStats> stats(const VolumeSpec& volume, const std::string& staging_path) = 0;
};

}  // namespace berth
