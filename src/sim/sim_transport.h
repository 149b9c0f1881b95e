// The master <-> agent protocol over SimNetwork, as the live HTTP adapters carry it:
//
//   agent: AgentCore --SimMasterLink--> SimNetwork --> SimMasterEndpoint (the master process)
//   master: MasterCore --SimAgentChannel (mailboxes, held long polls)--> poll answers
//
// SimMasterLink keeps HttpMasterLink's behaviour (http_master_link.cc): request timeouts, a poll
// that is answered renews the lease from the instant it was SENT on the agent's own clock, a
// 409 (kNotFound) means "register again", polls that keep failing for `lost_after` lose the
// session. SimAgentChannel keeps HttpAgentChannel's: one mailbox per agent, commands queued for
// the current session only, one held poll answered when a command comes or the poll times out.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/master_link.h"
#include "master/agent_channel.h"
#include "sim/sim_network.h"

namespace berth::sim {

using PollReply = std::function<void(Result<std::vector<AgentCommand>>)>;

// The master process as the network reaches it. Calls arrive only while up().
class SimMasterEndpoint {
 public:
  virtual ~SimMasterEndpoint() = default;
  virtual bool up() const = 0;
  virtual Result<RegisterReply> register_agent(const RegisterAgent& message) = 0;
  virtual Result<std::vector<std::string>> update_status(
      const SessionRef& ref, const std::vector<StatusUpdate>& updates) = 0;
  // Answers now (kNotFound: register again) or holds the poll in the channel. `mounts` is what
  // the agent had mounted when it sent the poll.
  virtual void poll(const SessionRef& ref, const std::vector<MountedVolume>& mounts,
                    PollReply reply) = 0;
};

class SimAgentChannel final : public AgentChannel {
 public:
  SimAgentChannel(Clock& clock, Duration poll_timeout)
      : clock_(clock), poll_timeout_(poll_timeout) {}
  // The process dies: every held poll's connection is reset.
  ~SimAgentChannel() override;

  void send(const std::string& agent_id, const std::string& session, AgentCommand command) override;
  void close_session(const std::string& agent_id, const std::string& session) override;
  void poll(const std::string& agent_id, const std::string& session, PollReply reply);

 private:
  struct Mailbox {
    std::string session;
    std::vector<AgentCommand> queue;
    PollReply held;
    TimerId timeout = 0;
  };
  Mailbox& mailbox(const std::string& agent_id, const std::string& session);
  void answer(Mailbox& box, Result<std::vector<AgentCommand>> answer);

  Clock& clock_;
  Duration poll_timeout_;
  std::map<std::string, Mailbox> boxes_;
};

struct LinkTimeouts {
  Duration call = std::chrono::seconds(5);   // register, status
  Duration poll = std::chrono::seconds(30);  // a held poll
  Duration lost_after = std::chrono::seconds(5);
  Duration poll_retry = std::chrono::milliseconds(200);
};

class SimMasterLink final : public MasterLink {
 public:
  // `agent` names the link in the network; `clock` is the agent's own (drifting) clock.
  SimMasterLink(std::string agent, Clock& clock, SimNetwork& network, SimMasterEndpoint& master,
                LinkTimeouts timeouts = {});
  ~SimMasterLink() override = default;

  void register_agent(const RegisterAgent& message,
                      std::function<void(Result<RegisterReply>)> done) override;
  void send_status(const SessionRef& ref, const std::vector<StatusUpdate>& updates,
                   std::function<void(Result<std::vector<std::string>>)> done) override;
  void start_polling(const SessionRef& ref,
                     std::function<void(std::vector<AgentCommand>)> on_commands,
                     std::function<void(const Error&)> on_lost,
                     std::function<void(Instant sent)> on_answered,
                     std::function<std::vector<MountedVolume>()> mounts) override;
  void stop_polling() override;

  // Acknowledged status updates, as the agent received them (for the invariants).
  std::function<void(const std::vector<std::string>& acks)> on_acked;

 private:
  // One request and its answer: `handle` runs at the master if the request gets there while it
  // is up and answers through `reply`; `done` gets the first answer or the timeout, once, and
  // never after this link is gone.
  template <typename T>
  void call(Duration timeout,
            std::function<void(SimMasterEndpoint&, std::function<void(Result<T>)>)> handle,
            std::function<void(Result<T>)> done);
  void poll_once();
  void on_poll_answer(std::uint64_t generation, Instant sent,
                      Result<std::vector<AgentCommand>> answer);

  std::string agent_;
  Clock& clock_;
  SimNetwork& network_;
  SimMasterEndpoint& master_;
  LinkTimeouts timeouts_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  SessionRef ref_;
  std::uint64_t generation_ = 0;
  bool polling_ = false;
  bool failing_ = false;
  Instant failing_since_{};
  std::function<void(std::vector<AgentCommand>)> on_commands_;
  std::function<void(const Error&)> on_lost_;
  std::function<void(Instant)> on_answered_;
  std::function<std::vector<MountedVolume>()> mounts_;
};

}  // namespace berth::sim
