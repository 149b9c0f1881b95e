// Blockpool: sparse images in a shared pool, one node at a time, fenced by epochs.
#include "storage/node/blockpool_driver.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <thread>

#include "common/atomic_file.h"
#include "storage/node/loop_devices.h"
#include "storage/node/node_mounts.h"
#include "storage/node/run_command.h"

namespace berth {
namespace {

constexpr std::int64_t kMiB = 1024 * 1024;
// mkfs.xfs refuses smaller filesystems (xfsprogs >= 5.19).
constexpr std::int64_t kXfsMinimumMib = 300;
constexpr auto kPollInterval = std::chrono::milliseconds(20);

// flock() on <name>.lock for the lifetime of the object.
class PoolLock {
 public:
  static Result<PoolLock> take(const std::string& path, std::chrono::milliseconds timeout) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return errno_error("open " + path, errno);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      if (err != EWOULDBLOCK && err != EINTR) {
        ::close(fd);
        return errno_error("lock " + path, err);
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        ::close(fd);
        return unavailable("lock " + path + ": still held by another node after " +
                           std::to_string(timeout.count()) + " ms");
      }
      std::this_thread::sleep_for(kPollInterval);
    }
    return PoolLock(fd);
  }
  PoolLock(PoolLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  PoolLock& operator=(PoolLock&&) = delete;
  ~PoolLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the flock
  }

 private:
  explicit PoolLock(int fd) : fd_(fd) {}
  int fd_;
};

Status fsync_path(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errno_error("fsync " + path, err);
  return {};
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The epoch recorded in the pool; 0 when none was.
Result<std::uint64_t> read_epoch(const std::string& path) {
  auto text = read_file(path);
  if (!text.ok()) return text.error();
  if (!text->has_value()) return std::uint64_t{0};
  std::string value = **text;
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  std::uint64_t epoch = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), epoch);
  if (ec != std::errc() || end != value.data() + value.size()) {
    return internal_error(path + " does not hold an epoch: '" + value + "'");
  }
  return epoch;
}

std::uint64_t le(const unsigned char* p, int bytes) {
  std::uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

std::uint64_t be(const unsigned char* p, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
  return value;
}

// The size the filesystem on `device` believes it has, and its block size, from the
// superblock (ext4 at byte 1024, little-endian; xfs at byte 0, big-endian).
Result<std::pair<std::uint64_t, std::uint64_t>> filesystem_size(const std::string& device,
                                                                const std::string& fs_type) {
  unsigned char sb[1024];
  int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + device, errno);
  ssize_t n = ::pread(fd, sb, sizeof(sb), fs_type == "xfs" ? 0 : 1024);
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(sizeof(sb)))
    return errno_error("read superblock of " + device, err);
  if (fs_type == "xfs") {
    if (std::memcmp(sb, "XFSB", 4) != 0) return internal_error(device + " holds no xfs");
    std::uint64_t block = be(sb + 4, 4);
    return std::pair{be(sb + 8, 8) * block, block};
  }
  if (le(sb + 0x38, 2) != 0xEF53) return internal_error(device + " holds no ext4");
  std::uint64_t block = std::uint64_t{1024} << le(sb + 0x18, 4);
  std::uint64_t blocks = le(sb + 0x4, 4);
  if (le(sb + 0x60, 4) & 0x80) blocks |= le(sb + 0x150, 4) << 32;  // INCOMPAT_64BIT
  return std::pair{blocks * block, block};
}

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

Status check_fs_type(const VolumeSpec& volume) {
  if (volume.fs_type != "ext4" && volume.fs_type != "xfs") {
    return invalid_argument("filesystem '" + volume.fs_type +
                            "' is not supported by blockpool (ext4 or xfs)");
  }
  return {};
}

}  // namespace

BlockpoolDriver::BlockpoolDriver(BlockpoolOptions options) : options_(std::move(options)) {}

std::string BlockpoolDriver::image_path(const std::string& volume) const {
  return options_.pool_dir + "/" + volume + ".img";
}

std::string BlockpoolDriver::epoch_path(const std::string& volume) const {
  return options_.pool_dir + "/" + volume + ".epoch";
}

Result<StagedDevice> BlockpoolDriver::stage(const VolumeSpec& volume,
                                            const std::string& staging_path) {
  BERTH_RETURN_IF_ERROR(validate_volume_name(volume.name));
  const std::string context = "stage volume " + volume.name;
  auto staged = stage_locked(volume, staging_path);
  if (!staged.ok()) return staged.error().context(context);
  auto source = mount_source(staging_path);
  if (!source.ok()) return source.error().context(context);
  if (!source->has_value()) return internal_error(context + ": not mounted after the stage");
  auto device = describe_loop(**source);
  if (!device.ok()) return device.error().context(context);
  return device;
}

