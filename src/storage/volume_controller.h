// VolumeController: the master's owner of every volume (REX-Ray's and Flocker's control side).
// It decides which node may use a volume and with which epoch, persists that decision before
// anyone acts on it, and releases an attachment only when the node confirms the unmount or when
// the node's lease has certainly expired. The lifecycle it drives is drawn in
// volume_lifecycle.h; the records it keeps are in volume_record.h.
//
// Deterministic core: no sockets, threads, files or real clock. The master calls it on its one
// event loop:
//   - the scheduler, before launching a task that uses a volume: claim_for_launch(); the answer
//     is the VolumeSpec (with the epoch) to put in the launch, or kUnavailable with the reason
//     to show in /v2/queue (retry on a later offer), or kInvalidArgument/kConflict (the app's
//     volume is wrong; retrying does not help);
//   - when that task is terminal (its agent said so, or its agent was fenced): release();
//   - when an agent registers, and with every poll: agent_reported() with the complete list of
//     volumes it had mounted when it sent the message (a volume missing from the list is not
//     mounted); a report costs the agent's volumes and mounts, never all volumes;
//   - for every heartbeat acknowledged to an agent: agent_heartbeat();
//   - when the master declares an agent unreachable: agent_unreachable().
// It answers with orders for agents (returned, or through on_order() for those its timers
// make), events (on_event()) and counters (stats()).
//
// Fencing, the rule that makes failover both fast and safe: an agent's lease on its external
// volumes is renewed by each heartbeat the master acknowledges; the agent counts it from the
// moment it *sent* that heartbeat and must have stopped every task using the volume and
// unmounted it before `lease` has passed without a new acknowledgement. The master counts from
// the moment it acknowledged, which is later, and adds `drift_margin` for clocks that run at
// different rates: at last_ack + lease + drift_margin the old node has certainly stopped
// writing, and only then is the volume attachable elsewhere, with a new epoch. A node that
// comes back holding the old epoch is told to stop and unmount (VolumeOrder::kRevoke).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/volume_protocol.h"
#include "common/clock.h"
#include "common/result.h"
#include "storage/volume_events.h"
#include "storage/volume_provisioner.h"
#include "storage/volume_record.h"

namespace berth {

class StateStore;

struct VolumeControllerConfig {
  // An agent's lease on its external volumes. The agent must be told the same value (its
  // registration reply) and must stop writing within it; keep it at least a few heartbeat
  // intervals so that one slow poll does not make a healthy agent stop its databases.
  Duration lease = std::chrono::seconds(5);
  // Added to the lease for clocks that run at different rates and for the agent's own delays.
  Duration drift_margin = std::chrono::seconds(1);
  // From a claim to the agent's report of the mount; then the claimant tasks are revoked.
  Duration attach_timeout = std::chrono::seconds(180);
  // From the last release to the agent's confirmation of the unmount; then the unmount order
  // is sent again (the attachment is kept: only the agent or its fencing releases it).
  Duration detach_timeout = std::chrono::seconds(60);
  // A provisioner's create or remove call; then it is retried with backoff.
  Duration provision_timeout = std::chrono::seconds(120);
  Duration retry_backoff_min = std::chrono::seconds(1);
  Duration retry_backoff_max = std::chrono::seconds(60);

  // Implicit creation on first use (Marathon's external volumes, dvdcli's default).
  bool implicit_create = true;
  std::int64_t default_size_mib = 16 * 1024;  // REX-Ray's default of 16 GiB
  std::string default_fs_type = "ext4";
  std::string default_driver = "blockpool";
  // Drivers volumes may name, and names that mean one of them (the seeds' `rexray`).
  std::set<std::string> drivers = {"blockpool", "local"};
  std::map<std::string, std::string> driver_aliases = {{"rexray", "blockpool"}};
  // Finished attachments kept per volume.
  std::size_t history_limit = 20;
};

// kInvalidArgument naming the first setting that cannot work.
Status validate(const VolumeControllerConfig& config);

// A task's request for a volume, made by the scheduler before it launches the task.
struct VolumeLaunchClaim {
  std::string task_id;
  std::string agent_id;  // where the task is about to be launched
  std::string app_id;
  // As the app declares it: name, driver ("" = default), size (0 = default), fs type ("" =
  // default), options, external. Only name, driver and kind must match an existing volume; the
  // others apply when the claim creates it (an existing volume keeps its own, as in Marathon).
  VolumeSpec spec;
  VolumeAccess access = VolumeAccess::kSingleWriter;
};

class VolumeController {
 public:
  VolumeController(Clock& clock, StateStore& store, VolumeControllerConfig config = {});
  ~VolumeController();
  VolumeController(const VolumeController&) = delete;
  VolumeController& operator=(const VolumeController&) = delete;

