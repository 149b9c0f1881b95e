// VolumeService: how the agent core reaches the node side of volumes (the NodeVolumeManager of
// storage/node) without blocking its loop. The live service (live_volume_service.h) runs every
// call in order, one at a time, on a worker thread; unit tests use a fake that answers when told.
//
// The core's rules, which this interface exists to keep: a task's claims are published only
// after its STARTING checkpoint and before its container starts; they are released only once its
// container has exited and been destroyed; recover() runs before the agent reports to the master.
//
// Threading: every method is called on the agent's event loop; `done` runs on it, never inside
// the call itself. mounted() and claimed_tasks() are the state after the last call that finished.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent/containerizer.h"
#include "api/volume_protocol.h"
#include "common/result.h"

namespace berth {

class VolumeService {
 public:
  virtual ~VolumeService() = default;

  // Loads the node's checkpoints and finishes whatever a crash interrupted.
  virtual void recover(std::function<void(Status)> done) = 0;

  // Stages and publishes every volume of the task, in order; on success the mounts for the
  // containerizer, one per volume. The error names the volume. After a failure the task may
  // hold some volumes already: the caller releases it.
  virtual void publish(const std::string& task_id, const std::vector<TaskVolume>& volumes,
                       const std::string& sandbox,
                       std::function<void(Result<std::vector<ContainerMount>>)> done) = 0;

  // Unpublishes the task's volumes and unstages those nobody else uses. Only for a task whose
  // processes are confirmed gone. Unknown tasks are fine.
  virtual void release(const std::string& task_id, std::function<void(Status)> done) = 0;

  // The lease ran out and every task using an external volume is gone: unmounts them all.
  virtual void fence_all_external(std::function<void(Status)> done) = 0;

  // Where the node's volume mounts live; tasks get it detached in their namespaces. Empty: none.
  virtual std::string mounts_root() const { return {}; }

  virtual std::vector<MountedVolume> mounted() const = 0;
  // The drivers it can attach volumes with, which the agent tells the master.
  virtual std::vector<std::string> drivers() const = 0;
  virtual std::vector<std::string> claimed_tasks() const = 0;
};

}  // namespace berth
