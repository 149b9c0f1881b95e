// Local volumes: directories or btrfs subvolumes under the agent's work dir.
#include "storage/node/local_driver.h"

#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/atomic_file.h"
#include "storage/node/node_mounts.h"
#include "storage/node/run_command.h"

namespace berth {

LocalDriver::LocalDriver(LocalDriverOptions options) : options_(std::move(options)) {}

std::string LocalDriver::data_path(const std::string& volume) const {
  return options_.volumes_dir + "/" + volume;
}

Result<bool> LocalDriver::uses_subvolumes() const {
  struct statfs fs {};
  if (::statfs(options_.volumes_dir.c_str(), &fs) != 0) {
    return errno_error("statfs " + options_.volumes_dir, errno);
  }
  return fs.f_type == static_cast<decltype(fs.f_type)>(BTRFS_SUPER_MAGIC);
}

Status LocalDriver::create_data(const std::string& volume) {
  BERTH_RETURN_IF_ERROR(make_directories(options_.volumes_dir));
  const std::string path = data_path(volume);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return {};
  auto btrfs = uses_subvolumes();
  if (!btrfs.ok()) return btrfs.error();
  if (!*btrfs) return make_directories(path);
  // BTRFS_IOC_SUBVOL_CREATE on the parent directory, with the new subvolume's name.
  int parent = ::open(options_.volumes_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent < 0) return errno_error("open " + options_.volumes_dir, errno);
  btrfs_ioctl_vol_args args;
  std::memset(&args, 0, sizeof(args));
  std::strncpy(args.name, volume.c_str(), BTRFS_PATH_NAME_MAX);
  int rc = ::ioctl(parent, BTRFS_IOC_SUBVOL_CREATE, &args);
  int err = errno;
  ::close(parent);
  if (rc != 0 && err != EEXIST) return errno_error("create btrfs subvolume " + path, err);
  return {};
}

Result<StagedDevice> LocalDriver::stage(const VolumeSpec& volume, const std::string& staging_path) {
  BERTH_RETURN_IF_ERROR(validate_volume_name(volume.name));
  const std::string context = "stage local volume " + volume.name;
  if (auto created = create_data(volume.name); !created.ok()) {
    return created.error().context(context);
  }
  if (auto bound = bind_mount(data_path(volume.name), staging_path, false); !bound.ok()) {
    return bound.error().context(context);
  }
  return StagedDevice{};  // a bind mount of a directory: no device of its own
}

Status LocalDriver::unstage(const VolumeSpec& volume, const std::string& staging_path,
                            const StagedDevice& /*device*/) {
  const std::string context = "unstage local volume " + volume.name;
  if (auto unmounted = unmount(staging_path); !unmounted.ok()) {
    return unmounted.error().context(context);
  }
  if (auto removed = remove_mount_dir(staging_path, 1); !removed.ok()) {
    return removed.error().context(context);
  }
  return {};
}

Result<bool> LocalDriver::still_staged(const VolumeSpec& volume, const std::string& staging_path,
                                       const StagedDevice& /*device*/) {
  auto source = mount_source(staging_path);
  if (!source.ok()) return source.error().context("check local volume " + volume.name);
  return source->has_value();
}

Status LocalDriver::publish(const VolumeSpec& volume, const std::string& staging_path,
                            const std::string& target_path, bool read_only) {
  return publish_bind(volume.name, staging_path, target_path, read_only);
}

Status LocalDriver::unpublish(const VolumeSpec& volume, const std::string& target_path) {
  return unpublish_bind(volume.name, target_path);
}

Result<VolumeStats> LocalDriver::stats(const VolumeSpec& volume, const std::string& staging_path) {
  return filesystem_stats(volume.name, staging_path);
}

Status LocalDriver::destroy(const VolumeSpec& volume, const std::string& staging_path) {
  BERTH_RETURN_IF_ERROR(validate_volume_name(volume.name));
  auto staged = mount_source(staging_path);
  if (!staged.ok()) return staged.error();
  if (staged->has_value()) {
    return conflict("destroy local volume " + volume.name + ": it is still staged");
  }
  const std::string path = data_path(volume.name);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  // A subvolume's root is inode 256; rmdir cannot remove one, `btrfs subvolume delete` can.
  auto btrfs = uses_subvolumes();
  if (btrfs.ok() && *btrfs && st.st_ino == 256) {
    auto deleted = run_command({"btrfs", "subvolume", "delete", path}, std::chrono::minutes(5));
    if (!deleted.ok()) return deleted.error().context("destroy local volume " + volume.name);
    return {};
  }
  return remove_tree(path);
}

}  // namespace berth
