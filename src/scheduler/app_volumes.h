// AppVolumes: the volumes of Marathon apps' tasks, as the app scheduler asks the master's
// VolumeController for them. It turns an app's declared volumes into what one new task needs,
// narrows where that task may go, claims the volumes once the agent is chosen and releases them
// when the task ends.
//
//   external (DVDI)  container.volumes[i].external {name, provider "dvdi", size (GiB), shared,
//                    options {"dvdi/driver", "dvdi/newfstype", ...}}, or the DVDI_VOLUME_*
//                    environment of an app without container volumes: one named volume of the
//                    cluster, which goes wherever the task goes (one node at a time).
//   persistent       container.volumes[i].persistent {size (MiB)}: a local volume per instance,
//                    named "<app>.<containerPath>.<slot>", pinned to the agent of its first
//                    task. A resident app's new task takes the lowest slot no live task holds,
//                    so a replacement finds its predecessor's data and a scale-up after a
//                    scale-down gets the old volumes back (Marathon's reservations).
//
// Placement: a volume attached to an agent (or pinned to one) keeps its next task there: for a
// local volume that is where the data is; for an external one it saves a detach and an attach,
// and any other agent would be refused until the detach is over anyway. A volume being fenced
// is refused by the claim itself, with the time the fence ends.
//
// Deterministic core: it only calls the controller and hands the orders a release returns to
// `send_orders` (the live master delivers them to agents).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/volume_protocol.h"
#include "common/result.h"
#include "storage/volume_record.h"

namespace berth {
class VolumeController;
struct TaskRecord;
struct VolumeOrder;
namespace marathon {
struct AppDefinition;
}
}  // namespace berth

namespace berth::scheduler {

// One volume one new task needs.
struct VolumeNeed {
  VolumeSpec spec;  // name, driver (as the app names it), size, fs type, options, external
  VolumeAccess access = VolumeAccess::kSingleWriter;
  std::string container_path;
  bool read_only = false;
};

// Where the needs keep a task: the agent, and why (for the queue's message).
struct VolumePlacement {
  std::string agent_id;
  std::string reason;
};

// Whether tasks of `app` need volumes from the controller (external, persistent or DVDI_*).
bool uses_volumes(const marathon::AppDefinition& app);

// The name of the local volume of `app_id`'s instance `slot` at `container_path`.
std::string local_volume_name(const std::string& app_id, const std::string& container_path,
                              std::size_t slot);

// A local persistent volume a task holds: its name (Marathon's persistenceId, and what
// `berth volume` knows it by) and where the task sees it.
struct LocalVolumeRef {
  std::string container_path;
  std::string name;
};
// The local volumes a task was launched with, in the app's order: its claims, as they were
// persisted with the task (external volumes are not local, so not listed).
std::vector<LocalVolumeRef> local_volumes_of(const TaskRecord& task);

class AppVolumes {
 public:
  using OrderSink = std::function<void(const std::vector<VolumeOrder>&)>;

  AppVolumes(VolumeController& controller, OrderSink send_orders);

  // What a new task of `app` needs, given the app's live tasks (whose volumes hold their slots).
  // kInvalidArgument when the app's DVDI environment is malformed.
  Result<std::vector<VolumeNeed>> needs(const marathon::AppDefinition& app,
                                        const std::vector<const TaskRecord*>& live_tasks) const;
  // The drivers an agent must offer to attach the needs' volumes: an existing volume's own,
  // otherwise the one the need names (aliases resolved).
  std::set<std::string> drivers(const std::vector<VolumeNeed>& needs) const;
  // The one agent the needs' volumes keep the task on, if any.
  std::optional<VolumePlacement> placement(const std::vector<VolumeNeed>& needs) const;

  // Claims every need for `task_id` on `agent_id`; all or none: a refusal releases what this
  // call claimed. The error is the controller's (kUnavailable: wait; others: the app is wrong).
  Result<std::vector<TaskVolume>> claim(const std::string& task_id, const std::string& agent_id,
                                        const std::string& app_id,
                                        const std::vector<VolumeNeed>& needs);
  // The task ended (or was never launched): its claims go. Idempotent.
  void release(const std::string& task_id);
  // After a master restart: drops the claims of tasks `is_live` does not know (a launch that
  // was claimed for but never persisted, a task that ended while the master was down).
  void release_orphans(const std::function<bool(const std::string& task_id)>& is_live);

  // Wipes local volumes (Marathon's wipe=true, or the app was destroyed): each is deleted once
  // no task holds it and its agent has unmounted it; until then no new task gets it. The intent
  // is kept in memory only: a master that restarts before the delete keeps the volume (data is
  // never lost by a crash; the operator deletes it with `berth volume rm`).
  void wipe(const std::vector<std::string>& names);
  // Every local volume created for `app_id`.
  void wipe_app(const std::string& app_id);
  // Deletes the wiped volumes that are free now. Called on volume events and reconciles.
  void settle();
  bool is_wiping(const std::string& name) const { return wiping_.contains(name); }

 private:
  // The lowest instance slot of a resident app that no live task holds and none of whose
  // volumes is being wiped.
  std::size_t free_slot(const marathon::AppDefinition& app,
                        const std::vector<const TaskRecord*>& live_tasks) const;

  VolumeController& controller_;
  OrderSink send_orders_;
  std::set<std::string> wiping_;
};

}  // namespace berth::scheduler
