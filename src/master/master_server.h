// MasterServer: the live master. It wires MasterCore to the event loop's clock, the state store
// and two HTTP servers: the agents' endpoint with the Mesos-style read API (--port, 5050) and the
// public API (--http_port, 8080; Marathon's v2 API lands there).
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "master/events_endpoint.h"
#include "master/master_core.h"
#include "storage/volume_controller.h"

namespace berth {

class EventBus;
class EventLoop;
class EventStreamEndpoint;
class HttpAgentChannel;
class HttpServer;
class MasterStack;
class MetricsRegistry;
class SandboxFileProxy;
class StateStore;
namespace marathon_api {
class V2Api;
}
class TaskEventPublisher;

struct MasterOptions {
  std::string work_dir = "/var/lib/berth/master";
  std::string address = "0.0.0.0";
  std::string hostname;  // advertised; defaults to the machine's hostname
  std::uint16_t port = 5050;
  std::uint16_t http_port = 8080;
  std::string state = "sqlite";  // or "memory"
  MasterConfig core;
  EventStreamOptions events;  // GET /v2/events
  VolumeControllerConfig volumes;
};

class MasterServer {
 public:
  MasterServer(EventLoop& loop, MasterOptions options);
  ~MasterServer();

  // Opens the state, recovers and starts listening. Errors name what failed.
  Status start();
  void stop();

  std::uint16_t port() const { return port_; }
  std::uint16_t http_port() const { return http_port_; }
  // For producers of Marathon events (the app scheduler) and of metrics. Valid after start().
  EventBus& event_bus() { return *events_; }
  MetricsRegistry& metrics() { return *metrics_; }
  // The owner of every volume, for the scheduler's claims and releases. Valid after start().
  VolumeController* volumes();
  // Delivers orders the controller returned (release(), agent_reported()) to their agents.
  void send_volume_orders(const std::vector<VolumeOrder>& orders);

 private:
  struct Routes;

  EventLoop& loop_;
  MasterOptions options_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<HttpAgentChannel> channel_;
  std::unique_ptr<Random> random_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<EventBus> events_;
  std::unique_ptr<TaskEventPublisher> task_events_;
  std::unique_ptr<MasterStack> stack_;  // core, volumes, scheduler (master_stack.h)
  bool stack_recovered_ = false;
  std::unique_ptr<marathon_api::V2Api> v2_;
  std::unique_ptr<SandboxFileProxy> files_;  // GET /files/read, forwarded to the task's agent
  std::unique_ptr<HttpServer> agent_server_;
  std::unique_ptr<HttpServer> api_server_;
  std::unique_ptr<EventStreamEndpoint> event_stream_;  // before the servers go
  std::uint16_t port_ = 0;
  std::uint16_t http_port_ = 0;
};

}  // namespace berth
