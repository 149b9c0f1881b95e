// HttpMasterLink: the live MasterLink over HTTP/1.1. Calls (register, status) share one kept-alive
// connection; the long poll has its own, so a held poll never delays an update.
#pragma once

#include <memory>
#include <string>

#include "agent/master_link.h"
#include "common/clock.h"

namespace berth {

class EventLoop;
class HttpClient;

class HttpMasterLink final : public MasterLink {
 public:
  // `lost_after`: how long polls may keep failing before the session is considered lost.
  HttpMasterLink(EventLoop& loop, std::string host, std::uint16_t port, Duration lost_after);
  ~HttpMasterLink() override;

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

 private:
  void poll_once();

  EventLoop& loop_;
  std::string address_;
  Duration lost_after_;
  std::unique_ptr<HttpClient> calls_;
  std::unique_ptr<HttpClient> polls_;
  SessionRef ref_;
  std::uint64_t generation_ = 0;  // bumps on stop, so stale poll replies are dropped
  bool polling_ = false;
  Instant failing_since_{};
  bool failing_ = false;
  TimerId retry_timer_ = 0;
  std::function<void(std::vector<AgentCommand>)> on_commands_;
  std::function<void(const Error&)> on_lost_;
  std::function<void(Instant)> on_answered_;
  std::function<std::vector<MountedVolume>()> mounts_;
};

}  // namespace berth
