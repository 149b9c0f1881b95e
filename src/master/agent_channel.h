// AgentChannel: how MasterCore sends commands to an agent's current session. The live master
// queues them for the agent's next long poll; tests and the simulator record or deliver them.
// Delivery is not guaranteed: a command for a session that has ended is dropped, and the
// re-registration that follows reconciles what the agent really runs.
#pragma once

#include <string>

#include "api/agent_protocol.h"

namespace berth {

class AgentChannel {
 public:
  virtual ~AgentChannel() = default;
  virtual void send(const std::string& agent_id, const std::string& session,
                    AgentCommand command) = 0;
  // The session ended (agent unreachable or registered again): drop its queue and answer any
  // poll it holds.
  virtual void close_session(const std::string& agent_id, const std::string& session) = 0;
};

}  // namespace berth
