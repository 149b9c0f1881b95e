// NodeVolumeManager: the node side of volumes. It stages a volume once per node, publishes it
// once per task that uses it, and takes both away when the last task is gone, through the
// volume's NodeDriver. Deterministic: the drivers and the checkpoint store are injected, and it
// does no I/O of its own, so the same code runs live and in the simulator.
//
// Every driver call is guarded by a checkpoint, after Mesos' CSI VolumeState: the transitional
// state is written (and fsynced by the store) BEFORE the call, the stable state after it. A
// crash at any instant leaves a checkpoint that names the call to repeat, and every driver call
// is idempotent, so recover() finishes whatever was interrupted.
//
// Per volume (one checkpoint, <name>.json; [stable], (transitional)):
//
//   (none) --write STAGING--> driver.stage --write STAGED--> [STAGED] --+
//                                  |                            ^       | newer epoch or larger
//                              fails: undo                      +-------+ size: write STAGING,
//                              the claim                                  stage again (refused
//                                                                         when stale)
//   [STAGED], last claim gone --write UNSTAGING--> driver.unstage --remove checkpoint--> (none)
//
//   recover() with a new boot id: STAGING, STAGED, UNSTAGING --> [UNSTAGED] (nothing survived
//   the reboot; the checkpoint stays while claims remain, and the next publish stages again)
//   recover() with the same boot id, STAGED but driver.still_staged() false --> [UNSTAGED]:
//   the node came back in a new mount namespace on the same kernel (a test cluster's node,
//   `berth dev`), so the mount and the device the checkpoint names are gone or are another's
//
// Per task claim (inside its volume's checkpoint; the claims ARE the reference count):
//
//   (none) --write PUBLISHING--> driver.publish --write PUBLISHED--> [PUBLISHED]
//   [PUBLISHED] --release_task: write UNPUBLISHING--> driver.unpublish --erase claim--> (none)
//   recover() with a new boot id or its volume's mounts gone: PUBLISHING, PUBLISHED -->
//   [UNPUBLISHED]; UNPUBLISHING: erased
//
// The first claim is written with STAGING, in one checkpoint, so a volume is never staged
// without the task it is for on record. An UNPUBLISHING claim still counts: its bind mount may
// still be there, so the volume is not unstaged under it.
//
// Orphans: recover() never takes a volume away from a task. Claims of tasks that are gone stay
// until the agent, having recovered its containers, calls release_task() for each task it has
// confirmed dead (claimed_tasks() lists them all). Volumes with no claim left are unstaged.
//
// Fencing: when the master's lease runs out, the agent stops every task using an external
// volume, then calls fence_all_external(), which unpublishes and unstages them all.
//
// Paths (the manager computes them; the drivers create and remove them):
//
//   <mounts_root>/                     normally <work_dir>/volume_mounts
//     <volume>/staging                 where driver.stage mounts the volume
//     <volume>/tasks/<task_id>         one bind mount per task (the claim's source); the
//                                      containerizer binds it at the container path inside
//                                      the task's mount namespace
//
// Threading: not thread-safe. Driver calls block (mkfs, mount), so a live agent calls this from
// one volume worker thread, never from its event loop.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/volume_protocol.h"
#include "storage/node/node_driver.h"
#include "storage/node/node_volume_state.h"
#include "storage/node/volume_checkpoint_store.h"

namespace berth {

struct NodeVolumeManagerOptions {
  std::string mounts_root;
  std::string boot_id;  // of the running kernel (/proc/sys/kernel/random/boot_id)
};

// A published volume as the containerizer mounts it into a task.
struct TaskMount {
  std::string volume;
  std::string source;  // on the host
  std::string target;  // in the task's mount namespace, absolute
  bool read_only = false;

  bool operator==(const TaskMount&) const = default;
};

class NodeVolumeManager {
 public:
  NodeVolumeManager(NodeVolumeManagerOptions options, VolumeCheckpointStore& store,
                    std::vector<NodeDriver*> drivers);

  // Loads the checkpoints and repeats every interrupted call (see above). Keeps going past a
  // failed volume and returns the first failure; the failed volume stays in its transitional
  // state for release_task() or the next recover().
  Status recover();

  // Stages the volume if needed and publishes it for the task. `sandbox` is the task's sandbox
  // on the host; a relative container path lies inside it. Idempotent for the same arguments.
  // Refuses a stale epoch (kConflict) and a container path that escapes the sandbox or is
  // already used by another volume of the task (kInvalidArgument). After a failure the task
  // may hold other volumes already: the caller releases the task.
  Result<TaskMount> publish_for_task(const std::string& task_id, const TaskVolume& volume,
                                     const std::string& sandbox);

  // The task is gone: unpublishes its volumes and unstages those it was the last user of.
  // Call only once the task's processes are confirmed dead. Idempotent; unknown tasks are ok.
  Status release_task(const std::string& task_id);

  // The lease ran out and the tasks using external volumes are stopped: unpublishes and
  // unstages every external volume, whatever claims remain. Local volumes stay.
  Status fence_all_external();

  // What this node may hold, for the registration: every volume not known to be unmounted,
  // with the tasks whose claims may still be mounted.
  std::vector<MountedVolume> mounted() const;
  // Every task with a claim, for orphan detection after recovery.
  std::vector<std::string> claimed_tasks() const;
  const std::map<std::string, NodeVolume>& volumes() const { return volumes_; }
  // The names of the drivers it attaches volumes with, in name order.
  std::vector<std::string> driver_names() const;

 private:
  NodeDriver* driver_for(const std::string& name) const;
  std::string staging_path(const std::string& volume) const;
  std::string task_path(const std::string& volume, const std::string& task_id) const;
  Status persist(const NodeVolume& volume);
  // Stages `name` for `spec` with the claim of `task_id` on record (see the diagram).
  Status stage(const std::string& name, const VolumeSpec& spec, const std::string& task_id,
               const VolumeClaim& claim);
  // Unpublishes the claim of `task_id` and unstages the volume if it was the last one.
  Status drop_claim(const std::string& name, const std::string& task_id);
  // After a claim went away: unstages the volume when no claim may still be mounted.
  Status settle(const std::string& name);
  // Unstages; forgets the volume, or keeps it UNSTAGED while released claims remain.
  Status unstage(const std::string& name);
  // Nothing of the volume is mounted any more (a reboot, or a new mount namespace): what was
  // staged or published falls back to UNSTAGED / UNPUBLISHED, an interrupted unpublish is done.
  void forget_mounts(NodeVolume& volume) const;
  // Repeats the interrupted calls of one recovered volume.
  Status finish(const std::string& name);

  NodeVolumeManagerOptions options_;
  VolumeCheckpointStore& store_;
  std::map<std::string, NodeDriver*> drivers_;
  std::map<std::string, NodeVolume> volumes_;
};

}  // namespace berth
