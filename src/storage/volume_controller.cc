// VolumeController: persistence, creation and deletion (with their provisioners), claims and
// releases, deadlines and recovery. What agents report and fencing are in volume_fencing.cc.
//
// Every change is built as a Batch of whole records, committed in one StateStore commit, and
// only then applied in memory, timers re-armed and events published: a failed commit leaves the
// controller as it was, and a crash after it loses nothing.
#include "storage/volume_controller.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>

#include "common/time_format.h"
#include "state/state_store.h"
#include "storage/volume_text.h"

namespace berth {
namespace {

constexpr char kVolumePrefix[] = "volumes/";
constexpr char kEpochKey[] = "meta/volume_epoch";

std::string key_of(std::string_view name) { return kVolumePrefix + std::string(name); }

void collect(const Status& status, std::vector<FieldError>& errors) {
  if (status.ok()) return;
  for (const auto& field : status.error().fields) errors.push_back(field);
  if (status.error().fields.empty()) errors.push_back({"/", {status.error().message}});
}

}  // namespace

Status validate(const VolumeControllerConfig& c) {
  auto bad = [](const std::string& what) { return invalid_argument("volume controller: " + what); };
  if (c.lease <= Duration::zero()) return bad("lease must be positive");
  if (c.drift_margin < Duration::zero()) return bad("drift_margin must not be negative");
  if (c.attach_timeout <= Duration::zero() || c.detach_timeout <= Duration::zero() ||
      c.provision_timeout <= Duration::zero()) {
    return bad("attach, detach and provision timeouts must be positive");
  }
  if (c.retry_backoff_min <= Duration::zero() || c.retry_backoff_max < c.retry_backoff_min) {
    return bad("retry backoff must be positive, its maximum at least its minimum");
  }
  if (!c.drivers.contains(c.default_driver)) {
    return bad("default driver '" + c.default_driver + "' is not among the drivers");
  }
  for (const auto& [alias, target] : c.driver_aliases) {
    if (!c.drivers.contains(target)) {
      return bad("driver alias '" + alias + "' names unknown driver '" + target + "'");
    }
  }
  if (auto s = validate_fs_type(c.default_fs_type); !s.ok())
    return bad("default fs type: ext4|xfs");
  if (auto s = validate_volume_size(c.default_size_mib, c.default_fs_type); !s.ok()) {
    return bad("default size: " + s.error().fields.front().errors.front());
  }
  if (c.history_limit == 0) return bad("history_limit must be at least 1");
  return {};
}

VolumeController::VolumeController(Clock& clock, StateStore& store, VolumeControllerConfig config)
    : clock_(clock), store_(store), config_(std::move(config)) {}

VolumeController::~VolumeController() {
  for (auto& [name, entry] : volumes_) {
    if (entry.timer != 0) clock_.cancel(entry.timer);
  }
}

void VolumeController::add_provisioner(const std::string& driver, VolumeProvisioner& provisioner) {
  provisioners_[driver] = &provisioner;
}

// ---- persistence -------------------------------------------------------------------------

Status VolumeController::commit(Batch batch) {
  std::vector<Mutation> mutations;
  for (const Update& update : batch.updates) {
    auto it = volumes_.find(update.record.name);
    const std::uint64_t expected = it == volumes_.end() ? 0 : it->second.version;
    mutations.push_back(
        Mutation::put(key_of(update.record.name), volume_to_store_json(update.record), expected));
  }
  for (const std::string& name : batch.removed) {
    mutations.push_back(Mutation::remove(key_of(name), volumes_.at(name).version));
  }
  if (batch.last_epoch) {
    mutations.push_back(
        Mutation::put(kEpochKey, std::to_string(*batch.last_epoch), epoch_version_));
  }
  if (!mutations.empty()) BERTH_RETURN_IF_ERROR(store_.commit(mutations));

  if (batch.last_epoch) {
    last_epoch_ = *batch.last_epoch;
    ++epoch_version_;
  }
  for (Update& update : batch.updates) apply(std::move(update));
  for (const std::string& name : batch.removed) {
    auto it = volumes_.find(name);
    if (it->second.timer != 0) clock_.cancel(it->second.timer);
    unindex(it->second.record);
    volumes_.erase(it);
  }
  for (const VolumeEvent& e : batch.events) publish(e);
  return {};
}

void VolumeController::apply(Update update) {
  auto [it, inserted] = volumes_.try_emplace(update.record.name);
  Entry& entry = it->second;
  if (!inserted && !is_allowed_transition(entry.record.state, update.record.state)) {
    // A broken invariant, not a runtime failure: the record is already persisted, so carrying on
    // would spread the damage.
    spdlog::critical("volume {}: illegal transition {} -> {}", update.record.name,
                     to_string(entry.record.state), to_string(update.record.state));
    std::abort();
  }
  if (!inserted) unindex(entry.record);
  entry.record = std::move(update.record);
  index(entry.record);
  ++entry.version;
  arm(entry, update.deadline);
}

void VolumeController::index(const VolumeRecord& v) {
  if (v.attachment) by_agent_[v.attachment->agent_id].insert(v.name);
  for (const auto& task : v.claims) by_task_[task].insert(v.name);
}

void VolumeController::unindex(const VolumeRecord& v) {
  auto drop = [&v](std::map<std::string, std::set<std::string>>& index, const std::string& key) {
    auto it = index.find(key);
    if (it == index.end()) return;
    it->second.erase(v.name);
    if (it->second.empty()) index.erase(it);
  };
  if (v.attachment) drop(by_agent_, v.attachment->agent_id);
  for (const auto& task : v.claims) drop(by_task_, task);
}

std::vector<std::string> VolumeController::attached_to(const std::string& agent_id) const {
  auto it = by_agent_.find(agent_id);
  if (it == by_agent_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void VolumeController::arm(Entry& entry, std::optional<Instant> deadline) {
  if (entry.timer != 0) clock_.cancel(entry.timer);
  entry.timer = 0;
  ++entry.generation;
  entry.deadline = deadline;
  if (!deadline) return;
  const Duration after = std::max(Duration::zero(), *deadline - clock_.now());
  entry.timer = clock_.schedule(
      after, [this, name = entry.record.name, gen = entry.generation] { on_deadline(name, gen); });
}

void VolumeController::publish(const VolumeEvent& e) {
  for (const auto& fn : event_fns_) fn(e);
}

void VolumeController::send(const VolumeOrder& order) {
  for (const auto& fn : order_fns_) fn(order);
}

VolumeEvent VolumeController::event(VolumeEventType type, const VolumeRecord& volume,
                                    std::string message, std::optional<Duration> took) const {
  VolumeEvent e;
  e.type = type;
  e.volume = volume.name;
  if (volume.attachment) {
    e.agent_id = volume.attachment->agent_id;
    e.epoch = volume.attachment->epoch;
  }
  e.message = std::move(message);
  e.at = clock_.wall();
  e.took = took;
  return e;
}

WallTime VolumeController::wall_at(Instant at) const {
  return clock_.wall() + std::chrono::duration_cast<WallTime::duration>(at - clock_.now());
}

VolumeSpec VolumeController::spec_of(const VolumeRecord& v) const {
  VolumeSpec spec;
  spec.name = v.name;
  spec.driver = v.driver;
  spec.size_mib = v.size_mib;
  spec.fs_type = v.fs_type;
  spec.options = v.options;
  spec.epoch = v.attachment ? v.attachment->epoch : 0;
  spec.external = v.kind == VolumeKind::kExternal;
  return spec;
}

void VolumeController::end_attachment(VolumeRecord& v, const std::string& ended_by) const {
  if (!v.attachment) return;
  v.history.push_back(
      {v.attachment->agent_id, v.attachment->epoch, v.attachment->since, clock_.wall(), ended_by});
  while (v.history.size() > config_.history_limit) v.history.pop_front();
  v.attachment.reset();
}

const VolumeRecord* VolumeController::find(std::string_view name) const {
  auto it = volumes_.find(name);
  return it == volumes_.end() ? nullptr : &it->second.record;
}

std::vector<VolumeRecord> VolumeController::list() const {
  std::vector<VolumeRecord> out;
  out.reserve(volumes_.size());
  for (const auto& [name, entry] : volumes_) out.push_back(entry.record);
  return out;
}

// ---- recovery ----------------------------------------------------------------------------

Status VolumeController::recover() {
  BERTH_RETURN_IF_ERROR(validate(config_));
  recovered_at_ = clock_.now();
  auto counter = store_.get(kEpochKey);
  if (!counter.ok()) return counter.error().context("recover volume epoch counter");
  if (counter->has_value()) {
    last_epoch_ = std::strtoull((*counter)->value.c_str(), nullptr, 10);
    epoch_version_ = (*counter)->version;
  }
  auto stored = store_.list(kVolumePrefix);
  if (!stored.ok()) return stored.error().context("recover volumes");
  std::vector<std::string> to_provision;
  for (const StoredEntry& item : *stored) {
    auto record = volume_from_store_json(item.stored.value);
    if (!record.ok()) return record.error().context("recover " + item.key);
    // The counter is written with every grant, but never trust it below an epoch in use.
    if (record->attachment) last_epoch_ = std::max(last_epoch_, record->attachment->epoch);
    for (const auto& h : record->history) last_epoch_ = std::max(last_epoch_, h.epoch);
    const std::string name = record->name;
    Entry& entry = volumes_[name];
    entry.record = std::move(record).value();
    entry.version = item.stored.version;
    index(entry.record);
    const Instant now = clock_.now();
    switch (entry.record.state) {
      case VolumeState::kCreating:
      case VolumeState::kDeleting:
        to_provision.push_back(name);  // repeated: provisioners are idempotent
        break;
      case VolumeState::kAttaching:
        arm(entry, now + config_.attach_timeout);
        break;
      case VolumeState::kDetaching:
        arm(entry, now + config_.detach_timeout);
        break;
      case VolumeState::kFencing:
        // Heartbeats acknowledged before the restart are unknown; none after it: the lease
        // certainly ends by now + lease + margin.
        entry.fencing_since = now;
        entry.failover_from = now;
        arm(entry, now + config_.lease + config_.drift_margin);
        break;
      case VolumeState::kAvailable:
      case VolumeState::kAttached:
        break;
    }
    if (entry.deadline) entry.record.deadline = wall_at(*entry.deadline);
  }
  for (const std::string& name : to_provision) {
    if (volumes_.contains(name)) start_provisioning(name);
  }
  spdlog::info("recovered {} volumes; last epoch {}", volumes_.size(), last_epoch_);
  return {};
}

// ---- creation and deletion ---------------------------------------------------------------

std::string VolumeController::resolve_driver(const std::string& driver) const {
  if (driver.empty()) return config_.default_driver;
  auto alias = config_.driver_aliases.find(driver);
  return alias == config_.driver_aliases.end() ? driver : alias->second;
}

VolumeProvisioner* VolumeController::provisioner_for(const std::string& driver) const {
  auto it = provisioners_.find(driver);
  return it == provisioners_.end() ? nullptr : it->second;
}

Result<VolumeRecord> VolumeController::create_record(const VolumeCreateRequest& request) {
  VolumeRecord v;
  v.name = request.name;
  v.driver = resolve_driver(request.driver);
  v.size_mib = request.size_mib == 0 ? config_.default_size_mib : request.size_mib;
  v.fs_type = request.fs_type.empty() ? config_.default_fs_type : request.fs_type;
  v.options = request.options;
  v.kind = request.kind;
  v.access = request.access;
  v.app_id = request.app_id;
  v.created_at = v.updated_at = clock_.wall();

  std::vector<FieldError> errors;
  collect(check_volume_name(v.name), errors);
  if (!config_.drivers.contains(v.driver)) {
    errors.push_back({"/driver", {unknown_driver_text(request.driver, config_)}});
  } else if ((v.driver == kLocalDriver) != (v.kind == VolumeKind::kLocal)) {
    errors.push_back(
        {"/driver",
         {v.kind == VolumeKind::kLocal ? "a local persistent volume needs the 'local' driver"
                                       : "driver 'local' keeps data on one node; use it for "
                                         "local persistent volumes only"}});
  }
  collect(validate_fs_type(v.fs_type), errors);
  if (validate_fs_type(v.fs_type).ok())
    collect(validate_volume_size(v.size_mib, v.fs_type), errors);
  collect(validate_volume_options(v.options), errors);
  if (!errors.empty()) return invalid_fields(std::move(errors));
  return v;
}

Result<VolumeRecord> VolumeController::create(const VolumeCreateRequest& request) {
  if (volumes_.contains(request.name)) {
    return conflict("volume '" + request.name + "' already exists");
  }
  auto record = create_record(request);
  if (!record.ok()) return record.error();
  const bool provision = provisioner_for(record->driver) != nullptr;
  record->state = provision ? VolumeState::kCreating : VolumeState::kAvailable;
  Batch batch;
  if (!provision) batch.events.push_back(event(VolumeEventType::kCreated, *record));
  const std::string name = record->name;
  batch.updates.push_back({std::move(record).value(), std::nullopt});
  if (auto s = commit(std::move(batch)); !s.ok()) {
    return s.error().context("create volume " + name);
  }
  if (provision) {
    start_provisioning(name);
  } else {
    ++stats_.created;
  }
  const VolumeRecord* now = find(name);
  if (now == nullptr) return unavailable("volume '" + name + "' was removed while being created");
  return *now;
}

Status VolumeController::remove(const std::string& name) {
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return not_found("volume '" + name + "' does not exist");
  Entry& entry = it->second;
  const VolumeRecord& v = entry.record;
  switch (v.state) {
    case VolumeState::kDeleting:
      return {};
    case VolumeState::kCreating:
      return unavailable("volume '" + name + "' is being created; delete it once it is AVAILABLE");
    case VolumeState::kAvailable:
      break;
    default:
      return conflict("volume '" + name + "' is " + attachment_text(v) +
                      "; stop the tasks that use it and wait for it to detach before deleting it");
  }
  if (!v.claims.empty()) {
    return conflict("volume '" + name + "' is claimed by " + tasks_text(v.claims));
  }
  Batch batch;
  if (provisioner_for(v.driver) == nullptr) {
    batch.removed.push_back(name);
    batch.events.push_back(event(VolumeEventType::kDeleted, v));
    if (auto s = commit(std::move(batch)); !s.ok())
      return s.error().context("delete volume " + name);
    ++stats_.deleted;
    return {};
  }
  VolumeRecord next = v;
  next.state = VolumeState::kDeleting;
  next.updated_at = clock_.wall();
  batch.events.push_back(event(VolumeEventType::kDeleting, next));
  batch.updates.push_back({std::move(next), std::nullopt});
  if (auto s = commit(std::move(batch)); !s.ok()) return s.error().context("delete volume " + name);
  start_provisioning(name);
  return {};
}

Result<VolumeRecord> VolumeController::resize(const std::string& name, std::int64_t size_mib) {
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return not_found("volume '" + name + "' does not exist");
  const VolumeRecord& v = it->second.record;
  BERTH_RETURN_IF_ERROR(validate_volume_size(size_mib, v.fs_type));
  if (size_mib < v.size_mib) {
    return invalid_fields({{"/size",
                            {"volumes only grow: '" + name + "' has " + std::to_string(v.size_mib) +
                             " MiB, got " + std::to_string(size_mib)}}});
  }
  if (v.state == VolumeState::kCreating || v.state == VolumeState::kDeleting) {
    return unavailable("volume '" + name + "' is " + std::string(to_string(v.state)));
  }
  if (size_mib == v.size_mib) return v;
  VolumeRecord next = v;
  next.size_mib = size_mib;
  next.updated_at = clock_.wall();
  Batch batch;
  batch.updates.push_back({std::move(next), it->second.deadline});
  if (auto s = commit(std::move(batch)); !s.ok()) return s.error().context("resize " + name);
  return it->second.record;
}

void VolumeController::start_provisioning(const std::string& name) {
  Entry& entry = volumes_.at(name);
  const bool creating = entry.record.state == VolumeState::kCreating;
  entry.provisioning = true;
  const std::uint64_t attempt = ++entry.attempt;
  arm(entry, clock_.now() + config_.provision_timeout);
  VolumeProvisioner* provisioner = provisioner_for(entry.record.driver);
  auto done = [this, name, attempt](Status status) { on_provisioned(name, attempt, status); };
  if (provisioner == nullptr) {
    // The driver lost its provisioner across a restart: nothing to call.
    done({});
    return;
  }
  const VolumeSpec spec = spec_of(entry.record);
  // `entry` may be gone once the provisioner returns: `done` can run inside the call.
  if (creating) {
    provisioner->create(spec, std::move(done));
  } else {
    provisioner->remove(spec, std::move(done));
  }
}

void VolumeController::on_provisioned(const std::string& name, std::uint64_t attempt,
                                      Status status) {
  auto it = volumes_.find(name);
  if (it == volumes_.end()) return;
  Entry& entry = it->second;
  if (!entry.provisioning || entry.attempt != attempt) return;  // an answer we gave up on
  entry.provisioning = false;
  const bool creating = entry.record.state == VolumeState::kCreating;
  if (!status.ok()) {
    provisioning_failed(entry, status.error().message);
    return;
  }
  Batch batch;
  if (creating) {
    VolumeRecord next = entry.record;
    next.state = VolumeState::kAvailable;
    next.last_error.reset();
    next.deadline.reset();
    next.updated_at = clock_.wall();
    batch.events.push_back(event(VolumeEventType::kCreated, next));
    batch.updates.push_back({std::move(next), std::nullopt});
  } else {
    batch.removed.push_back(name);
    batch.events.push_back(event(VolumeEventType::kDeleted, entry.record));
  }
  if (auto s = commit(std::move(batch)); !s.ok()) {
    // The backend did its part; repeating the idempotent call later is the way back to a
    // persisted outcome.
    provisioning_failed(entry, "persist the outcome: " + s.error().message);
    return;
  }
  if (creating) {
    entry.failures = 0;
    ++stats_.created;
  } else {
    ++stats_.deleted;
  }
}

void VolumeController::provisioning_failed(Entry& entry, const std::string& why) {
  ++stats_.operation_failures;
  ++entry.failures;
  Duration backoff = config_.retry_backoff_min;
  for (int i = 1; i < entry.failures && backoff < config_.retry_backoff_max; ++i) backoff *= 2;
  backoff = std::min(backoff, config_.retry_backoff_max);
  const bool creating = entry.record.state == VolumeState::kCreating;
  const std::string message = std::string(creating ? "create" : "delete") + " volume " +
                              entry.record.name + " (driver " + entry.record.driver + "): " + why +
                              "; retrying in " + duration_text(backoff);
  spdlog::warn("{}", message);
  VolumeRecord next = entry.record;
  next.last_error = VolumeError{message, clock_.wall()};
  next.updated_at = clock_.wall();
  Batch batch;
  batch.events.push_back(event(VolumeEventType::kError, next, message));
  batch.updates.push_back({std::move(next), clock_.now() + backoff});
  if (auto s = commit(std::move(batch)); !s.ok()) {
    spdlog::error("volume {}: persist error: {}", entry.record.name, s.error().message);
    arm(entry, clock_.now() + backoff);  // retry all the same
  }
}

void VolumeController::on_deadline(const std::string& name, std::uint64_t generation) {
  auto it = volumes_.find(name);
  if (it == volumes_.end() || it->second.generation != generation) return;
  Entry& entry = it->second;
  entry.timer = 0;
  switch (entry.record.state) {
    case VolumeState::kCreating:
    case VolumeState::kDeleting:
      if (entry.provisioning) {
        entry.provisioning = false;
        ++stats_.timeouts;
        provisioning_failed(
            entry, "no answer from the driver within " + duration_text(config_.provision_timeout));
      } else {
        start_provisioning(name);
      }
      break;
    case VolumeState::kAttaching:
      attach_overdue(entry);
      break;
    case VolumeState::kDetaching:
      detach_overdue(entry);
      break;
    case VolumeState::kFencing:
      if (auto s = complete_fence(entry); !s.ok()) {
        spdlog::error("volume {}: complete fence: {}", name, s.error().message);
        arm(entry, clock_.now() + config_.retry_backoff_min);
      }
      break;
    case VolumeState::kAvailable:
    case VolumeState::kAttached:
      break;
  }
}

// ---- claims ------------------------------------------------------------------------------

Result<VolumeSpec> VolumeController::claim_for_launch(const VolumeLaunchClaim& claim) {
  const std::string& name = claim.spec.name;
  auto refuse = [this](Error error) {
    ++stats_.claims_refused;
    return error;
  };
  if (auto s = check_volume_name(name); !s.ok()) {
    return refuse(invalid_argument("volume name '" + name + "' " + s.error().fields[0].errors[0]));
  }
  if (claim.task_id.empty() || claim.agent_id.empty()) {
    return refuse(invalid_argument("claim of volume " + name + " needs a task id and an agent id"));
  }
  auto it = volumes_.find(name);
  if (it == volumes_.end()) {
    if (!config_.implicit_create) {
      return refuse(not_found("volume '" + name +
                              "' does not exist and implicit creation is off; create it first"));
    }
    VolumeCreateRequest request{name,
                                claim.spec.driver,
                                claim.spec.size_mib,
                                claim.spec.fs_type,
                                claim.spec.options,
                                claim.spec.external ? VolumeKind::kExternal : VolumeKind::kLocal,
                                claim.access,
                                claim.app_id};
    auto created = create(request);
    if (!created.ok()) {
      Error error = created.error();
      error.message = "volume '" + name + "' cannot be created: " + fields_text(error);
      return refuse(std::move(error));
    }
    it = volumes_.find(name);
    if (it == volumes_.end()) return refuse(unavailable("volume '" + name + "' is being created"));
  }
  Entry& entry = it->second;
  if (auto mismatch = claim_mismatch(entry.record, claim, resolve_driver(claim.spec.driver))) {
    return refuse(conflict(*mismatch));
  }
  const VolumeRecord& v = entry.record;
  if (v.claims.contains(claim.task_id)) {
    if (v.attachment && v.attachment->agent_id == claim.agent_id) return spec_of(v);
    return refuse(conflict("task " + claim.task_id + " already holds volume '" + name + "' on " +
                           (v.attachment ? "agent " + v.attachment->agent_id : "no agent")));
  }
  if (v.state == VolumeState::kFencing && entry.deadline && clock_.now() >= *entry.deadline) {
    // The lease has run out but the timer has not fired yet (a busy loop): settle it now.
    if (auto s = complete_fence(entry); !s.ok()) return refuse(s.error().context("claim " + name));
  }
  if (v.kind == VolumeKind::kLocal && !v.pinned_agent.empty() && v.pinned_agent != claim.agent_id) {
    return refuse(unavailable("local volume '" + name + "' lives on agent " + v.pinned_agent +
                              "; tasks that use it run only there"));
  }
  switch (v.state) {
    case VolumeState::kCreating:
      return refuse(unavailable("volume '" + name + "' is being created" +
                                (v.last_error ? " (" + v.last_error->message + ")" : "")));
    case VolumeState::kDeleting:
      return refuse(unavailable("volume '" + name + "' is being deleted"));
    case VolumeState::kAvailable:
      return grant(entry, claim);
    case VolumeState::kFencing:
      return refuse(unavailable(refusal(entry, claim)));
    case VolumeState::kAttaching:
    case VolumeState::kAttached:
    case VolumeState::kDetaching:
      break;
  }
  if (v.attachment->agent_id != claim.agent_id ||
      (v.access == VolumeAccess::kSingleWriter && !v.claims.empty())) {
    return refuse(unavailable(refusal(entry, claim)));
  }
  // Another task on the node that already has it (shared), or a new task where the old one just
  // ended: same agent, same epoch.
  VolumeRecord next = v;
  next.claims.insert(claim.task_id);
  if (!claim.app_id.empty()) next.app_id = claim.app_id;
  next.updated_at = clock_.wall();
  std::optional<Instant> deadline = entry.deadline;
  if (v.state == VolumeState::kDetaching) {
    next.state = entry.reported_mounted ? VolumeState::kAttached : VolumeState::kAttaching;
    deadline.reset();
    if (next.state == VolumeState::kAttaching) deadline = clock_.now() + config_.attach_timeout;
  }
  next.deadline = deadline ? std::optional<WallTime>(wall_at(*deadline)) : std::nullopt;
  Batch batch;
  batch.updates.push_back({std::move(next), deadline});
  if (auto s = commit(std::move(batch)); !s.ok()) {
    return refuse(s.error().context("claim volume " + name + " for task " + claim.task_id));
  }
  return spec_of(entry.record);
}

Result<VolumeSpec> VolumeController::grant(Entry& entry, const VolumeLaunchClaim& claim) {
  const std::uint64_t epoch = last_epoch_ + 1;
  const Instant deadline = clock_.now() + config_.attach_timeout;
  VolumeRecord next = entry.record;
  next.attachment = VolumeAttachment{claim.agent_id, epoch, clock_.wall()};
  next.state = VolumeState::kAttaching;
  next.claims = {claim.task_id};
  if (!claim.app_id.empty()) next.app_id = claim.app_id;
  if (next.kind == VolumeKind::kLocal && next.pinned_agent.empty()) {
    next.pinned_agent = claim.agent_id;
  }
  next.last_error.reset();
  next.deadline = wall_at(deadline);
  next.updated_at = clock_.wall();
  Batch batch;
  batch.last_epoch = epoch;
  batch.events.push_back(event(VolumeEventType::kAttaching, next,
                               "for task " + claim.task_id + " on agent " + claim.agent_id));
  batch.updates.push_back({std::move(next), deadline});
  if (auto s = commit(std::move(batch)); !s.ok()) {
    ++stats_.claims_refused;
    return s.error().context("claim volume " + entry.record.name + " for task " + claim.task_id);
  }
  ++stats_.epochs_granted;
  entry.granted_at = clock_.now();
  entry.reported_mounted = false;
  return spec_of(entry.record);
}

std::string VolumeController::refusal(const Entry& entry, const VolumeLaunchClaim& claim) const {
  const VolumeRecord& v = entry.record;
  const std::string& holder = v.attachment->agent_id;
  std::string text = "volume '" + v.name + "' ";
  if (v.state == VolumeState::kFencing) {
    const Duration left = entry.deadline ? *entry.deadline - clock_.now() : Duration::zero();
    return text + "is attached to agent " + holder + ", which is unreachable; it can be " +
           "attached elsewhere at " +
           format_timestamp(entry.deadline ? wall_at(*entry.deadline) : clock_.wall()) + " (in " +
           duration_text(left) + "), once " + holder + "'s lease has certainly expired";
  }
  if (holder == claim.agent_id) {
    return text + "is single-writer and already claimed by " + tasks_text(v.claims);
  }
  text += "is " + attachment_text(v);
  if (v.state == VolumeState::kDetaching) {
    text += "; waiting for " + holder + " to confirm the unmount";
  } else {
    text += "; it can move once " + (v.claims.empty() ? "it" : tasks_text(v.claims)) +
            " ends and " + holder + " confirms the unmount";
  }
  if (v.access == VolumeAccess::kShared) text += " (a shared volume is on one node at a time)";
  return text;
}

Result<std::vector<VolumeOrder>> VolumeController::release(const std::string& task_id) {
  Batch batch;
  std::vector<VolumeOrder> orders;
  auto claimed = by_task_.find(task_id);
  const std::vector<std::string> names =
      claimed == by_task_.end()
          ? std::vector<std::string>{}
          : std::vector<std::string>(claimed->second.begin(), claimed->second.end());
  for (const std::string& name : names) {
    const Entry& entry = volumes_.at(name);
    const VolumeRecord& v = entry.record;
    VolumeRecord next = v;
    next.claims.erase(task_id);
    next.updated_at = clock_.wall();
    std::optional<Instant> deadline = entry.deadline;
    if (next.claims.empty() &&
        (v.state == VolumeState::kAttaching || v.state == VolumeState::kAttached)) {
      next.state = VolumeState::kDetaching;
      deadline = clock_.now() + config_.detach_timeout;
      next.deadline = wall_at(*deadline);
      batch.events.push_back(
          event(VolumeEventType::kDetaching, next, "task " + task_id + " ended"));
      orders.push_back({VolumeOrder::Kind::kUnmount,
                        v.attachment->agent_id,
                        name,
                        v.attachment->epoch,
                        {},
                        "task " + task_id + " ended"});
    }
    batch.updates.push_back({std::move(next), deadline});
  }
  if (batch.updates.empty()) return orders;
  if (auto s = commit(std::move(batch)); !s.ok()) {
    return s.error().context("release the volumes of task " + task_id);
  }
  return orders;
}

// Both timeouts leave the volume DETACHING with the error on record, waiting until `deadline` for
// the agent to confirm the unmount it is asked for.
Status VolumeController::persist_timeout(const VolumeRecord& v, const std::string& message,
                                         Instant deadline) {
  VolumeRecord next = v;
  next.state = VolumeState::kDetaching;
  next.last_error = VolumeError{message, clock_.wall()};
  next.updated_at = clock_.wall();
  next.deadline = wall_at(deadline);
  Batch batch;
  batch.events.push_back(event(VolumeEventType::kError, next, message));
  batch.updates.push_back({std::move(next), deadline});
  return commit(std::move(batch));
}

void VolumeController::attach_overdue(Entry& entry) {
  ++stats_.timeouts;
  const VolumeRecord& v = entry.record;
  const std::string message = "attach volume " + v.name + " on agent " + v.attachment->agent_id +
                              " (epoch " + std::to_string(v.attachment->epoch) +
                              "): not reported mounted within " +
                              duration_text(config_.attach_timeout) + "; stopping " +
                              (v.claims.empty() ? "its tasks" : tasks_text(v.claims));
  spdlog::warn("{}", message);
  const VolumeOrder order{VolumeOrder::Kind::kUnmount,
                          v.attachment->agent_id,
                          v.name,
                          v.attachment->epoch,
                          std::vector<std::string>(v.claims.begin(), v.claims.end()),
                          message};
  const Instant deadline = clock_.now() + config_.detach_timeout;
  if (auto s = persist_timeout(v, message, deadline); !s.ok()) {
    spdlog::error("volume {}: persist attach timeout: {}", v.name, s.error().message);
    arm(entry, clock_.now() + config_.retry_backoff_min);
    return;
  }
  send(order);
}

void VolumeController::detach_overdue(Entry& entry) {
  ++stats_.timeouts;
  const VolumeRecord& v = entry.record;
  const std::string message = "detach volume " + v.name + " from agent " + v.attachment->agent_id +
                              " (epoch " + std::to_string(v.attachment->epoch) +
                              "): the unmount is not confirmed after " +
                              duration_text(config_.detach_timeout) + "; asking again";
  spdlog::warn("{}", message);
  const VolumeOrder order{VolumeOrder::Kind::kUnmount,
                          v.attachment->agent_id,
                          v.name,
                          v.attachment->epoch,
                          {},
                          message};
  const Instant deadline = clock_.now() + config_.detach_timeout;
  if (auto s = persist_timeout(v, message, deadline); !s.ok()) {
    spdlog::error("volume {}: persist detach timeout: {}", v.name, s.error().message);
    arm(entry, deadline);
  }
  send(order);  // harmless to repeat, persisted or not
}

}  // namespace berth
