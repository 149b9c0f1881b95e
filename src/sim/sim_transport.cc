// SimAgentChannel and SimMasterLink: the protocol's delivery rules on the simulated network.
#include "sim/sim_transport.h"

#include <utility>

namespace berth::sim {

// ---- master side ---------------------------------------------------------------------------

SimAgentChannel::~SimAgentChannel() {
  for (auto& [id, box] : boxes_) {
    if (box.timeout != 0) clock_.cancel(box.timeout);
    if (box.held) box.held(unavailable("connection reset: the master went away"));
  }
}

SimAgentChannel::Mailbox& SimAgentChannel::mailbox(const std::string& agent_id,
                                                   const std::string& session) {
  Mailbox& box = boxes_[agent_id];
  if (box.session != session) {
    // Commands queued for an older session are void; a poll held for it must register again.
    box.queue.clear();
    if (box.held) answer(box, not_found("session replaced; register again"));
    box.session = session;
  }
  return box;
}

void SimAgentChannel::answer(Mailbox& box, Result<std::vector<AgentCommand>> result) {
  if (box.timeout != 0) {
    clock_.cancel(box.timeout);
    box.timeout = 0;
  }
  PollReply held = std::move(box.held);
  box.held = nullptr;
  if (held) held(std::move(result));
}

void SimAgentChannel::send(const std::string& agent_id, const std::string& session,
                           AgentCommand command) {
  Mailbox& box = mailbox(agent_id, session);
  box.queue.push_back(std::move(command));
  if (box.held) answer(box, std::exchange(box.queue, {}));
}

void SimAgentChannel::close_session(const std::string& agent_id, const std::string& session) {
  auto it = boxes_.find(agent_id);
  if (it == boxes_.end() || it->second.session != session) return;
  if (it->second.held) answer(it->second, not_found("session closed; register again"));
  if (it->second.timeout != 0) clock_.cancel(it->second.timeout);
  boxes_.erase(it);
}

void SimAgentChannel::poll(const std::string& agent_id, const std::string& session,
                           PollReply reply) {
  Mailbox& box = mailbox(agent_id, session);
  // A newer poll replaces one the agent gave up on.
  if (box.held) answer(box, std::vector<AgentCommand>{});
  box.held = std::move(reply);
  if (!box.queue.empty()) {
    answer(box, std::exchange(box.queue, {}));
    return;
  }
  box.timeout = clock_.schedule(poll_timeout_, [this, agent_id] {
    auto it = boxes_.find(agent_id);
    if (it == boxes_.end()) return;
    it->second.timeout = 0;
    answer(it->second, std::exchange(it->second.queue, {}));
  });
}

// ---- agent side ----------------------------------------------------------------------------

SimMasterLink::SimMasterLink(std::string agent, Clock& clock, SimNetwork& network,
                             SimMasterEndpoint& master, LinkTimeouts timeouts)
    : agent_(std::move(agent)),
      clock_(clock),
      network_(network),
      master_(master),
      timeouts_(timeouts) {}

template <typename T>
void SimMasterLink::call(
    Duration timeout,
    std::function<void(SimMasterEndpoint&, std::function<void(Result<T>)>)> handle,
    std::function<void(Result<T>)> done) {
  auto answered = std::make_shared<bool>(false);
  std::weak_ptr<bool> alive = alive_;
  auto finish = [answered, alive, done](const Result<T>& result) {
    if (*answered || alive.expired()) return;
    *answered = true;
    done(result);
  };
  // Built outside the lambda: GCC 12 misreads a Result moved out of a temporary here
  // (-Wmaybe-uninitialized inside std::variant).
  auto timed_out = std::make_shared<Result<T>>(unavailable("request timed out"));
  clock_.schedule(timeout, [finish, timed_out] { finish(*timed_out); });
  // Only the network and the master (both outlive every link) are reached from the wire.
  SimNetwork* network = &network_;
  SimMasterEndpoint* master = &master_;
  const std::string agent = agent_;
  network_.send(agent, Direction::kToMaster, [network, master, agent, handle, finish] {
    auto reply = [network, agent, finish](Result<T> result) {
      network->send(agent, Direction::kToAgent, [finish, result] { finish(result); });
    };
    if (!master->up()) return reply(unavailable("connection refused: the master is down"));
    handle(*master, reply);
  });
}

void SimMasterLink::register_agent(const RegisterAgent& message,
                                   std::function<void(Result<RegisterReply>)> done) {
  call<RegisterReply>(
      timeouts_.call,
      [message](SimMasterEndpoint& master, std::function<void(Result<RegisterReply>)> reply) {
        reply(master.register_agent(message));
      },
      std::move(done));
}

void SimMasterLink::send_status(const SessionRef& ref, const std::vector<StatusUpdate>& updates,
                                std::function<void(Result<std::vector<std::string>>)> done) {
  using Acks = std::vector<std::string>;
  std::weak_ptr<bool> alive = alive_;
  call<Acks>(
      timeouts_.call,
      [ref, updates](SimMasterEndpoint& master, std::function<void(Result<Acks>)> reply) {
        reply(master.update_status(ref, updates));
      },
      [this, alive, done = std::move(done)](Result<Acks> acks) {
        if (acks.ok() && on_acked && !alive.expired()) on_acked(*acks);
        done(std::move(acks));
      });
}

void SimMasterLink::start_polling(const SessionRef& ref,
                                  std::function<void(std::vector<AgentCommand>)> on_commands,
                                  std::function<void(const Error&)> on_lost,
                                  std::function<void(Instant sent)> on_answered,
                                  std::function<std::vector<MountedVolume>()> mounts) {
  ref_ = ref;
  mounts_ = std::move(mounts);
  on_commands_ = std::move(on_commands);
  on_lost_ = std::move(on_lost);
  on_answered_ = std::move(on_answered);
  polling_ = true;
  failing_ = false;
  ++generation_;
  poll_once();
}

void SimMasterLink::stop_polling() {
  polling_ = false;
  ++generation_;
}

void SimMasterLink::poll_once() {
  const std::uint64_t generation = generation_;
  // Taken before the request leaves, on the agent's clock: the lease runs from here.
  const Instant sent = clock_.now();
  const SessionRef ref = ref_;
  std::vector<MountedVolume> mounts = mounts_ ? mounts_() : std::vector<MountedVolume>{};
  using Commands = std::vector<AgentCommand>;
  call<Commands>(
      timeouts_.poll,
      [ref, mounts](SimMasterEndpoint& master, std::function<void(Result<Commands>)> reply) {
        master.poll(ref, mounts, std::move(reply));
      },
      [this, generation, sent](Result<Commands> answer) {
        on_poll_answer(generation, sent, std::move(answer));
      });
}

void SimMasterLink::on_poll_answer(std::uint64_t generation, Instant sent,
                                   Result<std::vector<AgentCommand>> answer) {
  if (!polling_ || generation != generation_) return;
  if (answer.ok()) {
    failing_ = false;
    if (on_answered_) on_answered_(sent);
    if (!polling_ || generation != generation_) return;
    if (!answer->empty()) on_commands_(std::move(answer).value());
    if (polling_ && generation == generation_) poll_once();
    return;
  }
  if (answer.error().code == ErrorCode::kNotFound) {
    polling_ = false;
    return on_lost_(answer.error());
  }
  const Instant now = clock_.now();
  if (!failing_) {
    failing_ = true;
    failing_since_ = now;
  }
  if (now - failing_since_ > timeouts_.lost_after) {
    polling_ = false;
    return on_lost_(answer.error().context("master unreachable"));
  }
  std::weak_ptr<bool> alive = alive_;
  clock_.schedule(timeouts_.poll_retry, [this, alive, generation] {
    if (!alive.expired() && polling_ && generation == generation_) poll_once();
  });
}

}  // namespace berth::sim