Status BlockpoolDriver::stage_locked(const VolumeSpec& volume, const std::string& staging_path) {
  BERTH_RETURN_IF_ERROR(check_fs_type(volume));
  BERTH_RETURN_IF_ERROR(make_directories(options_.pool_dir));
  auto lock =
      PoolLock::take(options_.pool_dir + "/" + volume.name + ".lock", options_.lock_timeout);
  if (!lock.ok()) return lock.error();
  const std::string image = image_path(volume.name);

  auto holders = loops_holding(image);
  if (!holders.ok()) return holders.error();
  auto source = mount_source(staging_path);
  if (!source.ok()) return source.error();
  const bool mounted_here = source->has_value();
  if (mounted_here && std::find(holders->begin(), holders->end(), **source) == holders->end()) {
    return conflict("staging path " + staging_path + " is mounted from " + **source +
                    ", not from " + image);
  }

  auto recorded = read_epoch(epoch_path(volume.name));
  if (!recorded.ok()) return recorded.error();
  if (*recorded > volume.epoch) {
    return conflict("epoch " + std::to_string(volume.epoch) + " is stale: the pool records " +
                    std::to_string(*recorded) + " (the volume was given to a node since)");
  }
  if (!mounted_here) {
    if (!holders->empty()) {
      return unavailable(image + " is still held by " + holders->front() +
                         " on this node (a mount of it was not cleaned up); refusing to attach "
                         "it twice");
    }
    if (!exists(image)) {
      BERTH_RETURN_IF_ERROR(
          create_image(volume, volume.size_mib > 0 ? volume.size_mib : options_.default_size_mib));
    }
  }
  if (*recorded < volume.epoch || !exists(epoch_path(volume.name))) {
    // Before the mount: from here on the storage itself refuses every older claim.
    BERTH_RETURN_IF_ERROR(
        write_file_atomically(epoch_path(volume.name), std::to_string(volume.epoch) + "\n"));
  }
  auto grew = grow_image(image, volume.size_mib);
  if (!grew.ok()) return grew.error();

  if (mounted_here) {
    if (!*grew) return {};
    BERTH_RETURN_IF_ERROR(refresh_loop_capacity(**source));
    return grow_filesystem(volume, **source, staging_path, true);
  }
  auto loop = attach_loop(image, false);
  if (!loop.ok()) return loop.error();
  if (volume.fs_type == "ext4") {
    // Also finishes a grow that a crash, or a refused online resize, left undone.
    BERTH_RETURN_IF_ERROR(grow_filesystem(volume, loop->path(), staging_path, false));
  }
  BERTH_RETURN_IF_ERROR(make_directories(staging_path));
  if (::mount(loop->path().c_str(), staging_path.c_str(), volume.fs_type.c_str(), MS_NOSUID,
              nullptr) != 0) {
    // Closing the loop (when `loop` goes) detaches it: autoclear, and nothing mounted it.
    return errno_error("mount " + loop->path() + " (" + image + ") at " + staging_path, errno);
  }
  if (volume.fs_type == "xfs") {
    auto resized = grow_filesystem(volume, loop->path(), staging_path, true);
    if (!resized.ok()) {
      ::umount2(staging_path.c_str(), 0);
      return resized.error();
    }
  }
  return {};
}

