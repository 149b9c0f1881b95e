// Tests of HttpServer and HttpClient over loopback: round trips, keep-alive, parsing, refusals,
// deferred and streamed responses, timeouts and failures. Every test drives the loop until what
// it waits for has happened, with a deadline; none sleeps.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "http/event_loop.h"
#include "http/http_client.h"
#include "http/http_server.h"

namespace berth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A plain blocking-connect socket for what HttpClient will not send: garbage, pipelined requests,
// reading a stream byte by byte. Reads are driven by the loop's watch_readable.
class RawClient {
 public:
  explicit RawClient(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawClient() { close(); }

  bool connected() const { return connected_; }
  void send(const std::string& data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads until `done(received())` holds, the server closes, or `timeout` passes.
  bool read_until(EventLoop& loop, const std::function<bool(const std::string&)>& done,
                  Duration timeout = seconds(5)) {
    const Instant deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(received_) && !eof_) {
      bool readable = false;
      const auto id = loop.watch_readable(fd_, [&] { readable = true; });
      if (!loop.run_until([&] { return readable; }, deadline - std::chrono::steady_clock::now())) {
        loop.unwatch(id);
        return false;
      }
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
      if (n > 0) received_.append(chunk, static_cast<std::size_t>(n));
      if (n == 0) eof_ = true;
    }
    return done(received_);
  }
  bool read_until_contains(EventLoop& loop, const std::string& text) {
    return read_until(loop,
                      [&](const std::string& got) { return got.find(text) != std::string::npos; });
  }
  bool read_to_eof(EventLoop& loop) {
    read_until(loop, [](const std::string&) { return false; });
    return eof_;
  }

  const std::string& received() const { return received_; }

 private:
  int fd_;
  bool connected_ = false;
  bool eof_ = false;
  std::string received_;
};

class HttpTest : public ::testing::Test {
 protected:
  // Starts `server_` on a free loopback port with `handler`.
  void serve(HttpHandler handler, HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(loop_, std::move(handler), options);
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok()) << port.error().message;
    port_ = *port;
  }

  Result<HttpResponse> call(HttpClient& client, ClientRequest request) {
    std::optional<Result<HttpResponse>> result;
    client.request(std::move(request),
                   [&](Result<HttpResponse> response) { result.emplace(std::move(response)); });
    if (!loop_.run_until([&] { return result.has_value(); }, seconds(10))) {
      return internal_error("no answer within the test's deadline");
    }
    return std::move(*result);
  }

  static ClientRequest get(std::string target) {
    ClientRequest request;
    request.target = std::move(target);
    return request;
  }

  EventLoop loop_;
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
};

TEST_F(HttpTest, RoundTrip) {
  serve([](HttpRequest request, Responder respond) {
    respond(HttpResponse{201,
                         "text/plain",
                         request.method + " " + request.path + " " +
                             request.header("content-type") + " " + request.body,
                         {{"X-Berth", "yes"}}});
  });
  HttpClient client(loop_, "127.0.0.1", port_);
  auto response = call(client, {"POST", "/v2/apps", R"({"id":"web"})", "application/json"});
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->content_type, "text/plain");
  EXPECT_EQ(response->body, R"(POST /v2/apps application/json {"id":"web"})");
  EXPECT_EQ(response->header("x-berth"), "yes");
  EXPECT_EQ(response->header("Content-Length"), std::to_string(response->body.size()));
}

TEST_F(HttpTest, KeepAliveServesManyRequestsOnOneConnection) {
  std::set<std::string> remotes;
  int served = 0;
  serve([&](HttpRequest request, Responder respond) {
    remotes.insert(request.remote);
    ++served;
    respond(HttpResponse{200, "text/plain", request.path, {}});
  });
  HttpClient client(loop_, "127.0.0.1", port_);
  for (int i = 0; i < 20; ++i) {
    auto response = call(client, get("/n/" + std::to_string(i)));
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->body, "/n/" + std::to_string(i));
  }
  EXPECT_EQ(served, 20);
  EXPECT_EQ(remotes.size(), 1u);
  EXPECT_EQ(remotes.begin()->rfind("127.0.0.1:", 0), 0u);
}

