// Loop devices through /dev/loop-control and sysfs.
#include "storage/node/loop_devices.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/atomic_file.h"

namespace berth {
namespace {

constexpr int kLoopMajor = 7;
constexpr int kAttachAttempts = 20;

// The device node, created when the kernel made a new loop device but no udev made its node
// (containers, minimal systems).
Result<int> open_loop(int number, std::string& path) {
  path = "/dev/loop" + std::to_string(number);
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    if (::mknod(path.c_str(), S_IFBLK | 0660, makedev(kLoopMajor, number)) != 0 &&
        errno != EEXIST) {
      return errno_error("create " + path, errno);
    }
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  }
  if (fd < 0) return errno_error("open " + path, errno);
  return fd;
}

// One line of a sysfs attribute of the block device `name` ("loop3"); empty when missing.
std::string sysfs_line(const std::string& name, const std::string& attribute) {
  std::ifstream in("/sys/block/" + name + "/" + attribute);
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return line;
}

std::uint64_t parse_number(const std::string& text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() ? value : 0;
}

std::string strip_deleted(std::string path) {
  constexpr std::string_view kDeleted = " (deleted)";
  if (path.ends_with(kDeleted)) path.resize(path.size() - kDeleted.size());
  return path;
}

}  // namespace

AttachedLoop::AttachedLoop(AttachedLoop&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

AttachedLoop::~AttachedLoop() {
  if (fd_ >= 0) ::close(fd_);
}

Result<AttachedLoop> attach_loop(const std::string& image, bool read_only) {
  int image_fd = ::open(image.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (image_fd < 0) return errno_error("open " + image, errno);
  int control = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (control < 0) {
    int err = errno;
    ::close(image_fd);
    return errno_error("open /dev/loop-control", err);
  }
  loop_config config;
  std::memset(&config, 0, sizeof(config));
  config.fd = static_cast<std::uint32_t>(image_fd);
  config.info.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0);
  std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(), LO_NAME_SIZE - 1);
  Error last = unavailable("no free loop device");
  for (int attempt = 0; attempt < kAttachAttempts; ++attempt) {
    int number = ::ioctl(control, LOOP_CTL_GET_FREE);
    if (number < 0) {
      last = errno_error("find a free loop device", errno);
      break;
    }
    std::string path;
    auto fd = open_loop(number, path);
    if (!fd.ok()) {
      last = fd.error();
      break;
    }
    if (::ioctl(*fd, LOOP_CONFIGURE, &config) == 0) {
      ::close(control);
      ::close(image_fd);  // the loop device holds its own reference
      return AttachedLoop(*fd, path);
    }
    int err = errno;
    ::close(*fd);
    last = errno_error("attach " + image + " to " + path, err);
    if (err != EBUSY) break;  // EBUSY: another process took it first; take the next one
  }
  ::close(control);
  ::close(image_fd);
  return last;
}

std::string loop_backing_file(const std::string& device) {
  std::string name = std::filesystem::path(device).filename();
  std::ifstream in("/sys/block/" + name + "/loop/backing_file");
  std::string path;
  if (!in || !std::getline(in, path)) return "";
  return strip_deleted(path);
}

Result<std::vector<std::string>> loops_holding(const std::string& image) {
  struct stat wanted {};
  bool have_inode = ::stat(image.c_str(), &wanted) == 0;
  std::error_code ec;
  auto canonical = std::filesystem::weakly_canonical(image, ec);
  const std::string image_path = ec ? image : canonical.string();
  std::vector<std::string> holders;
  auto entries = list_directory("/sys/block");
  if (!entries.ok()) return entries.error();
  for (const auto& name : *entries) {
    if (!name.starts_with("loop")) continue;
    std::string backing = loop_backing_file("/dev/" + name);
    if (backing.empty()) continue;
    struct stat held {};
    bool same =
        backing == image_path || (have_inode && ::stat(backing.c_str(), &held) == 0 &&
                                  held.st_dev == wanted.st_dev && held.st_ino == wanted.st_ino);
    if (same) holders.push_back("/dev/" + name);
  }
  return holders;
}

Result<StagedDevice> describe_loop(const std::string& device) {
  const std::string name = std::filesystem::path(device).filename();
  // diskseq read on both sides of the rest: if it moved, the device was detached or attached
  // meanwhile, and what was read in between may mix two attachments.
  for (int attempt = 0; attempt < 3; ++attempt) {
    StagedDevice described;
    described.path = device;
    described.diskseq = parse_number(sysfs_line(name, "diskseq"));
    const std::string numbers = sysfs_line(name, "dev");  // "7:3"
    const auto colon = numbers.find(':');
    if (colon == std::string::npos) return not_found(device + " is not a block device");
    described.rdev =
        makedev(parse_number(numbers.substr(0, colon)), parse_number(numbers.substr(colon + 1)));
    const std::string backing = loop_backing_file(device);
    if (backing.empty()) return not_found(device + " holds no file");
    struct stat st {};
    if (::stat(backing.c_str(), &st) != 0) return errno_error("stat " + backing, errno);
    described.backing_dev = st.st_dev;
    described.backing_ino = st.st_ino;
    if (parse_number(sysfs_line(name, "diskseq")) == described.diskseq) return described;
  }
  return unavailable(device + " keeps changing its attachment");
}

bool still_attached(const StagedDevice& device) {
  if (device.empty()) return false;
  auto now = describe_loop(device.path);
  return now.ok() && now->rdev == device.rdev && now->diskseq == device.diskseq &&
         now->backing_dev == device.backing_dev && now->backing_ino == device.backing_ino;
}

Status refresh_loop_capacity(const std::string& device) {
  int fd = ::open(device.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open " + device, errno);
  int rc = ::ioctl(fd, LOOP_SET_CAPACITY, 0);
  int err = errno;
  ::close(fd);
  if (rc != 0) return errno_error("resize " + device, err);
  return {};
}

}  // namespace berth
