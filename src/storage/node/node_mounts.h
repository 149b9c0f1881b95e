// The mount operations both built-in drivers share, on this process's mount namespace: what is
// mounted where (from /proc/self/mountinfo), bind mounts, unmounts that report a busy mount
// instead of hiding it (never MNT_DETACH: a lazily detached filesystem would keep its loop
// device and its writer alive unseen), and the mount root's propagation.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "storage/node/node_driver.h"

namespace berth {

// The source device or path of the mount at exactly `path` ("/dev/loop3"), or nullopt when
// `path` is not a mount point. Symlinks in `path` are resolved first.
Result<std::optional<std::string>> mount_source(const std::string& path);

// Every mount point in this namespace whose source is `source` (a device), resolved paths.
Result<std::vector<std::string>> mount_points_of(const std::string& source);
// `path` with its symlinks resolved (as mountinfo shows it), or as it is when that fails. The last
// component is not stat()ed unless it is a symlink: it may be the root of a shut-down filesystem.
std::string resolved_path(const std::string& path);

// Bind-mounts `source` at `target` (created if missing), read-only if asked. Already mounted
// there: succeeds without mounting again.
Status bind_mount(const std::string& source, const std::string& target, bool read_only);

// Unmounts `path` if it is a mount point; kUnavailable while it is busy.
Status unmount(const std::string& path);

// Removes the empty directory `path`, then up to `parents` of its parents that are empty too.
// A missing directory is fine; a non-empty one is left.
Status remove_mount_dir(const std::string& path, int parents);

// Makes `root` a private mount of itself (once), so that the mounts Berth makes below it never
// propagate into other mount namespaces, where a copy would keep a volume's loop device busy
// after Berth unmounted it. Task namespaces still get their copies when they are created.
Status make_private_mount_root(const std::string& root);

// publish and unpublish of every built-in driver: a bind mount of the staged volume at the
// task's target, and its removal (with the target directory and its empty parents).
Status publish_bind(const std::string& volume, const std::string& staging_path,
                    const std::string& target_path, bool read_only);
Status unpublish_bind(const std::string& volume, const std::string& target_path);
// statvfs of a mounted volume.
Result<VolumeStats> filesystem_stats(const std::string& volume, const std::string& path);

}  // namespace berth
