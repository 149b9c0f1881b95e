// Loop devices for blockpool images: attached with autoclear, so that the device goes away by
// itself when the last mount of it does, and found by their backing file, so that an image
// still held on this node is never attached a second time.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "storage/node/node_driver.h"

namespace berth {

// A loop device attached to an image, held open by this object. With autoclear set, closing
// it before anything mounted the device detaches it again; after a mount, the mount keeps it.
class AttachedLoop {
 public:
  AttachedLoop(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  AttachedLoop(AttachedLoop&& other) noexcept;
  AttachedLoop& operator=(AttachedLoop&&) = delete;
  AttachedLoop(const AttachedLoop&) = delete;
  ~AttachedLoop();
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

// Attaches `image` to a free loop device (LOOP_CTL_GET_FREE + LOOP_CONFIGURE, retried when
// another process takes the same device first).
Result<AttachedLoop> attach_loop(const std::string& image, bool read_only);

// The loop devices ("/dev/loop3") whose backing file is `image` (by path or by inode).
Result<std::vector<std::string>> loops_holding(const std::string& image);

// The backing file of a loop device, e.g. for "/dev/loop3"; empty when it is not a loop
// device or is detached.
std::string loop_backing_file(const std::string& device);

// Which attachment `device` holds now, from sysfs and a stat of its backing file (nothing is
// opened on the device: it may be another node's). kNotFound when it holds no file.
Result<StagedDevice> describe_loop(const std::string& device);

// Whether `device` is still that very attachment: same device, same diskseq (when known), same
// backing inode. False once it was detached, or attached again by anyone.
bool still_attached(const StagedDevice& device);

// Tells the loop device that its backing file grew (LOOP_SET_CAPACITY).
Status refresh_loop_capacity(const std::string& device);

}  // namespace berth