TEST_F(HttpTest, RequestsQueuedTogetherAreAnsweredInOrder) {
  serve([](HttpRequest request, Responder respond) {
    respond(HttpResponse{200, "text/plain", request.path, {}});
  });
  HttpClient client(loop_, "127.0.0.1", port_);
  std::vector<std::string> bodies;
  for (int i = 0; i < 5; ++i) {
    client.request(get("/" + std::to_string(i)), [&](Result<HttpResponse> response) {
      bodies.push_back(response.ok() ? response->body : response.error().message);
    });
  }
  ASSERT_TRUE(loop_.run_until([&] { return bodies.size() == 5; }, seconds(10)));
  EXPECT_EQ(bodies, (std::vector<std::string>{"/0", "/1", "/2", "/3", "/4"}));
}

TEST_F(HttpTest, DecodesPathQueryAndHeaders) {
  std::optional<HttpRequest> seen;
  serve([&](HttpRequest request, Responder respond) {
    seen = request;
    respond(HttpResponse{});
  });
  RawClient raw(port_);
  raw.send(
      "GET /v2/apps/%2Fweb%20one?embed=apps.tasks&q=a+b%26c&embed=apps.counts&flag HTTP/1.1\r\n"
      "Host: x\r\nX-Mixed-Case: Value\r\n\r\n");
  ASSERT_TRUE(raw.read_until_contains(loop_, "\r\n\r\n"));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->path, "/v2/apps//web one");
  EXPECT_EQ(seen->target,
            "/v2/apps/%2Fweb%20one?embed=apps.tasks&q=a+b%26c&embed=apps.counts&flag");
  EXPECT_EQ(seen->param("q"), "a b&c");
  EXPECT_EQ(seen->param("embed"), "apps.tasks");
  EXPECT_EQ(seen->params("embed"), (std::vector<std::string>{"apps.tasks", "apps.counts"}));
  EXPECT_EQ(seen->param("flag"), "");
  EXPECT_EQ(seen->param("missing"), std::nullopt);
  EXPECT_EQ(seen->header("x-mixed-case"), "Value");
  EXPECT_EQ(seen->header("host"), "x");
  EXPECT_EQ(seen->header("absent"), "");
  EXPECT_EQ(percent_encode("/web one"), "%2Fweb%20one");
}

TEST_F(HttpTest, SlowClientIsDroppedWhileOthersAreServed) {
  HttpServerOptions options;
  options.read_timeout = std::chrono::milliseconds(200);
  serve(
      [](HttpRequest, Responder respond) {
        respond(HttpResponse{200, "text/plain", "ok", {}});
      },
      options);
  RawClient slow(port_);
  ASSERT_TRUE(slow.connected());
  slow.send("GET /slow HTTP/1.1\r\nHost: x\r\n");  // and never the end of the headers
  HttpClient client(loop_, "127.0.0.1", port_);
  auto served = call(client, {"GET", "/fast", ""});
  ASSERT_TRUE(served.ok()) << served.error().message;
  EXPECT_EQ(served->body, "ok");
  EXPECT_TRUE(slow.read_to_eof(loop_));  // closed by the server, with nothing sent
  EXPECT_EQ(slow.received(), "");
}

TEST_F(HttpTest, TooLargeBodyGets413) {
  bool handled = false;
  HttpServerOptions options;
  options.max_body_bytes = 16;
  serve(
      [&](HttpRequest, Responder respond) {
        handled = true;
        respond(HttpResponse{});
      },
      options);
  HttpClient client(loop_, "127.0.0.1", port_);
  auto response = call(client, {"POST", "/big", std::string(100000, 'x')});
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->body, R"({"message":"Request body too large"})");
  EXPECT_FALSE(handled);

  // A body within the limit on a new connection is still served.
  auto small = call(client, {"POST", "/small", "tiny"});
  ASSERT_TRUE(small.ok()) << small.error().message;
  EXPECT_EQ(small->status, 200);
}

