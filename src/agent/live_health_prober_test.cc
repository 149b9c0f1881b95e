// LiveHealthProber against real things on loopback: an HTTP server, open and closed ports, and
// commands with the task's environment, sandbox and a timeout. Each test drives the event loop
// until the probe answers, with a deadline.
#include "agent/live_health_prober.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "http/event_loop.h"
#include "http/http_server.h"

namespace berth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A port on which nothing listens (bound, then released).
std::uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class LiveHealthProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<HttpServer>(loop_, [](HttpRequest request, Responder respond) {
      if (request.path == "/ok") return respond(HttpResponse{200, "text/plain", "ok", {}});
      if (request.path == "/moved") return respond(HttpResponse{301, "text/plain", "", {}});
      respond(HttpResponse{503, "text/plain", "not yet", {}});
    });
    auto port = server_->listen("127.0.0.1", 0);
    ASSERT_TRUE(port.ok());
    port_ = *port;
    char pattern[] = "/tmp/berth-probe-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    sandbox_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(sandbox_); }

  ProbeResult run(ProbeRequest request) {
    std::optional<ProbeResult> result;
    prober_.probe(request, [&](ProbeResult r) { result = r; });
    EXPECT_TRUE(loop_.run_until([&] { return result.has_value(); }, seconds(10)));
    return result.value_or(ProbeResult{});
  }

  ProbeRequest http(const std::string& path) {
    ProbeRequest request;
    request.kind = HealthCheckKind::kHttp;
    request.port = port_;
    request.path = path;
    request.timeout = seconds(2);
    return request;
  }

  ProbeRequest command(const std::string& text) {
    ProbeRequest request;
    request.kind = HealthCheckKind::kCommand;
    request.task_id = "t1";
    request.command = text;
    request.sandbox_dir = sandbox_;
    request.environment = {{"GREETING", "hello"}};
    request.timeout = seconds(5);
    return request;
  }

  EventLoop loop_;
  LiveHealthProber prober_{loop_};
  std::unique_ptr<HttpServer> server_;
  std::uint16_t port_ = 0;
  std::string sandbox_;
};

TEST_F(LiveHealthProberTest, HttpReportsTheStatus) {
  ProbeResult ok = run(http("/ok"));
  EXPECT_TRUE(ok.completed);
  EXPECT_EQ(ok.http_status, 200);
  EXPECT_EQ(run(http("/moved")).http_status, 301);
  EXPECT_EQ(run(http("/other")).http_status, 503);
}

TEST_F(LiveHealthProberTest, HttpToAClosedPortIsNotCompleted) {
  ProbeRequest request = http("/ok");
  request.port = closed_port();
  ProbeResult result = run(request);
  EXPECT_FALSE(result.completed);
  EXPECT_NE(result.error.find("refused"), std::string::npos) << result.error;
}

TEST_F(LiveHealthProberTest, TcpAndHttpsConnect) {
  ProbeRequest tcp = http("/");
  tcp.kind = HealthCheckKind::kTcp;
  EXPECT_TRUE(run(tcp).completed);
  tcp.kind = HealthCheckKind::kHttps;
  EXPECT_TRUE(run(tcp).completed) << "HTTPS is a connect check until there is a TLS client";
  tcp.kind = HealthCheckKind::kTcp;
  tcp.port = closed_port();
  ProbeResult refused = run(tcp);
  EXPECT_FALSE(refused.completed);
  EXPECT_EQ(refused.error, "connection refused");
}

TEST_F(LiveHealthProberTest, CommandsRunWithTheTaskEnvironmentInItsSandbox) {
  std::ofstream(sandbox_ + "/marker") << "x";
  ProbeResult ok = run(command("test -f marker && test \"$GREETING\" = hello"));
  EXPECT_TRUE(ok.completed);
  EXPECT_EQ(ok.exit_code, 0);
  ProbeResult failed = run(command("exit 3"));
  EXPECT_TRUE(failed.completed);
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(run(command("kill -9 $$")).exit_code, -1);
}

TEST_F(LiveHealthProberTest, ACommandPastItsTimeoutIsKilledWithItsChildren) {
  ProbeRequest request = command("sleep 30 & echo $! > child.pid; wait");
  request.timeout = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  ProbeResult result = run(request);
  EXPECT_FALSE(result.completed);
  EXPECT_EQ(result.error, "timed out after 300 ms");
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  std::ifstream in(sandbox_ + "/child.pid");
  pid_t child = 0;
  in >> child;
  ASSERT_GT(child, 0);
  // The background sleep was in the command's process group and is gone too (a zombie at most,
  // until init reaps it).
  bool gone = loop_.run_until(
      [&] {
        std::ifstream stat("/proc/" + std::to_string(child) + "/stat");
        std::string pid, name, state;
        return !(stat >> pid >> name >> state) || state == "Z";
      },
      seconds(5));
  EXPECT_TRUE(gone);
}

}  // namespace
}  // namespace berth
