// GET /v2/events over a real HttpServer on loopback: 405, the head, chunked framing with one
// event per chunk, attached first, keepalives, event_type filters, disconnects and slow clients.
// Every wait drives the loop to what it expects, with a deadline; nothing sleeps.
#include "master/events_endpoint.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "http/event_loop.h"
#include "master/marathon_events.h"

namespace berth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A client socket that sends one request and decodes the chunked body into its chunks.
class SseClient {
 public:
  SseClient(std::uint16_t port, const std::string& request, int receive_buffer = 0)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(::send(fd_, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
  }
  ~SseClient() { close(); }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until `done()` holds, the server closes, or the timeout passes.
  bool read_until(EventLoop& loop, const std::function<bool()>& done,
                  Duration timeout = seconds(5)) {
    const Instant deadline = std::chrono::steady_clock::now() + timeout;
    while (!done() && !eof_) {
      bool readable = false;
      const auto id = loop.watch_readable(fd_, [&] { readable = true; });
      if (!loop.run_until([&] { return readable; }, deadline - std::chrono::steady_clock::now())) {
        loop.unwatch(id);
        return done();
      }
      char buffer[65536];
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) raw_.append(buffer, static_cast<std::size_t>(n));
      if (n == 0) eof_ = true;
      decode();
    }
    return done();
  }
  bool read_chunks(EventLoop& loop, std::size_t count) {
    return read_until(loop, [&] { return chunks_.size() >= count; });
  }

  const std::string& head() const { return head_; }
  const std::vector<std::string>& chunks() const { return chunks_; }
  // The chunks that are events (not keepalives).
  std::vector<std::string> events() const {
    std::vector<std::string> out;
    for (const auto& chunk : chunks_) {
      if (chunk.rfind("event: ", 0) == 0) out.push_back(chunk);
    }
    return out;
  }
  bool eof() const { return eof_; }
  bool ended() const { return ended_; }

 private:
  void decode() {
    if (head_.empty()) {
      auto end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      head_ = raw_.substr(0, end + 4);
      raw_.erase(0, end + 4);
      if (head_.find("Transfer-Encoding: chunked") == std::string::npos) return;
    }
    while (true) {
      auto line_end = raw_.find("\r\n");
      if (line_end == std::string::npos) return;
      const std::size_t size = std::stoul(raw_.substr(0, line_end), nullptr, 16);
      if (raw_.size() < line_end + 2 + size + 2) return;
      if (size == 0) {
        ended_ = true;
        raw_.clear();
        return;
      }
      chunks_.push_back(raw_.substr(line_end + 2, size));
      EXPECT_EQ(raw_.substr(line_end + 2 + size, 2), "\r\n");
      raw_.erase(0, line_end + 2 + size + 2);
    }
  }

  int fd_;
  bool eof_ = false;
  bool ended_ = false;
  std::string raw_;
  std::string head_;
  std::vector<std::string> chunks_;
};

std::string sse_request(const std::string& target = "/v2/events") {
  return "GET " + target + " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n";
}

// The JSON of an event chunk, after checking the frame's exact shape.
nlohmann::json frame_json(const std::string& chunk, const std::string& type) {
  const std::string prefix = "event: " + type + "\r\ndata: ";
  EXPECT_EQ(chunk.rfind(prefix, 0), 0u) << chunk;
  EXPECT_EQ(chunk.substr(chunk.size() - 4), "\r\n\r\n");
  const std::string data = chunk.substr(prefix.size(), chunk.size() - prefix.size() - 4);
  EXPECT_EQ(data.find('\n'), std::string::npos);
  return nlohmann::json::parse(data);
}

class EventsEndpointTest : public ::testing::Test {
 protected:
  void start(EventStreamOptions options = {}, EventBusOptions bus_options = {}) {
    bus_ = std::make_unique<EventBus>(loop_.clock(), bus_options);
    endpoint_ = std::make_unique<EventStreamEndpoint>(loop_.clock(), *bus_, options, &metrics_);
    server_ = std::make_unique<HttpServer>(loop_, [this](HttpRequest request, Responder respond) {
      if (request.path == "/v2/events") return endpoint_->handle(request, respond);
      respond(HttpResponse{404, "text/plain", "no", {}});
    });
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok());
    port_ = *port;
  }

  void publish_app_terminated(const std::string& app) {
    bus_->publish(event_type::kAppTerminated, app_terminated_event(app, loop_.clock().wall()));
  }

  ~EventsEndpointTest() override {
    server_.reset();
    endpoint_.reset();
  }

  EventLoop loop_;
  MetricsRegistry metrics_;
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<EventStreamEndpoint> endpoint_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(EventsEndpointTest, WithoutTheEventStreamAcceptHeaderItIs405) {
  start();
  SseClient client(port_, "GET /v2/events HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n");
  ASSERT_TRUE(client.read_until(loop_, [&] { return !client.head().empty(); }));
  EXPECT_EQ(client.head().rfind("HTTP/1.1 405", 0), 0u) << client.head();
  EXPECT_NE(client.head().find("Content-Type: application/json"), std::string::npos);
  EXPECT_EQ(bus_->subscribers(), 0u);
}

