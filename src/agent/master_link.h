// MasterLink: how the agent core talks to the master. The live agent speaks HTTP (register,
// long-poll for commands, post status updates); tests and the simulator deliver messages
// directly. Replies come back through the callbacks, on the agent's loop, never re-entrantly.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "common/clock.h"
#include "common/result.h"

namespace berth {

class MasterLink {
 public:
  virtual ~MasterLink() = default;

  virtual void register_agent(const RegisterAgent& message,
                              std::function<void(Result<RegisterReply>)> done) = 0;
  virtual void send_status(const SessionRef& ref, const std::vector<StatusUpdate>& updates,
                           std::function<void(Result<std::vector<std::string>>)> done) = 0;
  // Polls for commands on `ref` until stop_polling(): every poll the master answers is reported
  // to `on_answered` with the instant (the link's clock, the agent's) the poll was SENT, since
  // the master's lease on the agent's volumes runs from its acknowledged heartbeats; then its
  // commands, if any, go to `on_commands`. When the master rejects the session (kNotFound) or
  // cannot be reached for a while, `on_lost` is called once and polling stops. Each poll
  // carries `mounts()`, called as it is sent: the agent's mounted volumes at that instant.
  virtual void start_polling(const SessionRef& ref,
                             std::function<void(std::vector<AgentCommand>)> on_commands,
                             std::function<void(const Error&)> on_lost,
                             std::function<void(Instant sent)> on_answered,
                             std::function<std::vector<MountedVolume>()> mounts) = 0;
  virtual void stop_polling() = 0;
};

}  // namespace berth
