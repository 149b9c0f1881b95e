// The live master: state store, core, agent channel and HTTP routes.
#include "master/master_server.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "api/agent_protocol.h"
#include "common/atomic_file.h"
#include "common/metrics.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "http/event_loop.h"
#include "http/http_errors.h"
#include "http/http_server.h"
#include "marathon_api/v2_api.h"
#include "master/http_agent_channel.h"
#include "master/launch_request_json.h"
#include "master/master_metrics.h"
#include "master/master_stack.h"
#include "master/sandbox_proxy.h"
#include "master/scheduler_events.h"
#include "master/state_json.h"
#include "master/task_event_publisher.h"
#include "master/volume_wiring.h"
#include "state/memory_state_store.h"
#include "state/sqlite_state_store.h"
#include "ui/ui_handler.h"

namespace berth {
namespace {

constexpr char kVersion[] = "0.1.0";

std::string machine_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

// The settings an operator asks about first, by their flags' names (/master/state's "flags").
std::map<std::string, std::string> master_flags(const MasterOptions& options) {
  return {{"hostname", options.hostname},
          {"ip", options.address},
          {"port", std::to_string(options.port)},
          {"http_port", std::to_string(options.http_port)},
          {"work_dir", options.work_dir},
          {"state", options.state},
          {"heartbeat_interval", format_duration(options.core.heartbeat_interval)},
          {"max_missed_heartbeats", std::to_string(options.core.max_missed_heartbeats)},
          {"agent_reregister_timeout", format_duration(options.core.agent_reregister_timeout)},
          {"event_stream_keepalive", format_duration(options.events.keepalive_interval)},
          {"volume_lease", format_duration(options.volumes.lease)},
          {"volume_drift_margin", format_duration(options.volumes.drift_margin)}};
}

// One route: method, exact path or prefix ending in '/', a line of help, the handler.
struct Route {
  const char* method;
  const char* path;
  bool prefix;
  const char* help;
  std::function<void(const HttpRequest&, const Responder&)> handler;
};

}  // namespace

struct MasterServer::Routes {
  std::vector<Route> table;
  // Marathon's v2 API: everything under /v2/ but the event stream, which streams.
  marathon_api::V2Api* v2 = nullptr;

  // The route a request matched, for metrics: its path pattern, never the raw path.
  std::string label(std::string_view method, std::string_view path) const {
    // The v2 API's paths carry ids: label them by resource, "/v2/apps", "/v2/groups", ...
    if (v2 != nullptr && starts_with(path, "/v2/") && path != "/v2/events") {
      auto end = path.find('/', 4);
      return std::string(path.substr(0, end == std::string_view::npos ? path.size() : end));
    }
    const Route* known = nullptr;
    for (const auto& route : table) {
      bool matches = route.prefix ? starts_with(path, route.path) : path == route.path;
      if (!matches) continue;
      if (method == route.method) return route.path;
      if (known == nullptr) known = &route;
    }
    return known != nullptr ? known->path : "unmatched";
  }

  void dispatch(const HttpRequest& request, const Responder& respond) const {
    if (v2 != nullptr && starts_with(request.path, "/v2/") && request.path != "/v2/events") {
      if (auto answer = v2->handle(request)) return respond(std::move(*answer));
    }
    bool path_known = false;
    for (const auto& route : table) {
      bool matches =
          route.prefix ? starts_with(request.path, route.path) : request.path == route.path;
      if (!matches) continue;
      path_known = true;
      if (request.method == route.method) {
        route.handler(request, respond);
        return;
      }
    }
    if (path_known) {
      respond(json_response(405, R"({"message":"Method not allowed"})"));
      return;
    }
    respond(json_response(404, R"({"message":"URI not found"})"));
  }
};

MasterServer::MasterServer(EventLoop& loop, MasterOptions options)
    : loop_(loop), options_(std::move(options)) {}

MasterServer::~MasterServer() { stop(); }

Status MasterServer::start() {
  if (options_.hostname.empty()) options_.hostname = machine_hostname();
  if (options_.state == "memory") {
    store_ = std::make_unique<MemoryStateStore>();
  } else if (options_.state == "sqlite") {
    auto made = make_directories(options_.work_dir);
    if (!made.ok()) return made.error().context("master work dir");
    if (::access(options_.work_dir.c_str(), W_OK) != 0) {
      return invalid_argument("master work dir " + options_.work_dir + " is not writable");
    }
    auto opened = SqliteStateStore::open(options_.work_dir + "/state.db");
    if (!opened.ok()) return opened.error();
    store_ = std::move(opened).value();
  } else {
    return invalid_argument("--state must be 'sqlite' or 'memory', not '" + options_.state + "'");
  }

  options_.core.poll_timeout =
      std::min(options_.core.poll_timeout, options_.core.heartbeat_interval);
  channel_ = std::make_unique<HttpAgentChannel>(loop_.clock(), options_.core.poll_timeout);
  random_ = std::make_unique<Random>(Random::os_seed());
  metrics_ = std::make_unique<MetricsRegistry>();
  events_ = std::make_unique<EventBus>(loop_.clock());
  stack_ = std::make_unique<MasterStack>(
      MasterStackConfig{options_.core, options_.volumes, scheduler::SchedulerConfig{}},
      loop_.clock(), *store_, *channel_, *random_, *events_, *metrics_);
  MasterCore& core = stack_->core();
  // Events and metrics are wired before recovery, so the recovered tasks' states are known.
  task_events_ = std::make_unique<TaskEventPublisher>(loop_.clock(), *events_);
  core.on_task_changed([this](const TaskRecord& task) { task_events_->task_changed(task); });
  event_stream_ = std::make_unique<EventStreamEndpoint>(loop_.clock(), *events_, options_.events,
                                                        metrics_.get());
  register_master_metrics(*metrics_, core, *events_, *event_stream_);
  BERTH_RETURN_IF_ERROR(stack_->recover(scheduler_events(*events_, loop_.clock())));
  stack_recovered_ = true;

  auto routes = std::make_shared<Routes>();
  HttpAgentChannel& channel = *channel_;
  VolumeWiring& volume_wiring = stack_->volume_wiring();
  const std::int64_t volume_lease_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.volumes.lease).count();
  MasterIdentity identity{options_.hostname, options_.port, kVersion, master_flags(options_)};
  files_ = std::make_unique<SandboxFileProxy>(loop_, task_locator(core));
  SandboxFileProxy& files = *files_;

