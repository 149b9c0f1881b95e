// The lifecycle of a volume as the master's VolumeController drives it. One state per volume,
// persisted in the volume's record; a transitional state (CREATING, ATTACHING, DETACHING,
// FENCING, DELETING) is written to the StateStore *before* the step it guards is started, so a
// master that dies at any point finds, on recovery, a state that names what to finish or undo.
//
//        create() or the first claim (implicit creation)
//                 |
//                 v
//             CREATING ---- provisioner ok ----------------------+   (no provisioner: straight
//             |  ^  (failure or timeout: error shown, retried     |    to AVAILABLE)
//             +--+   with backoff; claims wait)                   v
//                                     +-------------------> AVAILABLE <-----------------------+
//                                     |                     |  |    |                         |
//                                     |  claim_for_launch() |  |    | remove() (no claims)   |
//                                     |  on agent A: epoch  |  |    v                         |
//                                     |  E = next epoch     |  |  DELETING -- provisioner ok -->
//                                     (gone) |                     v  |    (failure/timeout:
//                                     retried) |       ATTACHING(A, E)  | |         |        | |
//                  A reports no mount |  A reports E     | last claim released
//                  after the release  |  mounted         | (or attach_timeout: revoke)
//                                     |         v        v
//                                     +--- DETACHING(A, E) <-- last claim released -- ATTACHED(A,
//                                     E)
//                                                                                     (A reports E)
//
//   ATTACHING / ATTACHED / DETACHING(A, E), external volume, A declared unreachable:
//          --> FENCING(A, E, fence_at = last heartbeat acknowledged to A + lease + drift margin)
//   FENCING --(clock reaches fence_at)--> AVAILABLE; claims of A's tasks are dropped, and the next
//          claim gets a new epoch E' > E (the failover)
//   FENCING --(A is heard from again before fence_at)--> what A's report shows: ATTACHED (E
//          mounted, claims left), DETACHING (mounted, no claims), ATTACHING (not mounted, claims
//          left) or AVAILABLE (neither); a bare heartbeat: ATTACHING or DETACHING until it reports
//
//   Edges that keep the same agent and epoch:
//   DETACHING(A, E) --a new claim on A--> ATTACHED (A's last report has E mounted) or ATTACHING
//   ATTACHED(A, E) --A reports no mount while a claim holds it--> ATTACHING (error shown)
//   ATTACHED(A, E) --A reports no mount and nothing claims it--> AVAILABLE
//   a state to itself: claims added or dropped, an error recorded, a retry, a resize
//
// Rules the controller keeps:
// - One operation in flight per volume: a claim, release, delete or report that would start a
//   second one is refused with the reason (kUnavailable while it should wait, kConflict when
//   the caller must change something first).
// - Every transitional state has a deadline and, when it passes, a visible error (lastError and
//   an event). No deadline gives a volume away: ATTACHING and DETACHING time out into a revoke
//   order for the agent and keep waiting for the agent's confirmation or for its fencing.
// - A volume is never given to a second node while the first may still write: only the node's
//   own report (the mount is gone) or the certain expiry of its lease releases an attachment.
// - Epochs come from one cluster-wide counter, so they only grow, for a volume and across a
//   delete-then-recreate of the same name: a node holding an old epoch can never mistake a newer
//   attachment for its own.
// - Local persistent volumes are pinned to one agent and are never fenced: when that agent is
//   gone their tasks wait for it.
#pragma once

#include <optional>
#include <string_view>

namespace berth {

enum class VolumeState {
  kCreating,
  kAvailable,
  kAttaching,
  kAttached,
  kDetaching,
  kFencing,
  kDeleting,
};

// "CREATING", "AVAILABLE", ... as the API and the store spell them.
std::string_view to_string(VolumeState state);
std::optional<VolumeState> parse_volume_state(std::string_view text);

// States that guard an operation in flight (everything but AVAILABLE and ATTACHED).
bool is_transitional(VolumeState state);
// States in which the volume holds an attachment to an agent.
bool has_attachment(VolumeState state);
// Whether the diagram above has the edge `from` -> `to` (a self-edge counts when the diagram
// loops, e.g. CREATING retried). The controller asserts every change it makes against this.
bool is_allowed_transition(VolumeState from, VolumeState to);

}  // namespace berth
