// The node's volume lifecycle: checkpoint, driver call, checkpoint, for every step.
#include "storage/node/node_volume_manager.h"

#include <algorithm>
#include <set>

#include "common/strings.h"

namespace berth {
namespace {

void keep_first(Status& first, const Status& next) {
  if (first.ok() && !next.ok()) first = next;
}

bool may_be_mounted(ClaimState state) { return state != ClaimState::kUnpublished; }

bool any_claim_mounted(const NodeVolume& volume) {
  return std::any_of(volume.claims.begin(), volume.claims.end(),
                     [](const auto& entry) { return may_be_mounted(entry.second.state); });
}

// Task ids become directory names under the volume's mount dir.
Status validate_task_id(const std::string& id) {
  if (id.empty() || id.size() > 255 || id == "." || id == ".." ||
      id.find_first_of(std::string("/\0", 2)) != std::string::npos) {
    return invalid_argument("task id '" + id + "' cannot name a mount directory");
  }
  return {};
}

// Where the task sees the volume: an absolute path as it is, a relative one inside the
// sandbox. "." and ".." are refused rather than resolved, so no path can climb out of the
// sandbox or onto "/" itself.
Result<std::string> resolve_container_path(const std::string& path, const std::string& sandbox) {
  if (path.empty()) return invalid_argument("container path is empty");
  if (path.find('\0') != std::string::npos) return invalid_argument("container path has NUL");
  std::string normal;
  for (auto piece : split(path, '/')) {
    if (piece.empty()) continue;
    if (piece == "." || piece == "..") {
      return invalid_argument("container path '" + path + "' contains . or ..");
    }
    normal += "/";
    normal += piece;
  }
  if (normal.empty()) return invalid_argument("container path '" + path + "' is the root");
  if (path.starts_with("/")) return normal;
  if (!sandbox.starts_with("/")) {
    return invalid_argument("relative container path '" + path + "' needs an absolute sandbox");
  }
  std::string base = sandbox;
  while (base.size() > 1 && base.ends_with("/")) base.pop_back();
  return base + normal;
}

}  // namespace

NodeVolumeManager::NodeVolumeManager(NodeVolumeManagerOptions options, VolumeCheckpointStore& store,
                                     std::vector<NodeDriver*> drivers)
    : options_(std::move(options)), store_(store) {
  for (NodeDriver* driver : drivers) drivers_[std::string(driver->name())] = driver;
}

std::vector<std::string> NodeVolumeManager::driver_names() const {
  std::vector<std::string> names;
  for (const auto& [name, driver] : drivers_) names.push_back(name);
  return names;
}

NodeDriver* NodeVolumeManager::driver_for(const std::string& name) const {
  auto it = drivers_.find(name);
  return it == drivers_.end() ? nullptr : it->second;
}

std::string NodeVolumeManager::staging_path(const std::string& volume) const {
  return options_.mounts_root + "/" + volume + "/staging";
}

std::string NodeVolumeManager::task_path(const std::string& volume,
                                         const std::string& task_id) const {
  return options_.mounts_root + "/" + volume + "/tasks/" + task_id;
}

Status NodeVolumeManager::persist(const NodeVolume& volume) {
  return store_.write(volume.spec.name, encode_node_volume(volume));
}

Result<TaskMount> NodeVolumeManager::publish_for_task(const std::string& task_id,
                                                      const TaskVolume& request,
                                                      const std::string& sandbox) {
  const VolumeSpec& spec = request.volume;
  const std::string context = "volume " + spec.name + " for task " + task_id;
  BERTH_RETURN_IF_ERROR(validate_volume_name(spec.name));
  if (auto valid = validate_task_id(task_id); !valid.ok()) return valid.error().context(context);
  NodeDriver* driver = driver_for(spec.driver);
  if (driver == nullptr) {
    return invalid_argument(context + ": volume driver '" + spec.driver +
                            "' is not available on this agent");
  }
  auto target = resolve_container_path(request.container_path, sandbox);
  if (!target.ok()) return target.error().context(context);
  for (const auto& [name, other] : volumes_) {
    auto claim = other.claims.find(task_id);
    if (name != spec.name && claim != other.claims.end() && claim->second.target == *target) {
      return invalid_argument(context + ": volume " + name + " is already mounted at " + *target);
    }
  }
  VolumeClaim claim{ClaimState::kPublishing, task_path(spec.name, task_id), *target,
                    request.read_only};
  TaskMount mount{spec.name, claim.source, claim.target, claim.read_only};

  bool needs_stage = true;
  if (auto it = volumes_.find(spec.name); it != volumes_.end()) {
    const NodeVolume& held = it->second;
    if (held.spec.driver != spec.driver || held.spec.fs_type != spec.fs_type ||
        held.spec.external != spec.external) {
      return conflict(context + ": this node holds it with driver " + held.spec.driver + " and " +
                      held.spec.fs_type + "; the request says " + spec.driver + " and " +
                      spec.fs_type);
    }
    if (spec.epoch < held.spec.epoch) {
      return conflict(context + ": epoch " + std::to_string(spec.epoch) +
                      " is stale; this node already mounts it with epoch " +
                      std::to_string(held.spec.epoch));
    }
    needs_stage = held.state != StageState::kStaged || spec.epoch > held.spec.epoch ||
                  spec.size_mib > held.spec.size_mib;
    if (auto existing = held.claims.find(task_id); existing != held.claims.end()) {
      if (existing->second.target != claim.target ||
          existing->second.read_only != claim.read_only) {
        return invalid_argument(context + ": the task has it at " + existing->second.target +
                                " already");
      }
      if (!needs_stage && existing->second.state == ClaimState::kPublished) return mount;
    }
  }

  if (needs_stage) {
    auto staged = stage(spec.name, spec, task_id, claim);
    if (!staged.ok()) return staged.error().context(context);
  } else {
    NodeVolume& volume = volumes_.at(spec.name);
    NodeVolume next = volume;
    next.claims[task_id] = claim;
    if (auto written = persist(next); !written.ok()) return written.error().context(context);
    volume = std::move(next);
  }

  NodeVolume& volume = volumes_.at(spec.name);
  auto published =
      driver->publish(volume.spec, staging_path(spec.name), claim.source, claim.read_only);
  if (!published.ok()) {
    // Best effort: what stays on record is undone by release_task or the next recover().
    auto dropped = drop_claim(spec.name, task_id);
    (void)dropped.ok();
    return published.error().context(context);
  }
  volume.claims.at(task_id).state = ClaimState::kPublished;
  if (auto written = persist(volume); !written.ok()) return written.error().context(context);
  return mount;
}

Status NodeVolumeManager::stage(const std::string& name, const VolumeSpec& spec,
                                const std::string& task_id, const VolumeClaim& claim) {
  std::optional<NodeVolume> previous;
  if (auto it = volumes_.find(name); it != volumes_.end()) previous = it->second;
  NodeVolume next = previous.value_or(NodeVolume{});
  next.spec = spec;
  next.state = StageState::kStaging;
  next.boot_id = options_.boot_id;
  next.claims[task_id] = claim;
  BERTH_RETURN_IF_ERROR(persist(next));
  volumes_[name] = next;

  auto staged = driver_for(spec.driver)->stage(spec, staging_path(name));
  if (!staged.ok()) {
    if (previous && previous->state == StageState::kStaged) {
      // A failed re-stage leaves the existing mount alone (NodeDriver's contract): the volume
      // is as it was, at its old epoch.
      volumes_[name] = *previous;
      auto restored = persist(*previous);
      (void)restored.ok();  // if lost, recover() repeats the stage, which fails the same way
      return staged.error();
    }
    volumes_.at(name).claims.erase(task_id);
    auto settled = settle(name);
    (void)settled.ok();  // left on record in a transitional state for the next attempt
    return staged.error();
  }
  NodeVolume& volume = volumes_.at(name);
  volume.state = StageState::kStaged;
  volume.device = *staged;
  return persist(volume);
}

Status NodeVolumeManager::drop_claim(const std::string& name, const std::string& task_id) {
  NodeVolume& volume = volumes_.at(name);
  auto claim = volume.claims.find(task_id);
  if (claim == volume.claims.end()) return {};
  NodeDriver* driver = driver_for(volume.spec.driver);
  if (driver == nullptr) {
    return internal_error("volume driver '" + volume.spec.driver + "' is not configured");
  }
  // Even an UNPUBLISHED claim goes through unpublish: its directory is left from before a
  // reboot, and unpublishing an unmounted path only removes it.
  claim->second.state = ClaimState::kUnpublishing;
  BERTH_RETURN_IF_ERROR(persist(volume));
  BERTH_RETURN_IF_ERROR(driver->unpublish(volume.spec, claim->second.source));
  volume.claims.erase(claim);
  return settle(name);
}

Status NodeVolumeManager::settle(const std::string& name) {
  NodeVolume& volume = volumes_.at(name);
  if (volume.claims.empty() ||
      (volume.state != StageState::kUnstaged && !any_claim_mounted(volume))) {
    return unstage(name);
  }
  return persist(volume);
}

Status NodeVolumeManager::unstage(const std::string& name) {
  NodeVolume& volume = volumes_.at(name);
  NodeDriver* driver = driver_for(volume.spec.driver);
  if (driver == nullptr) {
    return internal_error("volume driver '" + volume.spec.driver + "' is not configured");
  }
  volume.state = StageState::kUnstaging;
  BERTH_RETURN_IF_ERROR(persist(volume));
  BERTH_RETURN_IF_ERROR(driver->unstage(volume.spec, staging_path(name), volume.device));
  if (volume.claims.empty()) {
    BERTH_RETURN_IF_ERROR(store_.remove(name));
    volumes_.erase(name);
    return {};
  }
  volume.state = StageState::kUnstaged;
  volume.device = {};
  return persist(volume);
}

Status NodeVolumeManager::release_task(const std::string& task_id) {
  Status first;
  std::vector<std::string> names;
  for (const auto& [name, volume] : volumes_) {
    if (volume.claims.contains(task_id)) names.push_back(name);
  }
  for (const auto& name : names) {
    auto dropped = drop_claim(name, task_id);
    if (!dropped.ok()) {
      keep_first(first, dropped.error().context("release volume " + name + " of task " + task_id));
    }
  }
  return first;
}

Status NodeVolumeManager::fence_all_external() {
  Status first;
  std::vector<std::string> names;
  for (const auto& [name, volume] : volumes_) {
    if (volume.spec.external) names.push_back(name);
  }
  for (const auto& name : names) {
    Status result;
    while (result.ok() && volumes_.contains(name) && !volumes_.at(name).claims.empty()) {
      result = drop_claim(name, volumes_.at(name).claims.begin()->first);
    }
    if (result.ok() && volumes_.contains(name)) result = unstage(name);
    if (!result.ok()) keep_first(first, result.error().context("fence volume " + name));
  }
  return first;
}

Status NodeVolumeManager::recover() {
  volumes_.clear();
  auto names = store_.list();
  if (!names.ok()) return names.error().context("recover volumes");
  Status first;
  for (const auto& name : *names) {
    auto text = store_.read(name);
    if (!text.ok() || !text->has_value()) {
      keep_first(first, internal_error("volume checkpoint " + name + " cannot be read"));
      continue;
    }
    auto volume = decode_node_volume(**text);
    if (!volume.ok() || volume->spec.name != name) {
      // Left on disk for an operator: nobody knows what is mounted for it.
      keep_first(first, internal_error("volume checkpoint " + name + " is not valid"));
      continue;
    }
    bool mounts_gone = volume->boot_id != options_.boot_id;  // none survives a reboot
    NodeDriver* driver = driver_for(volume->spec.driver);
    if (!mounts_gone && volume->state == StageState::kStaged && driver != nullptr) {
      // Nor a node's mount namespace: a node that comes back on the same kernel (several agents
      // share one in test clusters and `berth dev`) finds its checkpoint and nothing of what it
      // names. Believing it would report a mount that is not there, and its unstage would wait
      // on another node's loop device.
      auto staged = driver->still_staged(volume->spec, staging_path(name), volume->device);
      if (!staged.ok()) keep_first(first, staged.error().context("recover volume " + name));
      mounts_gone = staged.ok() && !*staged;
    }
    if (mounts_gone) {
      forget_mounts(*volume);
      if (auto written = persist(*volume); !written.ok()) keep_first(first, written);
    }
    volumes_.emplace(name, std::move(volume).value());
  }
  for (const auto& [name, volume] : std::map<std::string, NodeVolume>(volumes_)) {
    auto finished = finish(name);
    if (!finished.ok()) keep_first(first, finished.error().context("recover volume " + name));
  }
  return first;
}

void NodeVolumeManager::forget_mounts(NodeVolume& volume) const {
  volume.state = StageState::kUnstaged;
  volume.boot_id = options_.boot_id;
  volume.device = {};
  for (auto it = volume.claims.begin(); it != volume.claims.end();) {
    if (it->second.state == ClaimState::kUnpublishing) {
      it = volume.claims.erase(it);
    } else {
      it->second.state = ClaimState::kUnpublished;
      ++it;
    }
  }
}

Status NodeVolumeManager::finish(const std::string& name) {
  NodeVolume& volume = volumes_.at(name);
  NodeDriver* driver = driver_for(volume.spec.driver);
  if (driver == nullptr) {
    return internal_error("volume driver '" + volume.spec.driver +
                          "' is not configured on this agent");
  }
  if (volume.state == StageState::kUnstaging) return unstage(name);
  if (volume.state == StageState::kStaging) {
    auto staged = driver->stage(volume.spec, staging_path(name));
    if (!staged.ok()) return staged.error();
    volume.state = StageState::kStaged;
    volume.device = *staged;
    BERTH_RETURN_IF_ERROR(persist(volume));
  }
  std::vector<std::pair<std::string, ClaimState>> claims;
  for (const auto& [task_id, claim] : volume.claims) claims.emplace_back(task_id, claim.state);
  for (const auto& [task_id, state] : claims) {
    if (state == ClaimState::kPublishing) {
      VolumeClaim& claim = volume.claims.at(task_id);
      BERTH_RETURN_IF_ERROR(
          driver->publish(volume.spec, staging_path(name), claim.source, claim.read_only));
      claim.state = ClaimState::kPublished;
      BERTH_RETURN_IF_ERROR(persist(volume));
    } else if (state == ClaimState::kUnpublishing) {
      BERTH_RETURN_IF_ERROR(drop_claim(name, task_id));
      if (!volumes_.contains(name)) return {};
    }
  }
  // A crash between the last unpublish and UNSTAGING leaves a staged volume nobody uses.
  const NodeVolume& now = volumes_.at(name);
  if ((now.state == StageState::kStaged && !any_claim_mounted(now)) ||
      (now.state == StageState::kUnstaged && now.claims.empty())) {
    return unstage(name);
  }
  return {};
}

std::vector<MountedVolume> NodeVolumeManager::mounted() const {
  std::vector<MountedVolume> result;
  for (const auto& [name, volume] : volumes_) {
    if (volume.state == StageState::kUnstaged) continue;
    MountedVolume entry{name, volume.spec.epoch, {}};
    for (const auto& [task_id, claim] : volume.claims) {
      if (may_be_mounted(claim.state)) entry.task_ids.push_back(task_id);
    }
    result.push_back(std::move(entry));
  }
  return result;
}

std::vector<std::string> NodeVolumeManager::claimed_tasks() const {
  std::set<std::string> tasks;
  for (const auto& [name, volume] : volumes_) {
    for (const auto& [task_id, claim] : volume.claims) tasks.insert(task_id);
  }
  return {tasks.begin(), tasks.end()};
}

}  // namespace berth