  routes->table = {
      {"POST", "/agent/v1/register", false, "an agent registers or re-registers",
       [&core, volume_lease_ms](const HttpRequest& request, const Responder& respond) {
         auto message = parse_register_agent(request.body);
         if (!message.ok())
           return respond(
               json_response(400, nlohmann::json{{"message", message.error().message}}.dump()));
         auto reply = core.register_agent(*message);
         if (!reply.ok()) return respond(error_response(reply.error()));
         // Agents keep the shorter of this and their own --volume_lease.
         reply->volume_lease_ms = volume_lease_ms;
         respond(json_response(200, to_json(*reply)));
       }},
      {"POST", "/agent/v1/poll", false,
       "an agent's long poll for commands (its heartbeat, with its mounts)",
       [&core, &channel, &volume_wiring](const HttpRequest& request, const Responder& respond) {
         auto poll = parse_poll_request(request.body);
         if (!poll.ok())
           return respond(
               json_response(400, nlohmann::json{{"message", poll.error().message}}.dump()));
         // Only the current session's poll counts, for the mounts as for the heartbeat: a
         // late poll of an earlier session may say what is no longer true.
         auto alive = core.heartbeat(poll->ref);
         if (!alive.ok())
           return respond(
               json_response(409, nlohmann::json{{"message", alive.error().message}}.dump()));
         volume_wiring.agent_polled(poll->ref.agent_id, poll->volumes);
         channel.poll(poll->ref.agent_id, poll->ref.session, respond);
       }},
      {"POST", "/agent/v1/status", false, "an agent's status updates; answered with acks",
       [&core](const HttpRequest& request, const Responder& respond) {
         auto parsed = parse_status_request(request.body);
         if (!parsed.ok())
           return respond(
               json_response(400, nlohmann::json{{"message", parsed.error().message}}.dump()));
         auto acks = core.update_status(parsed->first, parsed->second);
         if (!acks.ok() && acks.error().code == ErrorCode::kNotFound) {
           return respond(
               json_response(409, nlohmann::json{{"message", acks.error().message}}.dump()));
         }
         respond(acks.ok() ? json_response(200, acks_json(*acks)) : error_response(acks.error()));
       }},
      {"GET", "/master/state", false, "the whole cluster state, in Mesos' shape",
       [&core, identity](const HttpRequest&, const Responder& respond) {
         respond(json_response(200, master_state_json(core, identity)));
       }},
      {"GET", "/master/slaves", false, "the agents, in Mesos' shape",
       [&core](const HttpRequest&, const Responder& respond) {
         respond(json_response(200, master_slaves_json(core)));
       }},
      {"GET", "/master/tasks", false, "every task the master knows",
       [&core](const HttpRequest&, const Responder& respond) {
         respond(json_response(200, master_tasks_json(core)));
       }},
      {"POST", "/master/tasks", false, "launch a bare command task",
       [&core](const HttpRequest& request, const Responder& respond) {
         HttpResponse rejection;
         auto launch = parse_launch_request(request.body, rejection);
         if (!launch) return respond(rejection);
         auto task = core.launch(*launch);
         if (!task.ok()) return respond(error_response(task.error()));
         respond(json_response(201, task_json(core, task->id())));
       }},
      {"GET", "/master/tasks/", true, "one task",
       [&core](const HttpRequest& request, const Responder& respond) {
         std::string id = request.path.substr(std::string("/master/tasks/").size());
         std::string body = task_json(core, id);
         if (body.empty()) {
           return respond(error_response(not_found("Task '" + id + "' does not exist")));
         }
         respond(json_response(200, body));
       }},
      {"DELETE", "/master/tasks/", true,
       "kill a task (SIGTERM, then SIGKILL after its grace period)",
       [&core](const HttpRequest& request, const Responder& respond) {
         std::string id = request.path.substr(std::string("/master/tasks/").size());
         auto status = core.kill(id);
         if (!status.ok()) return respond(error_response(status.error()));
         respond(json_response(202, task_json(core, id)));
       }},
      {"GET", "/files/read", false,
       "a chunk of a file in a task's sandbox, read from its agent (the agents' /files/read)",
       [&files](const HttpRequest& request, const Responder& respond) {
         files.handle(request, respond);
       }},
      {"GET", "/health", false, "200 while the master serves",
       [](const HttpRequest&, const Responder& respond) {
         respond(json_response(200, R"({"healthy":true})"));
       }},
      {"GET", "/ping", false, "pong",
       [](const HttpRequest& request, const Responder& respond) {
         // Marathon answers a JSON string to clients that prefer JSON, text to the rest.
         std::string accept = request.header("accept");
         bool json = accept.find("application/json") != std::string::npos &&
                     accept.find("text/") == std::string::npos &&
                     accept.find("*/*") == std::string::npos;
         respond(json ? HttpResponse{200, "application/json", "\"pong\"", {}}
                      : HttpResponse{200, "text/plain", "pong", {}});
       }},
  };
  EventStreamEndpoint& event_stream = *event_stream_;
  MetricsRegistry& metrics = *metrics_;
  routes->table.push_back({"GET", "/v2/events", false,
                           "Marathon's event stream (Server-Sent Events)",
                           [&event_stream](const HttpRequest& request, const Responder& respond) {
                             event_stream.handle(request, respond);
                           }});
  routes->table.push_back(
      {"GET", "/metrics", false, "Prometheus metrics (text format 0.0.4)",
       [&metrics](const HttpRequest&, const Responder& respond) {
         respond(HttpResponse{200, MetricsRegistry::kContentType, metrics.render(), {}});
       }});
  // The web UI last, so that it never shadows an API route: `/` and `/ui/...` (docs/ui.md).
  auto ui = std::make_shared<ui::UiHandler>();
  for (const char* method : {"GET", "HEAD"}) {
    auto serve = [ui](const HttpRequest& request, const Responder& respond) {
      respond(ui->handle(request));
    };
    routes->table.push_back({method, "/", false, "the web UI (index.html)", serve});
    routes->table.push_back({method, "/ui/", true, "the web UI's files", serve});
  }
  HttpServerOptions server_options;
  server_options.on_answered = [routes, &metrics](const HttpAnswered& answered) {
    observe_http_request(metrics, routes->label(answered.method, answered.path), answered);
  };
  HttpHandler handler = [routes](HttpRequest request, Responder respond) {
    routes->dispatch(request, respond);
  };

