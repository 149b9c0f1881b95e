// HttpClient: requests to one host:port over a kept-alive connection, one at a time in the order
// they were made, with a timeout per request. Reconnects when the connection breaks. Callbacks run
// on the loop. For the agent's calls to the master, and the master's to agents.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "http/http_types.h"

namespace berth {

class EventLoop;

struct ClientRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string body;
  std::string content_type = "application/json";
  // From request() to the response, time spent queued behind earlier requests included.
  std::chrono::milliseconds timeout{10000};
};

class HttpClient {
 public:
  using Callback = std::function<void(Result<HttpResponse>)>;

  HttpClient(EventLoop& loop, std::string host, std::uint16_t port);
  ~HttpClient();  // pending callbacks are not called after destruction
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any status is a successful Result; connection failures and timeouts are kUnavailable errors.
  void request(ClientRequest request, Callback callback);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// One blocking request on a private connection, for the command-line client and tools.
Result<HttpResponse> http_fetch(const std::string& host, std::uint16_t port,
                                const ClientRequest& request);

}  // namespace berth