TEST_F(HttpTest, GarbageGets400AndTheConnectionCloses) {
  serve([](HttpRequest, Responder respond) { respond(HttpResponse{}); });
  RawClient raw(port_);
  raw.send("this is not http\r\n\r\n");
  EXPECT_TRUE(raw.read_to_eof(loop_));
  EXPECT_EQ(raw.received().rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << raw.received();
  EXPECT_NE(raw.received().find("Connection: close"), std::string::npos);
}

TEST_F(HttpTest, ExpectContinueGetsTheBodyRead) {
  std::string body;
  serve([&](HttpRequest request, Responder respond) {
    body = request.body;
    respond(HttpResponse{});
  });
  RawClient raw(port_);
  raw.send("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  ASSERT_TRUE(raw.read_until_contains(loop_, "HTTP/1.1 100 Continue\r\n\r\n"));
  raw.send("hello");
  ASSERT_TRUE(raw.read_until_contains(loop_, "HTTP/1.1 200 OK"));
  EXPECT_EQ(body, "hello");
}

TEST_F(HttpTest, DeferredResponseFromATimer) {
  serve([&](HttpRequest, Responder respond) {
    // A long poll: nothing to say yet; answer when the "event" (a timer) comes.
    loop_.clock().schedule(milliseconds(30), [respond] {
      EXPECT_TRUE(respond.connected());
      respond(HttpResponse{200, "application/json", R"({"commands":[]})", {}});
    });
  });
  HttpClient client(loop_, "127.0.0.1", port_);
  const Instant start = loop_.clock().now();
  auto response = call(client, get("/agent/v1/poll"));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->body, R"({"commands":[]})");
  EXPECT_GE(loop_.clock().now() - start, milliseconds(30));
}

TEST_F(HttpTest, PipelinedRequestWaitsForTheDeferredOneBefore) {
  serve([&](HttpRequest request, Responder respond) {
    if (request.path == "/slow") {
      loop_.clock().schedule(milliseconds(30), [respond] {
        respond(HttpResponse{200, "text/plain", "slow", {}});
      });
    } else {
      respond(HttpResponse{200, "text/plain", "fast", {}});
    }
  });
  RawClient raw(port_);
  raw.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /fast HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(raw.read_until_contains(loop_, "fast"));
  const auto slow = raw.received().find("slow");
  ASSERT_NE(slow, std::string::npos);
  EXPECT_LT(slow, raw.received().find("fast"));
}

TEST_F(HttpTest, ConnectedTurnsFalseWhenTheClientLeaves) {
  std::optional<Responder> held;
  serve([&](HttpRequest, Responder respond) { held = respond; });
  auto client = std::make_unique<HttpClient>(loop_, "127.0.0.1", port_);
  client->request(get("/agent/v1/poll"), [](Result<HttpResponse>) { ADD_FAILURE(); });
  ASSERT_TRUE(loop_.run_until([&] { return held.has_value(); }, seconds(5)));
  EXPECT_TRUE(held->connected());
  client.reset();  // closes its connection; its callback must never run
  ASSERT_TRUE(loop_.run_until([&] { return !held->connected(); }, seconds(5)));
  (*held)(HttpResponse{});  // answering a departed client is harmless
  bool later = false;
  loop_.clock().schedule(milliseconds(10), [&] { later = true; });
  EXPECT_TRUE(loop_.run_until([&] { return later; }, seconds(5)));
}

TEST_F(HttpTest, DroppedResponderSends500) {
  serve([](HttpRequest, Responder) {});
  HttpClient client(loop_, "127.0.0.1", port_);
  auto response = call(client, get("/forgotten"));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 500);
}

TEST_F(HttpTest, FirstAnswerWins) {
  serve([](HttpRequest, Responder respond) {
    Responder copy = respond;
    copy(HttpResponse{200, "text/plain", "first", {}});
    respond(HttpResponse{500, "text/plain", "second", {}});
  });
  HttpClient client(loop_, "127.0.0.1", port_);
  auto response = call(client, get("/"));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->body, "first");
  // And the connection is still in step for the next request.
  auto again = call(client, get("/"));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->body, "first");
}