  agent_server_ = std::make_unique<HttpServer>(loop_, handler, server_options);
  auto port = agent_server_->listen(options_.address, options_.port);
  if (!port.ok()) return port.error().context("master --port");
  port_ = *port;
  api_server_ = std::make_unique<HttpServer>(loop_, handler, server_options);
  auto http_port = api_server_->listen(options_.address, options_.http_port);
  if (!http_port.ok()) return http_port.error().context("master --http_port");
  http_port_ = *http_port;
  marathon_api::ServerIdentity identity_v2{options_.hostname, http_port_, core.master_id(),
                                           options_.hostname + ":" + std::to_string(port_)};
  v2_ = std::make_unique<marathon_api::V2Api>(
      marathon_api::ApiContext{stack_->scheduler(), core, loop_.clock(), identity_v2,
                               api_post_events(*events_, loop_.clock()), &stack_->volumes()});
  routes->v2 = v2_.get();
  spdlog::info("master listening on {}:{} (agents, /master/state) and {}:{} (API)",
               options_.address, port_, options_.address, http_port_);
  return {};
}

VolumeController* MasterServer::volumes() {
  return stack_recovered_ ? &stack_->volumes() : nullptr;
}

void MasterServer::send_volume_orders(const std::vector<VolumeOrder>& orders) {
  if (stack_ && stack_recovered_) stack_->volume_wiring().send(orders);
}

void MasterServer::stop() {
  if (event_stream_) event_stream_->close_all();
  if (agent_server_) agent_server_->close();
  if (api_server_) api_server_->close();
}

}  // namespace berth
