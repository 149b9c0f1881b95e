// VolumeWiring: connects the master's VolumeController to the rest of the live master. It hears
// agents' registrations, heartbeats and unreachability from MasterCore (AgentListener) and hands
// them to the controller; it turns the controller's VolumeOrders into agent commands on the
// agent's session, its VolumeEvents into Berth-specific events on the event bus (which only
// subscribers naming them by event_type receive, since Marathon's clients reject types they do
// not know), and its latencies and counters into metrics.
//
//   MasterCore --registered/heartbeat/unreachable--> VolumeWiring --> VolumeController
//   poll route --the agent's mounts (current session only)--> VolumeWiring::agent_polled
//   VolumeController --orders--> VolumeWiring --AgentCommand--> MasterCore::send_to_agent
//   VolumeController --events--> VolumeWiring --> EventBus ("volume_attached", ...), metrics
//
// Threading: the master's event loop, like everything it touches.
#pragma once

#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "master/agent_listener.h"
#include "storage/volume_controller.h"

namespace berth {

class EventBus;
class MasterCore;
class MetricsRegistry;

// The agent command that carries an order (UNMOUNT_VOLUME or REVOKE_VOLUME on the wire).
AgentCommand to_agent_command(const VolumeOrder& order);

// The event as /v2/events sends it: one line of JSON with `eventType` ("volume_attached", ...),
// `timestamp` (Marathon's format), `volume`, and `agentId`, `epoch`, `message`,
// `durationSeconds` when the event has them.
std::string volume_event_json(const VolumeEvent& event);

// The Berth-specific event types, for subscribers that want them all.
std::vector<std::string> volume_event_types();

class VolumeWiring final : public AgentListener {
 public:
  // Subscribes to the controller's events and timer orders and to the core's agents. Build it
  // after MasterCore::recover() and before VolumeController::recover(), so that the events of
  // the recovery are published. Every reference must outlive this object.
  VolumeWiring(VolumeController& controller, MasterCore& core, EventBus& bus,
               MetricsRegistry& metrics);
  ~VolumeWiring() override = default;
  VolumeWiring(const VolumeWiring&) = delete;
  VolumeWiring& operator=(const VolumeWiring&) = delete;

  // After VolumeController::recover(): agents the store already held as unreachable will not be
  // declared so again by the core, so their external volumes start fencing now.
  void recovered();

  // Delivers orders to their agents. An agent without a session (unreachable) gets none: the
  // controller repeats what still matters when it registers again and reports its mounts.
  void send(const std::vector<VolumeOrder>& orders);
  void send(const VolumeOrder& order);

  // An accepted poll of the agent's current session (MasterCore::heartbeat() said so) carried
  // `mounts`, its mounts when it sent the poll: the controller hears them as a poll's report and
  // the orders it answers with go out at once.
  void agent_polled(const std::string& agent_id, const std::vector<MountedVolume>& mounts);

  void agent_registered(const std::string& agent_id, const RegisterAgent& message) override;
  void agent_heartbeat(const std::string& agent_id, Instant acked_at) override;
  void agent_unreachable(const std::string& agent_id, Instant last_seen) override;

 private:
  void publish(const VolumeEvent& event);
  void register_metrics();

  VolumeController& controller_;
  MasterCore& core_;
  EventBus& bus_;
  MetricsRegistry& metrics_;
};

}  // namespace berth
