// AgentListener: what parts of the master beyond MasterCore need to hear about agents'
// liveness, chiefly the VolumeController, whose fencing runs on the same heartbeats. MasterCore
// calls each listener synchronously on its event loop, after the change it reports has been
// persisted; a listener must not call back into MasterCore except send_to_agent().
#pragma once

#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "common/clock.h"

namespace berth {

class AgentListener {
 public:
  virtual ~AgentListener() = default;

  // The agent registered (or registered again) with this message; `agent_id` is the id it was
  // given. A registration is also an acknowledged heartbeat: agent_heartbeat() comes just
  // before this call.
  virtual void agent_registered(const std::string& agent_id, const RegisterAgent& message) = 0;
  // A poll of the agent was accepted at `acked_at` (the master's clock): a heartbeat
  // acknowledged. Never earlier than the moment the agent sent it, so a lease counted by the
  // agent from its send time ends no later than one counted from here.
  virtual void agent_heartbeat(const std::string& agent_id, Instant acked_at) = 0;
  // The master gave up on the agent; `last_seen` is when it last heard from it.
  virtual void agent_unreachable(const std::string& agent_id, Instant last_seen) = 0;
};

}  // namespace berth
