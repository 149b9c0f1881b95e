// FS_IOC_SHUTDOWN and a flush of the block device under it.
#include "agent/linux/filesystem_fence.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace berth {
namespace {

// Not in the linux/fs.h of Debian 12 (Linux 6.1): the ioctl is XFS_IOC_GOINGDOWN, which ext4
// and f2fs answer under the same number.
constexpr unsigned long kShutdownIoctl = _IOR('X', 125, std::uint32_t);
constexpr std::uint32_t kShutdownLogFlush = 0x1;  // FS_SHUTDOWN_FLAGS_LOGFLUSH

// The device node mounted with device number `dev`, from this namespace's mountinfo ("7:3 ...
// - ext4 /dev/loop3 rw"); empty if none is listed.
std::string device_node_of(dev_t dev) {
  const std::string wanted = std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, numbers, field;
    fields >> id >> parent >> numbers;
    if (numbers != wanted) continue;
    while (fields >> field && field != "-") {
    }
    std::string fs_type, source;
    fields >> fs_type >> source;
    if (source.starts_with("/")) return source;
  }
  return "";
}

// Writes out what the device's page cache still holds for the filesystem (see the header).
Status flush_device(dev_t dev, const std::string& path) {
  const std::string node = device_node_of(dev);
  int fd = node.empty() ? -1 : ::open(node.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISBLK(st.st_mode) || st.st_rdev != dev)) {
    ::close(fd);
    fd = -1;
  }
  if (fd < 0) {
    // No node for the device here: sync(2) flushes every block device, this one among them.
    ::sync();
    return {};
  }
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errno_error("flush " + node + " under " + path, err);
  return {};
}

}  // namespace

Status shut_down_filesystem(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // xfs refuses every open once shut down (ext4 does not): another task's supervisor that
  // shares the volume got there first.
  if (fd < 0 && errno == EIO) return {};
  if (fd < 0) return errno_error("open " + path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return errno_error("stat " + path, err);
  }
  std::uint32_t flags = kShutdownLogFlush;
  int rc = ::ioctl(fd, kShutdownIoctl, &flags);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errno_error("shut down the filesystem at " + path, err);
  return flush_device(st.st_dev, path);
}

}  // namespace berth
