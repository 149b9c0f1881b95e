#include "scheduler/app_volumes.h"

#include <algorithm>
#include <cctype>

#include "api/dvdi_env.h"
#include "marathon/app_definition.h"
#include "master/task_record.h"
#include "storage/volume_controller.h"

namespace berth::scheduler {
namespace {

constexpr char kDvdiPrefix[] = "dvdi/";
constexpr std::int64_t kMiBPerGiB = 1024;

// Volume names are file names on every node: letters go lower-case, '.' and '-' stay, '/'
// becomes '_' and anything else '-'.
std::string name_part(const std::string& text) {
  std::string part;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      part += static_cast<char>(std::tolower(u));
    } else {
      part += c == '/' ? '_' : (c == '.' || c == '-' ? c : '-');
    }
  }
  return part;
}

VolumeNeed external_need(const marathon::Volume& volume) {
  const marathon::ExternalVolume& external = *volume.external;
  VolumeNeed need;
  need.spec.name = external.name;
  need.spec.external = true;
  need.spec.fs_type.clear();  // the controller's default unless the app names one
  if (external.size) need.spec.size_mib = *external.size * kMiBPerGiB;
  for (const auto& [key, value] : external.options) {
    std::string option = key.rfind(kDvdiPrefix, 0) == 0 ? key.substr(5) : key;
    if (option == "driver") {
      need.spec.driver = value;
    } else if (option == "newfstype") {
      need.spec.fs_type = value;
    } else {
      need.spec.options[option] = value;
    }
  }
  need.access = external.shared ? VolumeAccess::kShared : VolumeAccess::kSingleWriter;
  need.container_path = volume.container_path;
  need.read_only = volume.mode == "RO";
  return need;
}

VolumeNeed local_need(const marathon::AppDefinition& app, const marathon::Volume& volume,
                      std::size_t slot) {
  VolumeNeed need;
  need.spec.name = local_volume_name(app.id, volume.container_path, slot);
  need.spec.driver = "local";
  need.spec.external = false;
  need.spec.fs_type.clear();
  need.spec.size_mib = volume.persistent->size;
  need.container_path = volume.container_path;
  need.read_only = volume.mode == "RO";
  return need;
}

}  // namespace

bool uses_volumes(const marathon::AppDefinition& app) {
  if (app.has_external_volumes() || app.has_persistent_volumes()) return true;
  if (app.container && !app.container->volumes.empty()) return false;
  return std::any_of(app.env.begin(), app.env.end(), [](const auto& entry) {
    return entry.first.rfind("DVDI_VOLUME_NAME", 0) == 0;
  });
}

std::string local_volume_name(const std::string& app_id, const std::string& container_path,
                              std::size_t slot) {
  std::string app = app_id.substr(std::min(app_id.find_first_not_of('/'), app_id.size()));
  std::string suffix = "." + name_part(container_path) + "." + std::to_string(slot);
  // Names are at most kMaxVolumeNameLength; a long app id gives way to the path and slot.
  std::size_t room =
      kMaxVolumeNameLength > suffix.size() ? kMaxVolumeNameLength - suffix.size() : 0;
  return name_part(app.substr(0, room)) + suffix;
}

std::vector<LocalVolumeRef> local_volumes_of(const TaskRecord& task) {
  std::vector<LocalVolumeRef> local;
  for (const TaskVolume& volume : task.spec.volumes) {
    if (!volume.volume.external) local.push_back({volume.container_path, volume.volume.name});
  }
  return local;
}

AppVolumes::AppVolumes(VolumeController& controller, OrderSink send_orders)
    : controller_(controller), send_orders_(std::move(send_orders)) {}

Result<std::vector<VolumeNeed>> AppVolumes::needs(
    const marathon::AppDefinition& app, const std::vector<const TaskRecord*>& live_tasks) const {
  std::vector<VolumeNeed> needs;
  if (!app.container || app.container->volumes.empty()) {
    // mesos-module-dvdi's interface: volumes named by the environment.
    auto dvdi = task_volumes_from_dvdi_env(app.env);
    if (!dvdi.ok()) return dvdi.error().context("the app's DVDI_VOLUME_* environment");
    for (TaskVolume& volume : *dvdi) {
      VolumeNeed need;
      need.spec = std::move(volume.volume);
      need.container_path = std::move(volume.container_path);
      need.read_only = volume.read_only;
      needs.push_back(std::move(need));
    }
    return needs;
  }
  std::optional<std::size_t> slot;
  for (const marathon::Volume& volume : app.container->volumes) {
    if (volume.external && volume.external->provider == "dvdi") {
      needs.push_back(external_need(volume));
    } else if (volume.persistent) {
      if (!slot) slot = free_slot(app, live_tasks);
      needs.push_back(local_need(app, volume, *slot));
    }
    // Host paths need nothing from the controller; CSI volumes are not supported yet (the app
    // validation says so).
  }
  return needs;
}

