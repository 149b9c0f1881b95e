// The last step of the supervisor's fence (supervisor.h): once a task that outlived its node's
// lease is killed and its volumes synced, their filesystems are shut down so that nothing on
// this node can write to them again, whoever holds the volume next.
//
// Why it is needed: the volume stays mounted in the agent's mount namespace (no agent is left to
// unmount it) until an agent starts on the node again, and by then another node may write the
// image. Killing the task stops the writer but not the filesystem: dirty metadata still in the
// block device's page cache is written back by the kernel's flusher (within ~30 s) or by the
// unmount, and ext4's lazy inode-table init thread writes on its own. FS_IOC_SHUTDOWN makes
// every later write of the filesystem fail with EIO, and stops those threads.
//
// Verified on Linux 6.18 with loop-mounted images (ext4 and xfs; filesystem_fence_test.cc):
// after syncfs + shutdown with FS_SHUTDOWN_FLAGS_LOGFLUSH, the later unmount writes no byte
// to the image and the journal replay at the next mount has every synced file. Without the
// syncfs, the commit that LOGFLUSH forces leaves dirty metadata blocks (superblock, group
// descriptors, bitmaps, inode table) in the device's page cache that the shutdown does not
// drop: syncfs now fails with EIO, and the unmount, or writeback, writes them out later.
// Hence the flush of the block device right after the shutdown, while the lease's margin lasts.
// A shutdown also stops ext4's lazy init: on an image with unzeroed inode tables it wrote 14
// times in the 2 s before the shutdown and never in the 4 s after (blockpool formats its images
// without lazy init anyway).
//
// Threading: any; blocking (it syncs).
#pragma once

#include <string>

#include "common/result.h"

namespace berth {

// Shuts down the filesystem mounted at `path` (any path inside it, e.g. a task's bind mount of
// it): FS_IOC_SHUTDOWN with FS_SHUTDOWN_FLAGS_LOGFLUSH, so that what was committed to the
// journal stays consistent, then a flush of its block device. Sync first (syncfs): data not yet
// in the journal is dropped by the shutdown. Shutting down an already shut-down filesystem
// succeeds. Filesystems without the ioctl (ext4, xfs and f2fs have it) fail with ENOTTY.
Status shut_down_filesystem(const std::string& path);

}  // namespace berth
