// Mounts via mount(2) and /proc/self/mountinfo.
#include "storage/node/node_mounts.h"

#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"

namespace berth {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& field) {
  std::string text;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      int value = 0;
      bool octal = true;
      for (std::size_t j = 1; j <= 3; ++j) {
        char c = field[i + j];
        octal = octal && c >= '0' && c <= '7';
        value = value * 8 + (c - '0');
      }
      if (octal) {
        text += static_cast<char>(value);
        i += 3;
        continue;
      }
    }
    text += field[i];
  }
  return text;
}

struct MountEntry {
  std::string point;
  std::string source;
};

Result<std::vector<MountEntry>> read_mountinfo() {
  std::ifstream in("/proc/self/mountinfo");
  if (!in) return errno_error("open /proc/self/mountinfo", errno);
  std::vector<MountEntry> entries;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point, field;
    fields >> id >> parent >> devno >> root >> mount_point;
    while (fields >> field && field != "-") {
    }
    std::string fs_type, device;
    fields >> fs_type >> device;
    entries.push_back({unescape(mount_point), unescape(device)});
  }
  return entries;
}

}  // namespace

std::string resolved_path(const std::string& path) {
  // The parent's symlinks, and the last component only if it is one: `path` is usually a mount
  // point, and the root of a shut-down xfs answers EIO to every stat (the supervisor's fence),
  // so following it to the end would fail and leave a path that mountinfo does not list.
  const std::filesystem::path normal = std::filesystem::path(path).lexically_normal();
  std::error_code ec;
  if (!normal.has_filename() || std::filesystem::is_symlink(normal, ec)) {
    auto canonical = std::filesystem::weakly_canonical(normal, ec);
    return ec ? path : canonical.string();
  }
  auto parent = std::filesystem::weakly_canonical(normal.parent_path(), ec);
  return ec ? path : (parent / normal.filename()).string();
}

Result<std::vector<std::string>> mount_points_of(const std::string& source) {
  auto entries = read_mountinfo();
  if (!entries.ok()) return entries.error();
  std::vector<std::string> points;
  for (const auto& entry : *entries) {
    if (entry.source == source) points.push_back(entry.point);
  }
  return points;
}

Result<std::optional<std::string>> mount_source(const std::string& path) {
  const std::string wanted = resolved_path(path);
  auto entries = read_mountinfo();
  if (!entries.ok()) return entries.error();
  std::optional<std::string> source;
  // The last entry wins: a later mount on the same point hides the earlier ones.
  for (const auto& entry : *entries) {
    if (entry.point == wanted) source = entry.source;
  }
  return source;
}

Status bind_mount(const std::string& source, const std::string& target, bool read_only) {
  auto existing = mount_source(target);
  if (!existing.ok()) return existing.error();
  if (existing->has_value()) return {};
  BERTH_RETURN_IF_ERROR(make_directories(target));
  if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return errno_error("bind " + source + " at " + target, errno);
  }
  if (read_only && ::mount(nullptr, target.c_str(), nullptr,
                           MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) != 0) {
    int err = errno;
    ::umount2(target.c_str(), 0);
    return errno_error("make " + target + " read-only", err);
  }
  return {};
}

Status unmount(const std::string& path) {
  auto existing = mount_source(path);
  if (!existing.ok()) return existing.error();
  if (!existing->has_value()) return {};
  if (::umount2(path.c_str(), UMOUNT_NOFOLLOW) != 0) {
    int err = errno;
    if (err == EINVAL || err == ENOENT) return {};  // gone meanwhile
    if (err == EBUSY) {
      return unavailable("unmount " + path + ": busy (a process still uses it)");
    }
    return errno_error("unmount " + path, err);
  }
  return {};
}

Status remove_mount_dir(const std::string& path, int parents) {
  std::filesystem::path dir(path);
  for (int level = 0; level <= parents && !dir.empty(); ++level) {
    if (::rmdir(dir.c_str()) != 0) {
      if (errno == ENOENT) {
        dir = dir.parent_path();
        continue;
      }
      if (errno == ENOTEMPTY || errno == EEXIST || errno == EBUSY) return {};
      return errno_error("remove " + dir.string(), errno);
    }
    dir = dir.parent_path();
  }
  return {};
}

Status make_private_mount_root(const std::string& root) {
  BERTH_RETURN_IF_ERROR(make_directories(root));
  auto existing = mount_source(root);
  if (!existing.ok()) return existing.error();
  if (!existing->has_value() &&
      ::mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return errno_error("bind " + root + " onto itself", errno);
  }
  if (::mount(nullptr, root.c_str(), nullptr, MS_PRIVATE | MS_REC, nullptr) != 0) {
    return errno_error("make " + root + " a private mount", errno);
  }
  return {};
}

Status publish_bind(const std::string& volume, const std::string& staging_path,
                    const std::string& target_path, bool read_only) {
  auto staged = mount_source(staging_path);
  if (!staged.ok()) return staged.error();
  if (!staged->has_value()) {
    return internal_error("publish volume " + volume + ": it is not staged at " + staging_path);
  }
  auto bound = bind_mount(staging_path, target_path, read_only);
  if (!bound.ok()) return bound.error().context("publish volume " + volume);
  return {};
}

Status unpublish_bind(const std::string& volume, const std::string& target_path) {
  auto unmounted = unmount(target_path);
  if (!unmounted.ok()) return unmounted.error().context("unpublish volume " + volume);
  // <root>/<volume>/tasks/<task>: the task's dir, then tasks/ and <volume>/ once empty.
  return remove_mount_dir(target_path, 2);
}

Result<VolumeStats> filesystem_stats(const std::string& volume, const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) {
    return errno_error("stats of volume " + volume + " at " + path, errno);
  }
  VolumeStats stats;
  stats.total_bytes = static_cast<std::uint64_t>(fs.f_blocks) * fs.f_frsize;
  stats.available_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  stats.used_bytes = static_cast<std::uint64_t>(fs.f_blocks - fs.f_bfree) * fs.f_frsize;
  stats.total_inodes = fs.f_files;
  stats.used_inodes = fs.f_files - fs.f_ffree;
  return stats;
}

}  // namespace berth
