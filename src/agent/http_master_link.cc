// The agent's HTTP client side of the master-agent protocol.
#include "agent/http_master_link.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "http/event_loop.h"
#include "http/http_client.h"

namespace berth {
namespace {

// The master's {"message": ...} or the raw body.
std::string message_of(const HttpResponse& response) {
  auto doc = nlohmann::json::parse(response.body, nullptr, false);
  if (doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    return doc["message"].get<std::string>();
  }
  return response.body;
}

// An error of the right kind for a non-200 answer: 409 means "register again".
Error error_of(const HttpResponse& response, const std::string& what) {
  std::string message =
      what + ": HTTP " + std::to_string(response.status) + ": " + message_of(response);
  if (response.status == 409) return not_found(message);
  if (response.status >= 500) return unavailable(message);
  return invalid_argument(message);
}

}  // namespace

HttpMasterLink::HttpMasterLink(EventLoop& loop, std::string host, std::uint16_t port,
                               Duration lost_after)
    : loop_(loop),
      address_(host + ":" + std::to_string(port)),
      lost_after_(lost_after),
      calls_(std::make_unique<HttpClient>(loop, host, port)),
      polls_(std::make_unique<HttpClient>(loop, host, port)) {}

HttpMasterLink::~HttpMasterLink() {
  if (retry_timer_ != 0) loop_.clock().cancel(retry_timer_);
}

void HttpMasterLink::register_agent(const RegisterAgent& message,
                                    std::function<void(Result<RegisterReply>)> done) {
  ClientRequest request{"POST", "/agent/v1/register", to_json(message), "application/json",
                        std::chrono::milliseconds(5000)};
  calls_->request(request, [done, this](Result<HttpResponse> response) {
    if (!response.ok()) return done(response.error().context("register with master " + address_));
    if (response->status != 200) {
      return done(error_of(*response, "register with master " + address_));
    }
    done(parse_register_reply(response->body));
  });
}

void HttpMasterLink::send_status(const SessionRef& ref, const std::vector<StatusUpdate>& updates,
                                 std::function<void(Result<std::vector<std::string>>)> done) {
  ClientRequest request{"POST", "/agent/v1/status", status_request_json(ref, updates),
                        "application/json", std::chrono::milliseconds(5000)};
  calls_->request(request, [done, this](Result<HttpResponse> response) {
    if (!response.ok()) return done(response.error().context("status updates to " + address_));
    if (response->status != 200) return done(error_of(*response, "status updates"));
    done(parse_acks(response->body));
  });
}

void HttpMasterLink::start_polling(const SessionRef& ref,
                                   std::function<void(std::vector<AgentCommand>)> on_commands,
                                   std::function<void(const Error&)> on_lost,
                                   std::function<void(Instant sent)> on_answered,
                                   std::function<std::vector<MountedVolume>()> mounts) {
  ref_ = ref;
  on_commands_ = std::move(on_commands);
  on_lost_ = std::move(on_lost);
  on_answered_ = std::move(on_answered);
  mounts_ = std::move(mounts);
  polling_ = true;
  failing_ = false;
  ++generation_;
  poll_once();
}

void HttpMasterLink::stop_polling() {
  polling_ = false;
  ++generation_;
}

void HttpMasterLink::poll_once() {
  const std::uint64_t generation = generation_;
  // Taken before the request leaves: the lease the answer renews runs from here.
  const Instant sent = loop_.clock().now();
  PollRequest poll{ref_, mounts_ ? mounts_() : std::vector<MountedVolume>{}};
  ClientRequest request{"POST", "/agent/v1/poll", poll_request_json(poll), "application/json",
                        std::chrono::milliseconds(30000)};
  polls_->request(request, [this, generation, sent](Result<HttpResponse> response) {
    if (!polling_ || generation != generation_) return;
    Error failure;
    if (response.ok() && response->status == 200) {
      auto commands = parse_commands(response->body);
      if (commands.ok()) {
        failing_ = false;
        if (on_answered_) on_answered_(sent);
        if (!polling_ || generation != generation_) return;
        if (!commands->empty()) on_commands_(std::move(commands).value());
        if (polling_ && generation == generation_) poll_once();
        return;
      }
      failure = commands.error();
    } else if (response.ok()) {
      failure = error_of(*response, "poll master " + address_);
      if (failure.code == ErrorCode::kNotFound) {
        polling_ = false;
        return on_lost_(failure);
      }
    } else {
      failure = response.error();
    }
    const Instant now = loop_.clock().now();
    if (!failing_) {
      failing_ = true;
      failing_since_ = now;
      spdlog::warn("cannot reach the master at {}: {}; retrying", address_, failure.message);
    }
    if (now - failing_since_ > lost_after_) {
      polling_ = false;
      return on_lost_(failure.context("master unreachable"));
    }
    retry_timer_ = loop_.clock().schedule(std::chrono::milliseconds(200), [this, generation] {
      retry_timer_ = 0;
      if (polling_ && generation == generation_) poll_once();
    });
  });
}

}  // namespace berth