TEST_F(HttpTest, StreamDeliversChunksInOrderAndReportsTheClientLeaving) {
  std::shared_ptr<ResponseStream> stream;
  bool closed = false;
  serve([&](HttpRequest, Responder respond) {
    stream =
        respond.stream(HttpResponse{200, "text/event-stream", "", {{"Cache-Control", "no-cache"}}});
    stream->on_close([&] { closed = true; });
    EXPECT_TRUE(stream->write("data: 1\n\n"));
  });
  RawClient raw(port_);
  raw.send("GET /v2/events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(raw.read_until_contains(loop_, "data: 1\n\n\r\n"));
  const std::string& got = raw.received();
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_NE(got.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(got.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
  EXPECT_NE(got.find("Cache-Control: no-cache\r\n"), std::string::npos);
  EXPECT_EQ(got.find("Content-Length"), std::string::npos);

  // Each write arrives on its own, before the next is made.
  ASSERT_TRUE(stream->write("data: 2\n\n"));
  ASSERT_TRUE(raw.read_until_contains(loop_, "9\r\ndata: 2\n\n\r\n"));
  ASSERT_TRUE(stream->write("data: 3\n\n"));
  ASSERT_TRUE(stream->write(""));  // ignored: an empty chunk would end the stream
  ASSERT_TRUE(stream->write("data: 4\n\n"));
  ASSERT_TRUE(raw.read_until_contains(loop_, "data: 4"));
  const std::string body = raw.received().substr(raw.received().find("\r\n\r\n") + 4);
  EXPECT_EQ(body,
            "9\r\ndata: 1\n\n\r\n9\r\ndata: 2\n\n\r\n9\r\ndata: 3\n\n\r\n9\r\ndata: 4\n\n\r\n");
  EXPECT_TRUE(stream->open());
  EXPECT_FALSE(closed);

  raw.close();
  ASSERT_TRUE(loop_.run_until([&] { return closed; }, seconds(5)));
  EXPECT_FALSE(stream->open());
  EXPECT_FALSE(stream->write("data: 5\n\n"));
}

TEST_F(HttpTest, ClosingAStreamEndsTheChunkedBody) {
  std::shared_ptr<ResponseStream> stream;
  int closes = 0;
  serve([&](HttpRequest, Responder respond) {
    stream = respond.stream(HttpResponse{200, "text/plain", "", {}});
    stream->on_close([&] { ++closes; });
    stream->write("bye");
    stream->close();
    EXPECT_FALSE(stream->write("too late"));
  });
  RawClient raw(port_);
  raw.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(raw.read_to_eof(loop_));
  const std::string& got = raw.received();
  EXPECT_EQ(got.substr(got.find("\r\n\r\n") + 4), "3\r\nbye\r\n0\r\n\r\n");
  ASSERT_TRUE(loop_.run_until([&] { return closes > 0; }, seconds(5)));
  EXPECT_EQ(closes, 1);
}

TEST_F(HttpTest, StreamReportsItsBufferAndWhenTheSocketHasTakenIt) {
  std::shared_ptr<ResponseStream> stream;
  int drained = 0;
  serve([&](HttpRequest, Responder respond) {
    stream = respond.stream(HttpResponse{200, "text/event-stream", "", {}});
    stream->on_drained([&] { ++drained; });
  });
  RawClient raw(port_);
  raw.send("GET /v2/events HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(raw.read_until_contains(loop_, "chunked\r\n\r\n"));
  ASSERT_TRUE(loop_.run_until([&] { return drained > 0; }, seconds(5)));  // the head went out
  const int before = drained;
  ASSERT_TRUE(stream->write(std::string(1000, 'a')));
  ASSERT_TRUE(stream->write(std::string(1000, 'b')));
  // Accepted but not yet handed to the socket: both chunks with their framing.
  EXPECT_EQ(stream->buffered_bytes(), 2u * (1000 + 7));
  EXPECT_EQ(drained, before);  // never inside write()
  ASSERT_TRUE(loop_.run_until([&] { return drained > before; }, seconds(5)));
  EXPECT_EQ(stream->buffered_bytes(), 0u);
  ASSERT_TRUE(raw.read_until_contains(loop_, std::string(1000, 'b')));
}

TEST_F(HttpTest, OnAnsweredReportsEachAnsweredRequest) {
  std::vector<std::tuple<std::string, std::string, int>> answered;
  HttpServerOptions options;
  options.on_answered = [&](const HttpAnswered& a) {
    answered.emplace_back(a.method, a.path, a.status);
    EXPECT_GE(a.elapsed.count(), 0);
  };
  std::shared_ptr<ResponseStream> stream;
  serve(
      [&](HttpRequest request, Responder respond) {
        if (request.path == "/stream") {
          stream = respond.stream(HttpResponse{200, "text/event-stream", "", {}});
        } else {
          respond(HttpResponse{404, "text/plain", "no", {}});
        }
      },
      options);
  HttpClient client(loop_, "127.0.0.1", port_);
  ASSERT_TRUE(call(client, get("/missing?x=1")).ok());
  RawClient raw(port_);
  raw.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(raw.read_until_contains(loop_, "chunked"));
  ASSERT_EQ(answered.size(), 2u);
  EXPECT_EQ(answered[0], std::make_tuple(std::string("GET"), std::string("/missing"), 404));
  EXPECT_EQ(answered[1], std::make_tuple(std::string("GET"), std::string("/stream"), 200));
}

TEST_F(HttpTest, ManyStreamSubscribersEachGetEveryEvent) {
  std::vector<std::shared_ptr<ResponseStream>> streams;
  serve([&](HttpRequest, Responder respond) {
    streams.push_back(respond.stream(HttpResponse{200, "text/event-stream", "", {}}));
  });
  constexpr int kClients = 120;
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(port_));
    clients.back()->send("GET /v2/events HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  ASSERT_TRUE(loop_.run_until([&] { return streams.size() == kClients; }, seconds(10)));
  for (int event = 0; event < 3; ++event) {
    for (auto& stream : streams) stream->write("data: " + std::to_string(event) + "\n\n");
  }
  for (auto& client : clients) {
    ASSERT_TRUE(client->read_until_contains(loop_, "data: 2\n\n"));
    const std::string& got = client->received();
    EXPECT_LT(got.find("data: 0"), got.find("data: 1"));
    EXPECT_LT(got.find("data: 1"), got.find("data: 2"));
  }
}

TEST_F(HttpTest, ClientTimeoutIsUnavailable) {
  std::vector<Responder> held;
  serve([&](HttpRequest, Responder respond) { held.push_back(respond); });
  HttpClient client(loop_, "127.0.0.1", port_);
  ClientRequest request = get("/agent/v1/poll");
  request.timeout = milliseconds(50);
  auto response = call(client, request);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message,
            "GET 127.0.0.1:" + std::to_string(port_) + "/agent/v1/poll: timed out after 50 ms");

  // The client recovers on a new connection.
  held.clear();
  serve([](HttpRequest, Responder respond) { respond(HttpResponse{200, "text/plain", "ok", {}}); });
  HttpClient second(loop_, "127.0.0.1", port_);
  auto ok = call(second, get("/"));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
}

TEST_F(HttpTest, QueuedRequestTimesOutWhileWaitingWithoutBreakingTheConnection) {
  std::optional<Responder> held;
  std::set<std::string> remotes;
  serve([&](HttpRequest request, Responder respond) {
    remotes.insert(request.remote);
    if (request.path == "/slow") {
      held = respond;
    } else {
      respond(HttpResponse{200, "text/plain", "quick", {}});
    }
  });
  HttpClient client(loop_, "127.0.0.1", port_);
  std::optional<Result<HttpResponse>> slow;
  std::optional<Result<HttpResponse>> queued;
  client.request(get("/slow"), [&](Result<HttpResponse> r) { slow.emplace(std::move(r)); });
  ClientRequest impatient = get("/quick");
  impatient.timeout = milliseconds(20);
  client.request(impatient, [&](Result<HttpResponse> r) { queued.emplace(std::move(r)); });
  ASSERT_TRUE(loop_.run_until([&] { return queued.has_value(); }, seconds(5)));
  ASSERT_FALSE(queued->ok());
  EXPECT_EQ(queued->error().code, ErrorCode::kUnavailable);
  EXPECT_NE(queued->error().message.find("waiting for earlier requests"), std::string::npos);
  EXPECT_FALSE(slow.has_value());

  // The slow one still completes, and the connection stays in use.
  ASSERT_TRUE(held.has_value());
  (*held)(HttpResponse{200, "text/plain", "slow", {}});
  ASSERT_TRUE(loop_.run_until([&] { return slow.has_value(); }, seconds(5)));
  ASSERT_TRUE(slow->ok());
  EXPECT_EQ((*slow)->body, "slow");
  auto after = call(client, get("/quick"));
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ(remotes.size(), 1u);
}

TEST_F(HttpTest, NoContentAndHeadResponsesCarryNoBody) {
  serve([](HttpRequest request, Responder respond) {
    if (request.path == "/deleted") return respond(HttpResponse{204, "application/json", "", {}});
    respond(HttpResponse{200, "text/plain", "twelve bytes", {}});
  });
  HttpClient client(loop_, "127.0.0.1", port_);
  auto deleted = call(client, {"DELETE", "/deleted"});
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  EXPECT_EQ(deleted->status, 204);
  EXPECT_EQ(deleted->header("content-length"), "");
  auto head = call(client, {"HEAD", "/thing"});
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->header("content-length"), "12");
  EXPECT_EQ(head->body, "");
  // The connection is still framed correctly afterwards.
  auto body = call(client, get("/thing"));
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(body->body, "twelve bytes");
}

TEST_F(HttpTest, ConnectionRefusedIsUnavailable) {
  serve([](HttpRequest, Responder respond) { respond(HttpResponse{}); });
  const std::uint16_t closed_port = port_;
  server_.reset();  // nothing listens there now
  HttpClient client(loop_, "127.0.0.1", closed_port);
  auto response = call(client, {"POST", "/agent/v1/status", "{}"});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message, "POST 127.0.0.1:" + std::to_string(closed_port) +
                                          "/agent/v1/status: connection refused");
}

TEST_F(HttpTest, ClientReconnectsAfterTheServerClosedItsConnection) {
  serve([](HttpRequest, Responder respond) { respond(HttpResponse{200, "text/plain", "a", {}}); });
  HttpClient client(loop_, "127.0.0.1", port_);
  ASSERT_TRUE(call(client, get("/")).ok());
  // The server goes away and comes back on the same port; the client's kept-alive connection is
  // dead, and the next request must go over a new one without an error.
  const std::uint16_t port = port_;
  server_->close();
  server_ = std::make_unique<HttpServer>(loop_, [](HttpRequest, Responder respond) {
    respond(HttpResponse{200, "text/plain", "b", {}});
  });
  ASSERT_TRUE(server_->listen("127.0.0.1", port).ok());
  auto response = call(client, get("/"));
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->body, "b");
}