TEST_F(EventsEndpointTest, OneChunkPerEventWithAttachedFirst) {
  start();
  SseClient client(port_, sse_request());
  ASSERT_TRUE(client.read_chunks(loop_, 1));
  EXPECT_EQ(client.head().rfind("HTTP/1.1 200", 0), 0u);
  EXPECT_NE(client.head().find("Content-Type: text/event-stream;charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_NE(client.head().find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  auto attached = frame_json(client.chunks()[0], "event_stream_attached");
  EXPECT_EQ(attached["remoteAddress"], "127.0.0.1");

  for (int i = 0; i < 3; ++i) publish_app_terminated("/app-" + std::to_string(i));
  ASSERT_TRUE(client.read_chunks(loop_, 4));
  for (int i = 0; i < 3; ++i) {
    auto event = frame_json(client.chunks()[1 + i], "app_terminated_event");
    EXPECT_EQ(event["appId"], "/app-" + std::to_string(i));
  }
  EXPECT_NE(metrics_.render().find("berth_event_stream_delivery_seconds_count 4\n"),
            std::string::npos);
}

TEST_F(EventsEndpointTest, KeepalivesArriveAtTheInterval) {
  start(EventStreamOptions{.keepalive_interval = milliseconds(30)});
  SseClient client(port_, sse_request());
  ASSERT_TRUE(client.read_chunks(loop_, 3));
  EXPECT_EQ(client.chunks()[1], ":\r\n");
  EXPECT_EQ(client.chunks()[2], ":\r\n");
}

TEST_F(EventsEndpointTest, EventTypeParametersFilter) {
  start();
  SseClient filtered(port_, sse_request("/v2/events?event_type=app_terminated_event&event_type="
                                        "volume_attached_event"));
  SseClient all(port_, sse_request());
  ASSERT_TRUE(all.read_chunks(loop_, 1));
  ASSERT_TRUE(loop_.run_until([&] { return bus_->subscribers() == 2; }, seconds(5)));
  bus_->publish("group_change_success",
                group_change_success_event("/g", "v", loop_.clock().wall()));
  bus_->publish("volume_attached_event",
                R"({"volume":"pg","eventType":"volume_attached_event","timestamp":"t"})");
  publish_app_terminated("/web");
  ASSERT_TRUE(filtered.read_chunks(loop_, 2));
  ASSERT_TRUE(all.read_chunks(loop_, 3));
  // The filtered one asked for neither attached nor group changes.
  frame_json(filtered.chunks()[0], "volume_attached_event");
  frame_json(filtered.chunks()[1], "app_terminated_event");
  // The default stream never sees Berth's own types.
  frame_json(all.chunks()[1], "group_change_success");
  frame_json(all.chunks()[2], "app_terminated_event");
}

TEST_F(EventsEndpointTest, AClientLeavingIsDetachedAndAnnounced) {
  start();
  SseClient stays(port_, sse_request());
  ASSERT_TRUE(stays.read_chunks(loop_, 1));
  {
    SseClient leaves(port_, sse_request());
    ASSERT_TRUE(leaves.read_chunks(loop_, 1));
    EXPECT_EQ(endpoint_->connections(), 2u);
  }
  ASSERT_TRUE(stays.read_chunks(loop_, 2));
  frame_json(stays.chunks()[1], "event_stream_detached");
  EXPECT_EQ(endpoint_->connections(), 1u);
  EXPECT_EQ(bus_->subscribers(), 1u);
}

TEST_F(EventsEndpointTest, ASlowClientIsDroppedWhileAFastOneGetsEverything) {
  start(EventStreamOptions{.keepalive_interval = seconds(10), .high_water_bytes = 16 * 1024},
        EventBusOptions{.max_backlog_events = 64, .max_backlog_bytes = 1 << 20});
  SseClient slow(port_, sse_request(), /*receive_buffer=*/4096);  // never reads
  SseClient fast(port_, sse_request());
  ASSERT_TRUE(fast.read_chunks(loop_, 1));
  ASSERT_TRUE(loop_.run_until([&] { return bus_->subscribers() == 2; }, seconds(5)));
  const std::string big(4000, 'x');
  std::size_t sent = 0;
  // Publish in rounds that the fast client keeps up with, until the slow one's socket buffers
  // and then its bus backlog fill up.
  while (bus_->stats().dropped_subscribers == 0 && sent < 20000) {
    for (int i = 0; i < 10; ++i, ++sent) publish_app_terminated("/" + big);
    ASSERT_TRUE(fast.read_until(loop_, [&] { return fast.events().size() >= 1 + sent; }));
  }
  EXPECT_EQ(bus_->stats().dropped_subscribers, 1u);
  EXPECT_EQ(endpoint_->connections(), 1u);
  EXPECT_FALSE(fast.eof());
  publish_app_terminated("/after");
  ASSERT_TRUE(fast.read_until(loop_, [&] {
    return !fast.chunks().empty() && fast.chunks().back().find("/after") != std::string::npos;
  }));
}

TEST_F(EventsEndpointTest, RemoteHostDropsThePort) {
  EXPECT_EQ(remote_host("10.0.0.5:41234"), "10.0.0.5");
  EXPECT_EQ(remote_host("[::1]:41234"), "::1");
  EXPECT_EQ(remote_host("localhost"), "localhost");
}

}  // namespace
}  // namespace berth