std::size_t AppVolumes::free_slot(const marathon::AppDefinition& app,
                                  const std::vector<const TaskRecord*>& live_tasks) const {
  std::set<std::string> held;
  for (const TaskRecord* task : live_tasks) {
    for (const TaskVolume& used : task->spec.volumes) held.insert(used.volume.name);
  }
  // A slot is one volume per persistent path: it is free when none of them is held or wiped.
  auto taken = [&](std::size_t slot) {
    return std::any_of(app.container->volumes.begin(), app.container->volumes.end(),
                       [&](const marathon::Volume& volume) {
                         if (!volume.persistent) return false;
                         std::string name = local_volume_name(app.id, volume.container_path, slot);
                         return held.contains(name) || is_wiping(name);
                       });
  };
  std::size_t slot = 0;
  while (taken(slot)) ++slot;
  return slot;
}

std::set<std::string> AppVolumes::drivers(const std::vector<VolumeNeed>& needs) const {
  std::set<std::string> drivers;
  for (const VolumeNeed& need : needs) {
    const VolumeRecord* volume = controller_.find(need.spec.name);
    drivers.insert(volume != nullptr ? volume->driver
                                     : controller_.resolve_driver(need.spec.driver));
  }
  return drivers;
}

std::optional<VolumePlacement> AppVolumes::placement(const std::vector<VolumeNeed>& needs) const {
  for (const VolumeNeed& need : needs) {
    const VolumeRecord* volume = controller_.find(need.spec.name);
    if (volume == nullptr) continue;
    if (volume->kind == VolumeKind::kLocal && !volume->pinned_agent.empty()) {
      return VolumePlacement{volume->pinned_agent, "local volume '" + volume->name +
                                                       "' lives on agent " + volume->pinned_agent};
    }
    if (volume->attachment && volume->state != VolumeState::kFencing) {
      return VolumePlacement{
          volume->attachment->agent_id,
          "volume '" + volume->name + "' is attached to agent " + volume->attachment->agent_id};
    }
  }
  return std::nullopt;
}

Result<std::vector<TaskVolume>> AppVolumes::claim(const std::string& task_id,
                                                  const std::string& agent_id,
                                                  const std::string& app_id,
                                                  const std::vector<VolumeNeed>& needs) {
  std::vector<TaskVolume> claimed;
  for (const VolumeNeed& need : needs) {
    if (is_wiping(need.spec.name)) {
      release(task_id);
      return unavailable("volume '" + need.spec.name + "' is being wiped");
    }
    auto spec = controller_.claim_for_launch({task_id, agent_id, app_id, need.spec, need.access});
    if (!spec.ok()) {
      release(task_id);
      return spec.error();
    }
    claimed.push_back(TaskVolume{std::move(*spec), need.container_path, need.read_only});
  }
  return claimed;
}

void AppVolumes::release(const std::string& task_id) {
  auto orders = controller_.release(task_id);
  // A failed release (the store refused the commit) leaves the claim in place; the orphan sweep
  // after a restart, or the next release of the same task, tries again.
  if (orders.ok() && !orders->empty()) send_orders_(*orders);
}

void AppVolumes::release_orphans(const std::function<bool(const std::string&)>& is_live) {
  std::set<std::string> orphans;
  for (const VolumeRecord& volume : controller_.list()) {
    for (const std::string& task_id : volume.claims) {
      if (!is_live(task_id)) orphans.insert(task_id);
    }
  }
  for (const std::string& task_id : orphans) release(task_id);
}

void AppVolumes::wipe(const std::vector<std::string>& names) {
  wiping_.insert(names.begin(), names.end());
  settle();
}

void AppVolumes::wipe_app(const std::string& app_id) {
  std::vector<std::string> names;
  for (const VolumeRecord& volume : controller_.list()) {
    if (volume.kind == VolumeKind::kLocal && volume.app_id == app_id) names.push_back(volume.name);
  }
  wipe(names);
}

void AppVolumes::settle() {
  for (auto it = wiping_.begin(); it != wiping_.end();) {
    const VolumeRecord* volume = controller_.find(*it);
    if (volume == nullptr) {
      it = wiping_.erase(it);
      continue;
    }
    if (volume->state == VolumeState::kAvailable && volume->claims.empty()) {
      // A failure is shown on the volume (lastError); the volume stays in the set and is tried
      // again at the next settle.
      (void)controller_.remove(*it);
    }
    ++it;
  }
}

}  // namespace berth::scheduler
