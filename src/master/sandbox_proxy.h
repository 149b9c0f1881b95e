// SandboxFileProxy: the master's GET /files/read. The web UI talks only to the master (its own
// origin), yet a task's stdout and stderr live in its sandbox on its agent; so the master takes
// the same query as the agents' /files/read (path=<task-id>/<file>, offset, length: Mesos'
// shape), finds the task's agent and forwards the query there, answering with the agent's
// answer as it came. The agent stays the one judge of what may be read (sandbox_files.h).
//
// Never hangs and never waits on a dead agent for long: each forwarded read has a timeout, and a
// refused connection or a timeout is a 503 naming the task and the agent. Runs on the master's
// event loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/result.h"

namespace berth {

class EventLoop;
class HttpClient;
class MasterCore;
class Responder;
struct HttpRequest;

struct AgentAddress {
  std::string agent_id;
  std::string host;
  std::uint16_t port = 0;
};

// The agent that holds a task's sandbox: kNotFound for a task the master does not know.
using TaskLocator = std::function<Result<AgentAddress>(const std::string& task_id)>;

// The live master's locator: the agent each task was launched on, as the master records it.
// `core` must outlive the locator.
TaskLocator task_locator(const MasterCore& core);

class SandboxFileProxy {
 public:
  SandboxFileProxy(EventLoop& loop, TaskLocator locate,
                   std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~SandboxFileProxy();  // reads in flight are answered no more (their requests get 500)
  SandboxFileProxy(const SandboxFileProxy&) = delete;
  SandboxFileProxy& operator=(const SandboxFileProxy&) = delete;

  // GET /files/read?path=<task-id>/<file>&offset=N&length=M.
  void handle(const HttpRequest& request, const Responder& respond);

 private:
  HttpClient& client_for(const AgentAddress& agent);

  EventLoop& loop_;
  TaskLocator locate_;
  std::chrono::milliseconds timeout_;
  // One kept-alive connection per agent address ("host:port"). Keyed by address rather than by
  // agent, so that an agent coming back elsewhere gets a new client while reads still queued on
  // the old one are answered by it; agents' addresses are few.
  std::map<std::string, std::unique_ptr<HttpClient>> clients_;
};

}  // namespace berth
