// EventStreamEndpoint: `GET /v2/events`, Marathon's event stream as Server-Sent Events
// (reference/marathon-api.md §16). Each connection is one EventBus subscriber; the endpoint
// moves its events from the bus's bounded backlog to the socket as fast as the client reads:
//
//   bus backlog --next()--> frame --write()--> stream buffer (<= high water) --> socket
//        ^ on_ready (first event queued)              | on_drained (socket took it all)
//        +--------------------------------------------+
//
// so a slow client's events pile up in the bus, which drops it past its bound, and nothing ever
// blocks the loop or the other clients.
//
// Framing: 200 `text/event-stream;charset=utf-8`, chunked, one chunk per event:
// `event: <type>\r\ndata: <one line of JSON>\r\n\r\n`; a keepalive chunk (`:\r\n`, an SSE
// comment) on every stream each keepalive interval. Without `Accept: text/event-stream`: 405.
// Repeated `event_type=` parameters select types (see EventBus for the default set).
//
// Threading: the master's event loop; timers on its Clock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "common/clock.h"
#include "http/http_server.h"
#include "master/event_bus.h"

namespace berth {

class Histogram;
class MetricsRegistry;

struct EventStreamOptions {
  // Marathon's (Jetty's) heartbeat interval; clients and proxies count on one at least this often.
  Duration keepalive_interval = std::chrono::seconds(10);
  // Events are moved from the bus to a connection only while it buffers less than this.
  std::size_t high_water_bytes = 64 * 1024;
};

class EventStreamEndpoint {
 public:
  // `metrics` may be null.
  EventStreamEndpoint(Clock& clock, EventBus& bus, EventStreamOptions options = {},
                      MetricsRegistry* metrics = nullptr);
  // Closes every stream.
  ~EventStreamEndpoint();
  EventStreamEndpoint(const EventStreamEndpoint&) = delete;
  EventStreamEndpoint& operator=(const EventStreamEndpoint&) = delete;

  // The handler of GET /v2/events.
  void handle(const HttpRequest& request, const Responder& respond);

  std::size_t connections() const { return streams_.size(); }
  // Ends every stream (the server is stopping).
  void close_all();

 private:
  void drain(SubscriberId id);
  void remove(SubscriberId id);
  void keepalive();

  Clock& clock_;
  EventBus& bus_;
  EventStreamOptions options_;
  Histogram* delivery_ = nullptr;  // in the metrics registry, if any
  std::map<SubscriberId, std::shared_ptr<ResponseStream>> streams_;
  TimerId keepalive_timer_ = 0;
};

// The address part of "10.0.0.5:41234" or "[::1]:41234" ("10.0.0.5", "::1").
std::string remote_host(const std::string& remote);

}  // namespace berth
