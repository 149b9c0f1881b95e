// Mailboxes and held long polls of the agents' command channel.
#include "master/http_agent_channel.h"

namespace berth {

HttpAgentChannel::~HttpAgentChannel() {
  for (auto& [id, box] : boxes_) {
    if (box.timeout != 0) clock_.cancel(box.timeout);
  }
}

HttpAgentChannel::Mailbox& HttpAgentChannel::mailbox(const std::string& agent_id,
                                                     const std::string& session) {
  Mailbox& box = boxes_[agent_id];
  if (box.session != session) {
    // A new registration: what was queued for the old session is void.
    box.queue.clear();
    if (box.held) {
      (*box.held)(HttpResponse{
          409, "application/json", R"({"message":"session replaced; register again"})", {}});
      box.held.reset();
    }
    box.session = session;
  }
  return box;
}

void HttpAgentChannel::send(const std::string& agent_id, const std::string& session,
                            AgentCommand command) {
  Mailbox& box = mailbox(agent_id, session);
  box.queue.push_back(std::move(command));
  deliver(box);
}

void HttpAgentChannel::close_session(const std::string& agent_id, const std::string& session) {
  auto it = boxes_.find(agent_id);
  if (it == boxes_.end() || it->second.session != session) return;
  Mailbox& box = it->second;
  if (box.timeout != 0) clock_.cancel(box.timeout);
  if (box.held) {
    (*box.held)(HttpResponse{
        409, "application/json", R"({"message":"session closed; register again"})", {}});
  }
  boxes_.erase(it);
}

void HttpAgentChannel::poll(const std::string& agent_id, const std::string& session,
                            Responder responder) {
  Mailbox& box = mailbox(agent_id, session);
  if (box.held) {
    // A newer poll replaces one the agent gave up on.
    (*box.held)(HttpResponse{200, "application/json", commands_json({}), {}});
    box.held.reset();
  }
  if (box.timeout != 0) {
    clock_.cancel(box.timeout);
    box.timeout = 0;
  }
  box.held = std::move(responder);
  if (!box.queue.empty()) {
    deliver(box);
    return;
  }
  box.timeout = clock_.schedule(poll_timeout_, [this, agent_id] {
    auto it = boxes_.find(agent_id);
    if (it == boxes_.end()) return;
    it->second.timeout = 0;
    deliver(it->second);
    if (it->second.held) {
      (*it->second.held)(HttpResponse{200, "application/json", commands_json({}), {}});
      it->second.held.reset();
    }
  });
}

void HttpAgentChannel::deliver(Mailbox& box) {
  if (!box.held || box.queue.empty()) return;
  (*box.held)(HttpResponse{200, "application/json", commands_json(box.queue), {}});
  box.queue.clear();
  box.held.reset();
  if (box.timeout != 0) {
    clock_.cancel(box.timeout);
    box.timeout = 0;
  }
}

}  // namespace berth
