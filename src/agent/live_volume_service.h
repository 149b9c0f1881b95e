// LiveVolumeService: the VolumeService of a live agent. It builds the node side of volumes as
// storage/node/README.md asks (FileVolumeCheckpointStore, a private mount root, the boot id, the
// local and blockpool drivers) and runs the NodeVolumeManager's blocking calls one at a time, in
// the order they were asked for, on the event loop's worker pool; results come back on the loop.
//
// Under the agent's work dir:
//
//   <work_dir>/
//     meta/volumes/<volume>.json      the manager's checkpoints (volume_checkpoint_store.h)
//     volume_mounts/                  a private mount: staging and per-task bind mounts
//       <volume>/staging, <volume>/tasks/<task_id>
//     volumes/<volume>                local persistent volumes (local_driver.h)
//
// Without a pool directory the blockpool driver is not offered, and a task that names a
// blockpool volume fails with the manager's "unknown driver" message.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "agent/volume_service.h"

namespace berth {

struct LiveVolumeOptions {
  std::string work_dir;
  std::string pool_dir;  // --volume_pool; empty: no blockpool volumes on this agent
  std::string boot_id;
};

class LiveVolumeService final : public VolumeService {
 public:
  // `run_blocking(work, done)` runs `work` on a worker thread and then `done` on the loop
  // (EventLoop::run_blocking).
  using RunBlocking = std::function<void(std::function<void()>, std::function<void()>)>;

  LiveVolumeService(RunBlocking run_blocking, LiveVolumeOptions options);
  ~LiveVolumeService() override;

  // Creates the directories and makes the mount root private. Blocking; call once at startup.
  Status init();

  void recover(std::function<void(Status)> done) override;
  void publish(const std::string& task_id, const std::vector<TaskVolume>& volumes,
               const std::string& sandbox,
               std::function<void(Result<std::vector<ContainerMount>>)> done) override;
  void release(const std::string& task_id, std::function<void(Status)> done) override;
  void fence_all_external(std::function<void(Status)> done) override;
  std::string mounts_root() const override;
  std::vector<MountedVolume> mounted() const override;
  std::vector<std::string> drivers() const override;
  std::vector<std::string> claimed_tasks() const override;

  // At exit with --cleanup_on_exit (berth dev), after every container is destroyed: releases
  // every task's volumes and unmounts the mounts root, so that nothing stays mounted. Blocking,
  // for when the loop no longer runs; refuses while a worker job still holds the node.
  Status release_all_and_unmount_root();
  // At any other exit: unmounts the mounts root when no volume is staged under it (the next
  // agent makes it again). Blocking.
  Status unmount_root_if_unused();

  struct Node;  // the manager, its store and drivers; used by one worker job at a time

 private:
  // Queues `work` (run on a worker with the node, after every job queued before it); `done` runs
  // on the loop afterwards, with the node's new view copied in.
  void submit(std::function<void(Node&)> work, std::function<void()> done);
  struct State;
  static void run_next(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
};

}  // namespace berth
