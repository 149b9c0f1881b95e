// VolumeController: what agents tell it (their mounts, their heartbeats, their silence) and the
// fencing that follows. The rule is in volume_controller.h: an attachment ends only when its
// agent reports the volume unmounted, or at last acknowledged heartbeat + lease + drift margin
// after the agent was declared unreachable; a node that still holds an epoch that is no longer
// its own is told to stop and unmount.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/time_format.h"
#include "storage/volume_controller.h"
#include "storage/volume_text.h"

namespace berth {
namespace {

std::uint64_t newest_epoch(const VolumeRecord& v) {
  std::uint64_t newest = v.attachment ? v.attachment->epoch : 0;
  for (const auto& h : v.history) newest = std::max(newest, h.epoch);
  return newest;
}

}  // namespace

Result<std::vector<VolumeOrder>> VolumeController::agent_reported(
    const std::string& agent_id, const std::vector<MountedVolume>& mounts, ReportOrigin origin) {
  std::map<std::string, const MountedVolume*, std::less<>> reported;
  for (const auto& m : mounts) reported[m.name] = &m;
  const Instant now = clock_.now();
  Batch batch;
  std::vector<VolumeOrder> orders;
  // Bookkeeping that must wait until the batch is persisted.
  std::vector<std::function<void()>> after;

  for (const std::string& name : attached_to(agent_id)) {
    Entry& entry = volumes_.at(name);
    const VolumeRecord& v = entry.record;
    auto found = reported.find(name);
    const bool mounted = found != reported.end() && found->second->epoch == v.attachment->epoch;
    Entry* e = &entry;
    after.push_back([e, mounted, found] {
      e->reported_mounted = mounted;
      if (mounted) {
        e->mounted_for = {found->second->task_ids.begin(), found->second->task_ids.end()};
      }
    });

    VolumeRecord next = v;
    next.updated_at = clock_.wall();
    std::optional<Instant> deadline = entry.deadline;
    auto attached = [&] {
      next.state = VolumeState::kAttached;
      deadline.reset();
      std::optional<Duration> took;
      if (e->granted_at) took = now - *e->granted_at;
      batch.events.push_back(event(VolumeEventType::kAttached, next, "", took));
      if (e->failover_from) {
        batch.events.push_back(event(VolumeEventType::kFailedOver, next,
                                     "mounted again after its previous node was fenced",
                                     now - *e->failover_from));
        after.push_back([this] { ++stats_.failovers; });
      }
      after.push_back([this, e] {
        ++stats_.attaches_confirmed;
        e->granted_at.reset();
        e->failover_from.reset();
      });
    };
    auto detached = [&] {
      end_attachment(next, "detached");
      next.state = VolumeState::kAvailable;
      deadline.reset();
      batch.events.push_back(event(VolumeEventType::kDetached, v));
      after.push_back([this] { ++stats_.detaches_confirmed; });
    };

    switch (v.state) {
      case VolumeState::kAttaching:
        if (!mounted) continue;  // not yet: its launch may still be on the way
        attached();
        break;
      case VolumeState::kAttached:
        if (mounted) continue;
        if (v.claims.empty()) {
          detached();
        } else if (std::none_of(v.claims.begin(), v.claims.end(), [e](const std::string& task) {
                     return e->mounted_for.contains(task);
                   })) {
          // None of its claimants has had it here: the last one let go (the agent unmounts as
          // soon as no task uses it) and a new one's launch is on its way, or the report
          // predates that launch. Not mounted, but nothing went wrong.
          next.state = VolumeState::kAttaching;
          deadline = now + config_.attach_timeout;
        } else {
          const std::string message = "agent " + agent_id + " reports volume " + name +
                                      " not mounted while " + tasks_text(v.claims) +
                                      " holds it; waiting for it to be mounted again";
          next.state = VolumeState::kAttaching;
          next.last_error = VolumeError{message, clock_.wall()};
          deadline = now + config_.attach_timeout;
          batch.events.push_back(event(VolumeEventType::kError, next, message));
        }
        break;
      case VolumeState::kDetaching:
        // Still mounted: the agent unmounts once its tasks are gone (the order went out with
        // the release; the detach deadline repeats it).
        if (mounted || !v.claims.empty()) continue;
        detached();
        break;
      case VolumeState::kFencing: {
        // Back before its lease ran out: the agent keeps what it has.
        batch.events.push_back(
            event(VolumeEventType::kUnfenced, v,
                  "agent " + agent_id + " reported again before its lease ran out"));
        after.push_back([this, e] {
          ++stats_.fences_cancelled;
          e->fencing_since.reset();
          e->failover_from.reset();
          e->granted_at.reset();
        });
        if (mounted && !v.claims.empty()) {
          next.state = VolumeState::kAttached;
          deadline.reset();
        } else if (mounted) {
          next.state = VolumeState::kDetaching;
          deadline = now + config_.detach_timeout;
          orders.push_back({VolumeOrder::Kind::kUnmount,
                            agent_id,
                            name,
                            v.attachment->epoch,
                            {},
                            "no task holds volume " + name + " any more"});
        } else if (!v.claims.empty()) {
          next.state = VolumeState::kAttaching;
          deadline = now + config_.attach_timeout;
        } else {
          detached();
        }
        break;
      }
      default:
        continue;
    }
    next.deadline = deadline ? std::optional<WallTime>(wall_at(*deadline)) : std::nullopt;
    batch.updates.push_back({std::move(next), deadline});
  }

  // Mounts the agent should not have: an epoch that is no longer its own. Each is judged once
  // per session; the memory of those the agent no longer reports goes.
  if (auto judged = judged_mounts_.find(agent_id); judged != judged_mounts_.end()) {
    std::erase_if(judged->second, [&](const auto& item) {
      auto it = reported.find(item.first);
      return origin == ReportOrigin::kRegistration || it == reported.end() ||
             it->second->epoch > item.second;
    });
    if (judged->second.empty()) judged_mounts_.erase(judged);
  }
  auto already_judged = [&](const std::string& name) {
    auto judged = judged_mounts_.find(agent_id);
    return judged != judged_mounts_.end() && judged->second.contains(name);
  };
  for (const auto& m : mounts) {
    auto it = volumes_.find(m.name);
    const VolumeRecord* v = it == volumes_.end() ? nullptr : &it->second.record;
    if (v != nullptr && v->attachment && v->attachment->agent_id == agent_id &&
        v->attachment->epoch == m.epoch) {
      continue;
    }
    if (already_judged(m.name)) continue;
    after.push_back([this, &agent_id, &m] { judged_mounts_[agent_id][m.name] = m.epoch; });
    if (m.epoch > (v != nullptr ? newest_epoch(*v) : last_epoch_)) {
      // Newer than anything this master granted: its store lost commits. Telling the holder
      // to stop could stop the one legitimate writer; say it loudly instead.
      spdlog::error(
          "agent {} reports volume {} mounted with epoch {}, newer than any this master "
          "granted; leaving it alone",
          agent_id, m.name, m.epoch);
      continue;
    }
    std::string why = "epoch " + std::to_string(m.epoch) + " of volume " + m.name +
                      " is no longer agent " + agent_id + "'s: ";
    if (v == nullptr) {
      why += "the volume was deleted";
    } else if (!v->attachment) {
      why += "its attachment was released";
    } else {
      why += "the volume is " + attachment_text(*v);
    }
    orders.push_back({VolumeOrder::Kind::kRevoke, agent_id, m.name, m.epoch, m.task_ids, why});
    // The order goes out on every session (one sent on an old session may be lost), but it is
    // news only once: a returning agent registers, polls, may register again and may report
    // the mount again after a failed unmount, and each used to publish volume_revoked anew.
    std::uint64_t& announced = revoked_[agent_id][m.name];
    if (announced >= m.epoch) {
      spdlog::info("{}; ordering it again to stop and unmount", why);
      continue;
    }
    spdlog::warn("{}; ordering it to stop and unmount", why);
    after.push_back([&announced, epoch = m.epoch] { announced = epoch; });
    VolumeEvent revoked;
    revoked.type = VolumeEventType::kRevoked;
    revoked.volume = m.name;
    revoked.agent_id = agent_id;
    revoked.epoch = m.epoch;
    revoked.message = why;
    revoked.at = clock_.wall();
    batch.events.push_back(std::move(revoked));
    after.push_back([this] { ++stats_.revocations; });
  }

  if (auto s = commit(std::move(batch)); !s.ok()) {
    return s.error().context("volumes reported by agent " + agent_id);
  }
  for (const auto& fn : after) fn();
  return orders;
}

Status VolumeController::agent_heartbeat(const std::string& agent_id, Instant acked_at) {
  Instant& last = last_ack_[agent_id];
  last = std::max(last, acked_at);
  Batch batch;
  std::vector<Entry*> back;
  std::vector<VolumeOrder> orders;
  for (const std::string& name : attached_to(agent_id)) {
    Entry& entry = volumes_.at(name);
    const VolumeRecord& v = entry.record;
    if (v.state != VolumeState::kFencing) continue;
    // The acknowledgement renewed the agent's lease: the fence must not complete. What is
    // mounted there is known again at its next report.
    VolumeRecord next = v;
    Instant deadline;
    if (v.claims.empty()) {
      next.state = VolumeState::kDetaching;
      deadline = clock_.now() + config_.detach_timeout;
      orders.push_back({VolumeOrder::Kind::kUnmount,
                        agent_id,
                        name,
                        v.attachment->epoch,
                        {},
                        "no task holds volume " + name + " any more"});
    } else {
      next.state = VolumeState::kAttaching;
      deadline = clock_.now() + config_.attach_timeout;
    }
    next.deadline = wall_at(deadline);
    next.updated_at = clock_.wall();
    batch.events.push_back(event(VolumeEventType::kUnfenced, v,
                                 "agent " + agent_id + " answered again before its lease ran out"));
    batch.updates.push_back({std::move(next), deadline});
    back.push_back(&entry);
  }
  if (batch.updates.empty()) return {};
  if (auto s = commit(std::move(batch)); !s.ok()) {
    return s.error().context("end the fencing of agent " + agent_id);
  }
  for (Entry* e : back) {
    ++stats_.fences_cancelled;
    e->fencing_since.reset();
    e->failover_from.reset();
    e->granted_at.reset();
  }
  for (const auto& order : orders) send(order);
  return {};
}

Status VolumeController::agent_unreachable(const std::string& agent_id, Instant last_acked) {
  // Count from the latest acknowledgement anyone knows of, and never from before this master
  // started: one that died could have acknowledged heartbeats it never told us about.
  Instant base = std::max(last_acked, recovered_at_);
  if (auto it = last_ack_.find(agent_id); it != last_ack_.end()) base = std::max(base, it->second);
  const Instant fence_at = base + config_.lease + config_.drift_margin;
  Batch batch;
  std::vector<Entry*> fencing;
  for (const std::string& name : attached_to(agent_id)) {
    Entry& entry = volumes_.at(name);
    const VolumeRecord& v = entry.record;
    // A local volume cannot go anywhere else: its tasks wait for their node.
    if (v.kind != VolumeKind::kExternal || v.state == VolumeState::kFencing) continue;
    VolumeRecord next = v;
    next.state = VolumeState::kFencing;
    next.deadline = wall_at(fence_at);
    next.updated_at = clock_.wall();
    const std::string message = "agent " + agent_id + " is unreachable; its lease on volume " +
                                name + " (epoch " + std::to_string(v.attachment->epoch) +
                                ") has certainly expired at " + format_timestamp(*next.deadline);
    spdlog::warn("{}", message);
    batch.events.push_back(event(VolumeEventType::kFencing, next, message));
    batch.updates.push_back({std::move(next), fence_at});
    fencing.push_back(&entry);
  }
  if (batch.updates.empty()) return {};
  if (auto s = commit(std::move(batch)); !s.ok()) {
    return s.error().context("fence the volumes of agent " + agent_id);
  }
  for (Entry* e : fencing) {
    ++stats_.fences_started;
    e->fencing_since = clock_.now();
    e->failover_from = base;
  }
  return {};
}

Status VolumeController::complete_fence(Entry& entry) {
  const VolumeRecord& v = entry.record;
  std::string message = "the lease of agent " + v.attachment->agent_id + " on volume " + v.name +
                        " (epoch " + std::to_string(v.attachment->epoch) +
                        ") has expired; the volume may be attached elsewhere";
  if (!v.claims.empty()) message += "; dropped the claims of " + tasks_text(v.claims);
  std::optional<Duration> took;
  if (entry.fencing_since) took = clock_.now() - *entry.fencing_since;
  VolumeRecord next = v;
  end_attachment(next, "fenced");
  next.claims.clear();
  next.state = VolumeState::kAvailable;
  next.deadline.reset();
  next.updated_at = clock_.wall();
  Batch batch;
  batch.events.push_back(event(VolumeEventType::kFenced, v, message, took));
  batch.updates.push_back({std::move(next), std::nullopt});
  if (auto s = commit(std::move(batch)); !s.ok()) return s.error().context("fence " + v.name);
  spdlog::warn("{}", message);
  ++stats_.fences_completed;
  entry.fencing_since.reset();
  entry.granted_at.reset();
  entry.reported_mounted = false;
  return {};
}

}  // namespace berth
