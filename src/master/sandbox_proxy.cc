// Forwarding /files/read from the master to the agent that holds the task's sandbox.
#include "master/sandbox_proxy.h"

#include "api/sandbox_read.h"
#include "http/http_client.h"
#include "http/http_errors.h"
#include "http/http_server.h"
#include "master/master_core.h"

namespace berth {

TaskLocator task_locator(const MasterCore& core) {
  return [&core](const std::string& task_id) -> Result<AgentAddress> {
    const TaskRecord* task = core.find_task(task_id);
    if (task == nullptr) return not_found("Task '" + task_id + "' does not exist");
    const AgentRecord* agent = core.agents().find(task->agent_id);
    // A task's agent stays registered with the master while the task is kept; this only
    // guards against records from an older state.
    if (agent == nullptr) {
      return unavailable("the master does not know agent '" + task->agent_id + "' of task '" +
                         task_id + "'");
    }
    return AgentAddress{agent->id, agent->hostname, agent->port};
  };
}

SandboxFileProxy::SandboxFileProxy(EventLoop& loop, TaskLocator locate,
                                   std::chrono::milliseconds timeout)
    : loop_(loop), locate_(std::move(locate)), timeout_(timeout) {}

SandboxFileProxy::~SandboxFileProxy() = default;

HttpClient& SandboxFileProxy::client_for(const AgentAddress& agent) {
  auto& client = clients_[agent.host + ":" + std::to_string(agent.port)];
  if (!client) client = std::make_unique<HttpClient>(loop_, agent.host, agent.port);
  return *client;
}

void SandboxFileProxy::handle(const HttpRequest& request, const Responder& respond) {
  // Checked here as well as at the agent, so that a bad query is refused even when the agent is
  // down, and an unknown task is a 404 rather than a trip to no agent.
  auto query =
      parse_sandbox_read(request.param("path"), request.param("offset"), request.param("length"));
  if (!query.ok()) return respond(error_response(query.error()));
  auto agent = locate_(query->task_id());
  if (!agent.ok()) return respond(error_response(agent.error()));

  ClientRequest forward;
  forward.target = "/files/read?path=" + percent_encode(query->path) +
                   "&offset=" + std::to_string(query->offset) +
                   "&length=" + std::to_string(query->length);
  forward.timeout = timeout_;
  const std::string where = "read " + query->path + " from agent " + agent->agent_id + " at " +
                            agent->host + ":" + std::to_string(agent->port);
  client_for(*agent).request(forward, [respond, where](Result<HttpResponse> answer) {
    if (!answer.ok()) return respond(error_response(answer.error().context(where)));
    // The agent's answer, refusals included: its 400s and 404s say what was wrong with the path.
    respond(HttpResponse{answer->status, answer->content_type, std::move(answer->body), {}});
  });
}

}  // namespace berth