  // Setup, before recover(). The provisioner must outlive the controller.
  void add_provisioner(const std::string& driver, VolumeProvisioner& provisioner);
  void on_event(std::function<void(const VolumeEvent&)> fn) { event_fns_.push_back(std::move(fn)); }
  // Orders made by timers (a detach or attach deadline); orders answering a call are returned.
  void on_order(std::function<void(const VolumeOrder&)> fn) { order_fns_.push_back(std::move(fn)); }

  // Loads every volume and resumes what was in flight: provisioning is repeated, deadlines and
  // FENCING's lease wait restart from now (the master could not acknowledge any heartbeat while
  // it was down, so counting from now is never too early). Agents are presumed reachable until
  // agent_unreachable() says otherwise. Call once.
  Status recover();

  Result<VolumeRecord> create(const VolumeCreateRequest& request);
  // Deletes an AVAILABLE volume (kConflict while attached or claimed, kUnavailable while being
  // created). Deleting a volume being deleted is not an error.
  Status remove(const std::string& name);

  // Grows a volume to `size_mib` (never shrinks: kInvalidArgument at "/size"). The record
  // changes at once; the node grows the image and its filesystem when it next stages the volume
  // (the next claim), so a volume attached now keeps its size until its task is launched again.
  Result<VolumeRecord> resize(const std::string& name, std::int64_t size_mib);

  // The spec to mount, with its epoch, once the attachment is persisted. See the header comment
  // for the errors. Idempotent for a task that already holds the claim.
  Result<VolumeSpec> claim_for_launch(const VolumeLaunchClaim& claim);
  // The task ended: its claims are dropped; a volume left without claims starts detaching.
  Result<std::vector<VolumeOrder>> release(const std::string& task_id);

  // Where a report comes from. A registration opens a new session, on which every order that
  // still matters is given again (those sent on the old one may be lost). A poll's report
  // mostly repeats the last one: a mount already ordered revoked, or already found too new to
  // judge, is not ordered or logged again while the agent keeps reporting it. A revocation is
  // published (volume_revoked) once per agent, volume and epoch, whatever the origin.
  enum class ReportOrigin { kRegistration, kPoll };

  // A report is a snapshot taken when the agent sent it, which may predate grants made since:
  // a volume being attached there and missing from it is simply not mounted yet (no error).
  Result<std::vector<VolumeOrder>> agent_reported(
      const std::string& agent_id, const std::vector<MountedVolume>& mounts,
      ReportOrigin origin = ReportOrigin::kRegistration);
  // A heartbeat of `agent_id` was acknowledged at `acked_at` (the master's clock). Ends the
  // FENCING of its volumes if it had been declared unreachable: its lease is renewed.
  Status agent_heartbeat(const std::string& agent_id, Instant acked_at);
  // The master gave up on `agent_id`; `last_acked` is when it last acknowledged its heartbeat.
  Status agent_unreachable(const std::string& agent_id, Instant last_acked);

  const VolumeRecord* find(std::string_view name) const;
  // The driver a volume naming `driver` gets: aliases resolved, "" the default.
  std::string resolve_driver(const std::string& driver) const;
  // Whether volumes may name `driver` (a driver, an alias of one, or "" for the default).
  bool knows_driver(const std::string& driver) const {
    return config_.drivers.contains(resolve_driver(driver));
  }
  std::vector<VolumeRecord> list() const;  // in name order
  const VolumeControllerStats& stats() const { return stats_; }
  const VolumeControllerConfig& config() const { return config_; }

