// The master's /files/read over loopback: a fake agent behind the proxy, the proxy behind a real
// HTTP server. The query reaches the agent as asked, the agent's answer comes back as it was, and
// the master itself refuses bad queries and unknown tasks, and answers 503 (never hangs) when the
// agent is down or silent. No test sleeps: the loop runs until the answer is there.
#include "master/sandbox_proxy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <optional>

#include "http/event_loop.h"
#include "http/http_client.h"
#include "http/http_server.h"

namespace berth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class SandboxProxyTest : public ::testing::Test {
 protected:
  SandboxProxyTest() {
    agent_ = std::make_unique<HttpServer>(loop_, [this](HttpRequest request, Responder respond) {
      asked_.push_back(request.target);
      if (silent_) {
        held_.push_back(respond);  // answered when the test ends, long after the proxy's timeout
        return;
      }
      respond(agent_answer_);
    });
    agent_port_ = *agent_->listen("127.0.0.1", 0);
  }

  // Starts the master's side: the proxy with `timeout`, serving /files/read.
  void start_master(milliseconds timeout = seconds(5)) {
    TaskLocator locate = [this](const std::string& task_id) -> Result<AgentAddress> {
      if (task_id != "web.1") return not_found("Task '" + task_id + "' does not exist");
      return AgentAddress{"agent-S1", "127.0.0.1", agent_port_};
    };
    proxy_ = std::make_unique<SandboxFileProxy>(loop_, locate, timeout);
    master_ = std::make_unique<HttpServer>(loop_, [this](HttpRequest request, Responder respond) {
      proxy_->handle(request, respond);
    });
    client_ = std::make_unique<HttpClient>(loop_, "127.0.0.1", *master_->listen("127.0.0.1", 0));
  }

  HttpResponse read(const std::string& query) {
    std::optional<Result<HttpResponse>> result;
    ClientRequest request;
    request.target = "/files/read?" + query;
    client_->request(request, [&](Result<HttpResponse> answer) { result.emplace(answer); });
    if (!loop_.run_until([&] { return result.has_value(); }, seconds(10))) {
      ADD_FAILURE() << "no answer from the master";
      return {};
    }
    if (!result->ok()) {
      ADD_FAILURE() << result->error().message;
      return {};
    }
    return **result;
  }

  static std::string message(const HttpResponse& response) {
    return nlohmann::json::parse(response.body).value("message", "");
  }

  EventLoop loop_;
  std::unique_ptr<HttpServer> agent_;
  std::uint16_t agent_port_ = 0;
  HttpResponse agent_answer_{
      200, "application/json", R"({"data":"hello\n","length":6,"offset":0})", {}};
  bool silent_ = false;
  std::vector<Responder> held_;
  std::vector<std::string> asked_;
  std::unique_ptr<SandboxFileProxy> proxy_;
  std::unique_ptr<HttpServer> master_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(SandboxProxyTest, ForwardsTheQueryAndAnswersWithTheAgentsAnswer) {
  start_master();
  HttpResponse answer = read("path=web.1/stdout&offset=0&length=100");
  EXPECT_EQ(answer.status, 200);
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(answer.body, agent_answer_.body);
  // The defaults are spelled out, and the path stays one encoded value.
  answer = read("path=web.1/logs/app%20log");
  ASSERT_EQ(asked_.size(), 2u);
  EXPECT_EQ(asked_[0], "/files/read?path=web.1%2Fstdout&offset=0&length=100");
  EXPECT_EQ(asked_[1], "/files/read?path=web.1%2Flogs%2Fapp%20log&offset=0&length=1048576");
}

TEST_F(SandboxProxyTest, TheAgentsRefusalsPassThrough) {
  start_master();
  agent_answer_ = {404, "application/json", R"({"message":"No such file: web.1/nothing"})", {}};
  HttpResponse answer = read("path=web.1/nothing");
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(message(answer), "No such file: web.1/nothing");
}

TEST_F(SandboxProxyTest, UnknownTaskIs404WithoutAskingAnyAgent) {
  start_master();
  HttpResponse answer = read("path=nope.2/stdout&offset=0");
  EXPECT_EQ(answer.status, 404);
  EXPECT_EQ(message(answer), "Task 'nope.2' does not exist");
  EXPECT_TRUE(asked_.empty());
}

TEST_F(SandboxProxyTest, BadQueriesAre400WithoutAskingTheAgent) {
  start_master();
  for (const auto& [query, says] : std::vector<std::pair<std::string, std::string>>{
           {"path=web.1/stdout&offset=abc", "offset must be a whole number of bytes, not 'abc'"},
           {"path=web.1/stdout&offset=-5", "offset must be -1 or more, not -5"},
           {"path=web.1/stdout&length=1e3", "length must be a whole number of bytes, not '1e3'"},
           {"offset=0", "/files/read needs path=<task-id>/<file>"},
           {"path=web.1", "path 'web.1' must be <task-id>/<file>"},
       }) {
    HttpResponse answer = read(query);
    EXPECT_EQ(answer.status, 400) << query;
    EXPECT_EQ(message(answer), says) << query;
  }
  EXPECT_TRUE(asked_.empty());
}

TEST_F(SandboxProxyTest, AgentDownIs503NamingTheAgent) {
  start_master();
  agent_.reset();  // nothing listens at the agent's address now
  HttpResponse answer = read("path=web.1/stdout");
  EXPECT_EQ(answer.status, 503);
  const std::string text = message(answer);
  EXPECT_NE(text.find("read web.1/stdout from agent agent-S1 at 127.0.0.1:" +
                      std::to_string(agent_port_)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("connection refused"), std::string::npos) << text;
}

TEST_F(SandboxProxyTest, SilentAgentIs503AfterTheTimeoutNotAHang) {
  start_master(milliseconds(200));
  silent_ = true;
  HttpResponse answer = read("path=web.1/stderr&offset=-1");
  EXPECT_EQ(answer.status, 503);
  EXPECT_NE(message(answer).find("timed out"), std::string::npos) << message(answer);
  // The next read is not stuck behind the silent one.
  silent_ = false;
  EXPECT_EQ(read("path=web.1/stdout").status, 200);
}

}  // namespace
}  // namespace berth
