// HttpAgentChannel: the live AgentChannel. Commands for an agent wait in its mailbox until the
// agent's long poll collects them; a poll that arrives to an empty mailbox is held until a
// command comes or the poll timeout passes, so commands reach agents within a round trip.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "http/http_server.h"
#include "master/agent_channel.h"

namespace berth {

class HttpAgentChannel final : public AgentChannel {
 public:
  HttpAgentChannel(Clock& clock, Duration poll_timeout)
      : clock_(clock), poll_timeout_(poll_timeout) {}
  ~HttpAgentChannel() override;

  void send(const std::string& agent_id, const std::string& session, AgentCommand command) override;
  void close_session(const std::string& agent_id, const std::string& session) override;

  // A poll of a session that the core has just validated.
  void poll(const std::string& agent_id, const std::string& session, Responder responder);

 private:
  struct Mailbox {
    std::string session;
    std::vector<AgentCommand> queue;
    std::optional<Responder> held;
    TimerId timeout = 0;
  };
  Mailbox& mailbox(const std::string& agent_id, const std::string& session);
  // Answers the held poll, if any, with whatever is queued.
  void deliver(Mailbox& box);

  Clock& clock_;
  Duration poll_timeout_;
  std::map<std::string, Mailbox> boxes_;
};

}  // namespace berth
