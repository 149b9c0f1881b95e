// BlockpoolDriver: Berth's default external volumes. A volume is a sparse filesystem image in a
// pool directory that every node reaches (a shared mount in production, a local directory on a
// dev cluster), attached on one node at a time through a loop device and mounted there.
//
// Pool layout (shared by all nodes):
//
//   <pool>/
//     <name>.img      the filesystem image; it exists only once formatted (made as
//                     <name>.img.new, formatted, fsynced, renamed), so a crash while
//                     formatting never leaves an image that looks ready
//     <name>.epoch    the newest epoch that staged the volume, decimal; written atomically
//                     (temp, fsync, rename, fsync dir) before the mount
//     <name>.lock     flock()ed while staging, so two nodes never format or claim at once
//
// Staging, under the lock: refuse an epoch older than <name>.epoch; refuse while any loop device
// on this node still holds the image (something kept it mounted); create and format on first
// use; record the epoch; grow the image if the spec is larger; attach with autoclear; mount;
// grow the filesystem (ext4 offline before the mount, with e2fsck first; xfs after it).
// Unstaging refuses while the volume is still mounted elsewhere on this node, unmounts, waits for
// this node's loop device to go (the attachment it mounted, or the one its checkpoint recorded:
// never a device another node on the same kernel attached to the image), and fsyncs the image so
// that everything written is in the pool before the volume counts as released.
// Growing a staged volume happens online (LOOP_SET_CAPACITY, resize2fs or xfs_growfs); where
// that is not allowed (ext4 online resizing needs CAP_SYS_RESOURCE) stage fails, the volume stays
// mounted at its old size, and the next stage after an unstage grows it.
// Whether a filesystem still has to grow is read from its superblock, so a grow that a crash
// interrupted is finished later.
#pragma once

#include <chrono>
#include <string>

#include "storage/node/node_driver.h"

namespace berth {

struct BlockpoolOptions {
  std::string pool_dir;
  std::int64_t default_size_mib = 1024;  // a new volume whose spec has no size
  std::chrono::milliseconds lock_timeout{60000};
  std::chrono::milliseconds tool_timeout{300000};  // mkfs, resize2fs, xfs_growfs
  // How long unstage waits for the kernel to release the loop device after the unmount.
  std::chrono::milliseconds release_timeout{5000};
};

class BlockpoolDriver final : public NodeDriver {
 public:
  explicit BlockpoolDriver(BlockpoolOptions options);

  std::string_view name() const override { return "blockpool"; }
  Result<StagedDevice> stage(const VolumeSpec& volume, const std::string& staging_path) override;
  Status unstage(const VolumeSpec& volume, const std::string& staging_path,
                 const StagedDevice& device) override;
  Result<bool> still_staged(const VolumeSpec& volume, const std::string& staging_path,
                            const StagedDevice& device) override;
  Status publish(const VolumeSpec& volume, const std::string& staging_path,
                 const std::string& target_path, bool read_only) override;
  Status unpublish(const VolumeSpec& volume, const std::string& target_path) override;
  Result<VolumeStats> stats(const VolumeSpec& volume, const std::string& staging_path) override;

  std::string image_path(const std::string& volume) const;
  std::string epoch_path(const std::string& volume) const;

 private:
  Status stage_locked(const VolumeSpec& volume, const std::string& staging_path);
  Status create_image(const VolumeSpec& volume, std::int64_t size_mib);
  // Grows the image file to `size_mib` if it is smaller; true if it grew.
  Result<bool> grow_image(const std::string& image, std::int64_t size_mib);
  // Grows the filesystem on `device` to the device's size; ext4 unmounted, xfs mounted at
  // `mount_point`. Does nothing when the superblock says it is already that large.
  Status grow_filesystem(const VolumeSpec& volume, const std::string& device,
                         const std::string& mount_point, bool mounted);

  BlockpoolOptions options_;
};

}  // namespace berth
