// The master's metrics, read from the core, the event bus and the event stream at scrape time.
#include "master/master_metrics.h"

#include <map>

#include "master/event_bus.h"
#include "master/events_endpoint.h"
#include "master/master_core.h"

namespace berth {

void register_master_metrics(MetricsRegistry& metrics, const MasterCore& core, const EventBus& bus,
                             const EventStreamEndpoint& event_stream) {
  metrics.on_collect([&metrics, &core] {
    std::map<TaskState, int> tasks;
    for (const auto& [id, task] : core.tasks()) ++tasks[task.state];
    for (int s = static_cast<int>(TaskState::kStaging); s <= static_cast<int>(TaskState::kUnknown);
         ++s) {
      const auto state = static_cast<TaskState>(s);
      metrics
          .gauge("berth_tasks", "Tasks the master holds (live and recently completed), by state.",
                 {{"state", std::string(to_string(state))}})
          .set(tasks[state]);
    }
    std::map<AgentRecord::Status, int> agents;
    for (const auto& [id, agent] : core.agents().all()) ++agents[agent.status];
    for (auto status : {AgentRecord::Status::kActive, AgentRecord::Status::kRecovered,
                        AgentRecord::Status::kUnreachable}) {
      metrics
          .gauge("berth_agents", "Agents the master knows, by status.",
                 {{"status", std::string(to_string(status))}})
          .set(agents[status]);
    }
  });
  metrics.on_collect([&metrics, &bus, &event_stream] {
    metrics.gauge("berth_event_stream_subscribers", "Open GET /v2/events connections.")
        .set(static_cast<double>(event_stream.connections()));
    const EventBusStats& stats = bus.stats();
    metrics.counter("berth_events_published_total", "Events published on the master's event bus.")
        .set_total(static_cast<double>(stats.published));
    metrics
        .counter("berth_event_stream_dropped_subscribers_total",
                 "Event-stream subscribers dropped because they read too slowly.")
        .set_total(static_cast<double>(stats.dropped_subscribers));
    metrics
        .counter("berth_events_dropped_total",
                 "Events lost with the backlogs of dropped subscribers.")
        .set_total(static_cast<double>(stats.dropped_events));
  });
}

void observe_http_request(MetricsRegistry& metrics, const std::string& route,
                          const HttpAnswered& answered) {
  const std::string method(answered.method);
  metrics
      .counter("berth_http_requests_total", "HTTP requests answered, by route and status.",
               {{"method", method}, {"route", route}, {"code", std::to_string(answered.status)}})
      .inc();
  metrics
      .histogram("berth_http_request_duration_seconds",
                 "Time from a request being read to its answer (or a stream's head) being queued.",
                 MetricsRegistry::latency_buckets(), {{"method", method}, {"route", route}})
      .observe(std::chrono::duration<double>(answered.elapsed).count());
}

}  // namespace berth