TEST_F(HttpTest, ServerCloseEndsPendingRequests) {
  bool asked = false;
  std::optional<Responder> held;
  serve([&](HttpRequest, Responder respond) {
    asked = true;
    held = respond;
  });
  HttpClient client(loop_, "127.0.0.1", port_);
  std::optional<Result<HttpResponse>> result;
  client.request(get("/poll"), [&](Result<HttpResponse> response) { result.emplace(response); });
  ASSERT_TRUE(loop_.run_until([&] { return asked; }, seconds(5)));
  server_->close();
  ASSERT_TRUE(loop_.run_until([&] { return result.has_value(); }, seconds(5)));
  ASSERT_FALSE(result->ok());
  EXPECT_EQ(result->error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(held->connected());
}

TEST_F(HttpTest, ListenOnAPortInUseFailsClearly) {
  serve([](HttpRequest, Responder respond) { respond(HttpResponse{}); });
  HttpServer second(loop_, [](HttpRequest, Responder respond) { respond(HttpResponse{}); });
  auto port = second.listen("127.0.0.1", port_);
  ASSERT_FALSE(port.ok());
  EXPECT_EQ(port.error().message,
            "listen on 127.0.0.1:" + std::to_string(port_) + ": Address already in use");
  EXPECT_FALSE(second.listen("not-an-address", 0).ok());
}

TEST_F(HttpTest, HttpFetchFromAnotherThread) {
  serve([](HttpRequest request, Responder respond) {
    respond(HttpResponse{200, "text/plain", "fetched " + request.path, {}});
  });
  std::optional<Result<HttpResponse>> result;
  std::thread tool([&] {
    result.emplace(http_fetch("127.0.0.1", port_, get("/v2/info")));
    loop_.stop();
  });
  loop_.run();
  tool.join();
  ASSERT_TRUE(result->ok()) << result->error().message;
  EXPECT_EQ((*result)->body, "fetched /v2/info");

  server_.reset();
  auto refused = http_fetch("127.0.0.1", port_, get("/v2/info"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace berth