Status BlockpoolDriver::create_image(const VolumeSpec& volume, std::int64_t size_mib) {
  if (volume.fs_type == "xfs" && size_mib < kXfsMinimumMib) {
    return invalid_argument("xfs needs at least " + std::to_string(kXfsMinimumMib) +
                            " MiB; volume asks for " + std::to_string(size_mib));
  }
  const std::string image = image_path(volume.name);
  const std::string fresh = image + ".new";
  if (::unlink(fresh.c_str()) != 0 && errno != ENOENT) return errno_error("remove " + fresh, errno);
  int fd = ::open(fresh.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno_error("create " + fresh, errno);
  if (::ftruncate(fd, size_mib * kMiB) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(fresh.c_str());
    return errno_error("size " + fresh + " to " + std::to_string(size_mib) + " MiB", err);
  }
  ::close(fd);
  // ext4 with its inode tables zeroed now: left to lazy init, the kernel zeroes them after the
  // mount from a thread of its own (ext4lazyinit), writes that no task makes and that a fence
  // has to stop (the shutdown does, on Linux 6.18: filesystem_fence.h). mke2fs zeroes a sparse
  // image's tables by punching holes whenever the pool can, and then marks them zeroed anyway:
  // for 16 GiB, 0.21 s and 133 MiB allocated either way (measured on ext4); on a pool that
  // cannot punch holes, 256 MiB more written in the same time. No thread zeroes the journal
  // later, so lazy_journal_init stays as it is.
  std::vector<std::string> mkfs =
      volume.fs_type == "xfs"
          ? std::vector<std::string>{"mkfs.xfs", "-q", "-f", fresh}
          : std::vector<std::string>{"mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0", fresh};
  auto formatted = run_command(mkfs, options_.tool_timeout);
  if (!formatted.ok()) {
    ::unlink(fresh.c_str());
    return formatted.error();
  }
  BERTH_RETURN_IF_ERROR(fsync_path(fresh, false));
  if (::rename(fresh.c_str(), image.c_str()) != 0) return errno_error("rename " + fresh, errno);
  return fsync_path(options_.pool_dir, true);
}

Result<bool> BlockpoolDriver::grow_image(const std::string& image, std::int64_t size_mib) {
  struct stat st {};
  if (::stat(image.c_str(), &st) != 0) return errno_error("stat " + image, errno);
  if (size_mib <= 0 || st.st_size >= size_mib * kMiB) return false;
  if (::truncate(image.c_str(), size_mib * kMiB) != 0) {
    return errno_error("grow " + image + " to " + std::to_string(size_mib) + " MiB", errno);
  }
  BERTH_RETURN_IF_ERROR(fsync_path(image, false));
  return true;
}

Status BlockpoolDriver::grow_filesystem(const VolumeSpec& volume, const std::string& device,
                                        const std::string& mount_point, bool mounted) {
  auto size = filesystem_size(device, volume.fs_type);
  if (!size.ok()) return size.error();
  const auto [fs_bytes, block] = *size;
  if (fs_bytes + block > file_size(image_path(volume.name))) return {};
  if (volume.fs_type == "xfs") {
    auto grown = run_command({"xfs_growfs", mount_point}, options_.tool_timeout);
    if (!grown.ok()) return grown.error();
    return {};
  }
  if (!mounted) {
    // resize2fs insists on a freshly checked filesystem when it is not mounted.
    auto checked = run_command({"e2fsck", "-f", "-p", device}, options_.tool_timeout, 1);
    if (!checked.ok()) return checked.error();
  }
  auto grown = run_command({"resize2fs", device}, options_.tool_timeout);
  if (!grown.ok()) {
    return grown.error().context(mounted ? "grow online (the next stage grows it offline)"
                                         : "grow");
  }
  return {};
}

Status BlockpoolDriver::unstage(const VolumeSpec& volume, const std::string& staging_path,
                                const StagedDevice& device) {
  const std::string context = "unstage volume " + volume.name;
  const std::string image = image_path(volume.name);
  auto source = mount_source(staging_path);
  if (!source.ok()) return source.error().context(context);
  // The attachment to wait for: the one mounted here, which is this node's by being in its mount
  // table, else the one the checkpoint recorded. Never any other loop device that holds the
  // image: on a shared kernel that is another node's, in use.
  StagedDevice ours = device;
  if (source->has_value()) {
    auto holders = loops_holding(image);
    if (!holders.ok()) return holders.error().context(context);
    if (std::find(holders->begin(), holders->end(), **source) == holders->end()) {
      return conflict(context + ": " + staging_path + " is mounted from " + **source +
                      ", not from " + image);
    }
    // A bind of the staging path is a mount of its own, so unmounting the staging path would
    // succeed under it and leave the volume mounted only at the task's path.
    auto others = mount_points_of(**source);
    if (!others.ok()) return others.error().context(context);
    for (const auto& point : *others) {
      if (point != resolved_path(staging_path)) {
        return unavailable(context + ": still mounted at " + point);
      }
    }
    auto mounted = describe_loop(**source);
    if (!mounted.ok()) return mounted.error().context(context);
    ours = *mounted;
    auto unmounted = unmount(staging_path);
    if (!unmounted.ok()) return unmounted.error().context(context);
  }
  // Autoclear detaches the loop device once its last mount is gone; one that stays is held by
  // a copy of the mount elsewhere (a task's mount namespace that is still alive).
  const auto deadline = std::chrono::steady_clock::now() + options_.release_timeout;
  while (still_attached(ours)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return unavailable(context + ": " + ours.path +
                         " still holds the image after the unmount (is a task's mount "
                         "namespace still alive?)");
    }
    std::this_thread::sleep_for(kPollInterval);
  }
  if (exists(image)) {
    // The loop device wrote through the host's page cache: make it the pool's before the
    // volume counts as released and another node may attach it.
    if (auto synced = fsync_path(image, false); !synced.ok())
      return synced.error().context(context);
  }
  auto removed = remove_mount_dir(staging_path, 1);
  if (!removed.ok()) return removed.error().context(context);
  return {};
}

Result<bool> BlockpoolDriver::still_staged(const VolumeSpec& volume,
                                           const std::string& staging_path,
                                           const StagedDevice& device) {
  auto source = mount_source(staging_path);
  if (!source.ok()) return source.error().context("check volume " + volume.name);
  return source->has_value() || still_attached(device);
}

Status BlockpoolDriver::publish(const VolumeSpec& volume, const std::string& staging_path,
                                const std::string& target_path, bool read_only) {
  return publish_bind(volume.name, staging_path, target_path, read_only);
}

Status BlockpoolDriver::unpublish(const VolumeSpec& volume, const std::string& target_path) {
  return unpublish_bind(volume.name, target_path);
}

Result<VolumeStats> BlockpoolDriver::stats(const VolumeSpec& volume,
                                           const std::string& staging_path) {
  return filesystem_stats(volume.name, staging_path);
}

}  // namespace berth
