// What the VolumeController tells the rest of the master: events for the event stream and for
// metrics, orders for agents, and running counters. Plain structs; the live master turns events
// into `/v2/events` messages (only for subscribers that ask for these Berth-specific types) and
// histograms, and orders into agent commands.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace berth {

enum class VolumeEventType {
  kCreated,     // AVAILABLE for the first time
  kAttaching,   // an epoch was granted to an agent (claim)
  kAttached,    // the agent reported the mount; `took` = claim -> mount
  kDetaching,   // the last claim was released
  kDetached,    // the agent confirmed the unmount
  kFencing,     // its agent became unreachable; waiting for the lease to expire
  kFenced,      // the lease expired: the attachment is released; `took` = notice -> release
  kUnfenced,    // the agent came back before its lease expired; it keeps the volume
  kFailedOver,  // attached on a new agent after a fence; `took` = last heartbeat of the
                // old agent -> the mount on the new one
  kRevoked,     // an agent holding a stale epoch was told to stop and unmount
  kDeleting,
  kDeleted,
  kError,  // an operation failed or passed its deadline; `message` says which and why
};

// "volume_created", "volume_attached", ... (the `eventType` on the event stream).
std::string_view to_string(VolumeEventType type);

struct VolumeEvent {
  VolumeEventType type = VolumeEventType::kCreated;
  std::string volume;
  std::string agent_id;  // when the event concerns an attachment
  std::uint64_t epoch = 0;
  std::string message;
  WallTime at;
  std::optional<Duration> took;  // latency, for the events that say so above
};

// A command for one agent, to be delivered on its channel. Both kinds are idempotent.
struct VolumeOrder {
  enum class Kind {
    // The attachment is over: stop `kill_task_ids` if any (an attach that timed out), then
    // unmount `volume` once no task on the agent uses it. The epoch stays the agent's.
    kUnmount,
    // `epoch` is no longer the agent's: kill `kill_task_ids` (the tasks the agent reported
    // using it), unmount it if it is mounted with that epoch (not a newer one), and never mount
    // that epoch again.
    kRevoke,
  };

  Kind kind = Kind::kUnmount;
  std::string agent_id;
  std::string volume;
  std::uint64_t epoch = 0;
  std::vector<std::string> kill_task_ids;
  std::string reason;

  bool operator==(const VolumeOrder&) const = default;
};

// Counters since the controller started (not persisted; the metrics exporter reads them).
struct VolumeControllerStats {
  std::uint64_t created = 0;
  std::uint64_t deleted = 0;
  std::uint64_t epochs_granted = 0;
  std::uint64_t attaches_confirmed = 0;
  std::uint64_t detaches_confirmed = 0;
  std::uint64_t fences_started = 0;
  std::uint64_t fences_completed = 0;
  std::uint64_t fences_cancelled = 0;
  std::uint64_t failovers = 0;
  std::uint64_t revocations = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t operation_failures = 0;
  std::uint64_t claims_refused = 0;
};

}  // namespace berth
