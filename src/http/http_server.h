// HttpServer: an HTTP/1.1 server on the event loop, with keep-alive, a bounded request body and
// responses that a handler may send later (long polls) or stream chunk by chunk (Server-Sent
// Events). Handlers run on the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "http/http_types.h"

namespace berth {

class EventLoop;

// A response being streamed with chunked encoding (text/event-stream and the like).
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues `data` as one chunk and flushes it. Returns false once the client has gone.
  virtual bool write(std::string data) = 0;
  // Ends the stream (the final empty chunk) and closes the connection.
  virtual void close() = 0;
  virtual bool open() const = 0;
  // Called once on the loop when the client disconnects or the stream is closed.
  virtual void on_close(std::function<void()> fn) = 0;
  // Bytes accepted by write() that the socket has not taken yet: what a producer checks before
  // writing more, so that its own bounded queue (not this one) absorbs a slow client.
  virtual std::size_t buffered_bytes() const { return 0; }
  // Called on the loop each time everything written so far has gone to the socket (never inside
  // write()). Replaces the previous callback.
  virtual void on_drained(std::function<void()> fn) { (void)fn; }
};

// Answers one request, exactly once: with a whole response, or by starting a stream. A responder
// dropped without answering sends 500. Copyable; the first answer wins.
class Responder {
 public:
  struct State;
  explicit Responder(std::shared_ptr<State> state) : state_(std::move(state)) {}

  void operator()(HttpResponse response) const;
  // Sends the status line and headers of `head` (its body is ignored) and returns the stream.
  std::shared_ptr<ResponseStream> stream(HttpResponse head) const;
  // False once the connection that asked has closed (a long poll may stop waiting).
  bool connected() const;

 private:
  std::shared_ptr<State> state_;
};

using HttpHandler = std::function<void(HttpRequest, Responder)>;

// What the server reports once a handler has answered a request (whole response or the head of a
// stream), for metrics and access logs. The views are valid during the call only.
struct HttpAnswered {
  std::string_view method;
  std::string_view path;
  int status = 0;
  std::chrono::nanoseconds elapsed{0};  // from the request being read to the answer being queued
};

struct HttpServerOptions {
  std::size_t max_body_bytes = 8 * 1024 * 1024;  // larger bodies get 413
  std::size_t max_header_bytes = 64 * 1024;
  // A connection that has not sent a whole request this long after it became ready for one
  // (new, or done with its last answer) is closed: slow and idle clients cannot pile up.
  std::chrono::nanoseconds read_timeout = std::chrono::seconds(30);
  // Called on the loop for every request a handler answered (not for the server's own 4xx
  // refusals of unreadable requests).
  std::function<void(const HttpAnswered&)> on_answered;
};

class HttpServer {
 public:
  HttpServer(EventLoop& loop, HttpHandler handler, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Starts listening. Port 0 picks a free port. Returns the bound port.
  Result<std::uint16_t> listen(const std::string& address, std::uint16_t port);
  // Stops accepting and closes every open connection.
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace berth