 private:
  // A volume and what the controller knows about it beyond its record (not persisted).
  struct Entry {
    VolumeRecord record;
    std::uint64_t version = 0;     // the record's store version
    std::uint64_t generation = 0;  // bumped by every update; a stale timer sees a new one
    TimerId timer = 0;
    std::optional<Instant> deadline;  // of the current state (FENCING: its fence time)
    bool provisioning = false;        // a provisioner call is in flight
    std::uint64_t attempt = 0;        // provisioner calls made; a late `done` names an old one
    int failures = 0;                 // consecutive provisioning failures (backoff)
    bool reported_mounted = false;    // the agent's last report had the current epoch mounted
    // The tasks using the volume in the last report that had it mounted: a claimant among them
    // has had it, so its disappearance is news; any other claimant may still be on its way.
    std::set<std::string> mounted_for;
    std::optional<Instant> granted_at;     // when the current epoch was granted
    std::optional<Instant> fencing_since;  // when agent_unreachable() started the fence
    std::optional<Instant> failover_from;  // old agent's last ack, until attached elsewhere
  };
  // A record to persist, with the monotonic deadline of its (new) state.
  struct Update {
    VolumeRecord record;
    std::optional<Instant> deadline;
  };
  // Records to persist in one commit, then apply; events to publish once it succeeded.
  struct Batch {
    std::vector<Update> updates;
    std::vector<std::string> removed;
    std::optional<std::uint64_t> last_epoch;  // the epoch counter's new value
    std::vector<VolumeEvent> events;
  };

  Status commit(Batch batch);
  void apply(Update update);
  void index(const VolumeRecord& volume);
  void unindex(const VolumeRecord& volume);
  std::vector<std::string> attached_to(const std::string& agent_id) const;
  // Replaces the entry's timer with one for `deadline` (none for nullopt).
  void arm(Entry& entry, std::optional<Instant> deadline);
  void publish(const VolumeEvent& event);
  void send(const VolumeOrder& order);
  VolumeEvent event(VolumeEventType type, const VolumeRecord& volume, std::string message = {},
                    std::optional<Duration> took = std::nullopt) const;

  Result<VolumeRecord> create_record(const VolumeCreateRequest& request);
  VolumeProvisioner* provisioner_for(const std::string& driver) const;
  void start_provisioning(const std::string& name);
  void on_provisioned(const std::string& name, std::uint64_t attempt, Status status);
  void on_deadline(const std::string& name, std::uint64_t generation);
  void provisioning_failed(Entry& entry, const std::string& why);

  Result<VolumeSpec> grant(Entry& entry, const VolumeLaunchClaim& claim);
  Status complete_fence(Entry& entry);
  void detach_overdue(Entry& entry);
  void attach_overdue(Entry& entry);
  Status persist_timeout(const VolumeRecord& record, const std::string& message, Instant deadline);
  std::string refusal(const Entry& entry, const VolumeLaunchClaim& claim) const;

  WallTime wall_at(Instant at) const;
  VolumeSpec spec_of(const VolumeRecord& volume) const;
  void end_attachment(VolumeRecord& volume, const std::string& ended_by) const;

  Clock& clock_;
  StateStore& store_;
  VolumeControllerConfig config_;
  std::map<std::string, VolumeProvisioner*> provisioners_;
  std::map<std::string, Entry, std::less<>> volumes_;
  // Indexes over the records, so that a heartbeat or a report costs the agent's volumes, not
  // every volume: names of the volumes attached to each agent and claimed by each task.
  std::map<std::string, std::set<std::string>> by_agent_;
  std::map<std::string, std::set<std::string>> by_task_;
  std::map<std::string, Instant> last_ack_;
  // Per agent: stale mounts (volume -> epoch) already ordered revoked or left alone on its
  // current session, so that its polls do not repeat the order, the event and the log line.
  std::map<std::string, std::map<std::string, std::uint64_t, std::less<>>> judged_mounts_;
  // Per agent: the newest epoch of each volume it has been told is no longer its own, so that
  // volume_revoked, its counter and its warning come once per agent and epoch however often the
  // order is repeated. Bounded by agents x volumes; epochs only grow, so it never hides a new one.
  std::map<std::string, std::map<std::string, std::uint64_t, std::less<>>> revoked_;
  std::uint64_t last_epoch_ = 0;
  std::uint64_t epoch_version_ = 0;  // the counter key's store version; 0 = not written yet
  Instant recovered_at_{};
  VolumeControllerStats stats_;
  std::vector<std::function<void(const VolumeEvent&)>> event_fns_;
  std::vector<std::function<void(const VolumeOrder&)>> order_fns_;
};

}  // namespace berth
