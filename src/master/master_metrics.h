// The master's Prometheus metrics: HTTP requests by route and status with their latency, tasks by
// state, agents by status, event-stream subscribers and events published and dropped. What can
// be read from state is read at scrape time (collectors); only requests are counted as they go.
//
// Threading: the master's event loop.
#pragma once

#include <string>

#include "common/metrics.h"
#include "http/http_server.h"

namespace berth {

class EventBus;
class EventStreamEndpoint;
class MasterCore;

// Adds the collectors. Every referenced object must outlive `metrics`' last render().
void register_master_metrics(MetricsRegistry& metrics, const MasterCore& core, const EventBus& bus,
                             const EventStreamEndpoint& event_stream);

// Counts one answered request under its route pattern (`route`, never the raw path).
void observe_http_request(MetricsRegistry& metrics, const std::string& route,
                          const HttpAnswered& answered);

}  // namespace berth
