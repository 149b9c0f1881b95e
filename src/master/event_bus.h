// EventBus: the master's event bus behind Marathon's event stream (`GET /v2/events`). Producers
// publish one-line JSON payloads; each subscriber has a bounded backlog that its consumer (an SSE
// connection) drains as fast as its client reads. A subscriber whose backlog overflows is dropped,
// never waited for: one slow client must not hold up the others nor grow the master's memory
// (Marathon drops it too).
//
//   publish(type, payload)
//        |
//        +--> wanted by subscriber A? --> A's backlog [e1 e2 e3] --next(A)--> A's connection
//        +--> wanted by subscriber B? --> B's backlog [e1 ...]   --next(B)--> B's connection
//                                          | over its bound
//                                          v
//                                   B dropped: on_dropped(B), event_stream_detached to the others
//
// Which types a subscriber gets: with `event_types` given, exactly those; without, every type of
// kDefaultEventTypes (Marathon's own, less the three scheduler_* ones that kill the Python
// client). So Berth's own event types reach only subscribers that ask for them by name.
//
// Deterministic: no sockets, threads or real clock; timestamps come from the injected Clock.
// Threading: one event loop. Callbacks run synchronously inside publish() and must not call back
// into the bus, except next().
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"

namespace berth {

// One published event, shared by every backlog that holds it.
struct BusEvent {
  std::string type;     // "status_update_event"
  std::string payload;  // one line of JSON carrying eventType and timestamp
  Instant published;    // the bus clock's now() at publication (for delivery latency)
};
using BusEventPtr = std::shared_ptr<const BusEvent>;

// The types a subscriber without a filter receives.
bool is_default_event_type(std::string_view type);

struct EventBusOptions {
  // A subscriber is dropped once its backlog would exceed either bound.
  std::size_t max_backlog_events = 1000;
  std::size_t max_backlog_bytes = 4 * 1024 * 1024;
};

using SubscriberId = std::uint64_t;

struct Subscription {
  std::string remote_address;                    // "10.0.0.5", shown in attached/detached events
  std::set<std::string> event_types;             // empty: the default types
  std::function<void(SubscriberId)> on_ready;    // its backlog went from empty to non-empty
  std::function<void(SubscriberId)> on_dropped;  // the bus dropped it (backlog overflow)
};

struct EventBusStats {
  std::uint64_t published = 0;  // publish() calls
  std::uint64_t delivered = 0;  // events handed out by next()
  std::uint64_t dropped_subscribers = 0;
  std::uint64_t dropped_events = 0;  // events lost with the dropped subscribers' backlogs
};

class EventBus {
 public:
  explicit EventBus(Clock& clock, EventBusOptions options = {});
  ~EventBus();
  EventBus(const EventBus&) = delete;
  EventBus& operator=(const EventBus&) = delete;

  // Adds a subscriber whose backlog starts with `event_stream_attached` (when its filter admits
  // that type). attach() does not call on_ready: the caller drains with next() once it has the id.
  SubscriberId attach(Subscription subscription);
  // Removes a subscriber (its client left) and tells the others with `event_stream_detached`.
  // Unknown or already dropped ids are ignored.
  void detach(SubscriberId id);

  // Queues the event for every subscriber that wants `type`; drops those that overflow.
  void publish(std::string_view type, std::string payload);
  // Takes the oldest event off a subscriber's backlog; null when it is empty or unknown.
  BusEventPtr next(SubscriberId id);

  std::size_t subscribers() const { return subscribers_.size(); }
  std::size_t backlog(SubscriberId id) const;
  const EventBusStats& stats() const { return stats_; }

 private:
  struct Subscriber {
    Subscription subscription;
    std::deque<BusEventPtr> backlog;
    std::size_t backlog_bytes = 0;
  };

  static bool wants(const Subscriber& subscriber, std::string_view type);
  // Delivers to every subscriber that wants it, collecting overflows in `dropped`.
  void deliver(const BusEventPtr& event, std::vector<SubscriberId>& dropped);
  // Removes the dropped subscribers, calls their on_dropped, and announces each departure
  // (which may overflow and drop others in turn).
  void settle(std::vector<SubscriberId> dropped);
  BusEventPtr make_event(std::string_view type, std::string payload) const;

  Clock& clock_;
  EventBusOptions options_;
  std::map<SubscriberId, Subscriber> subscribers_;
  SubscriberId next_id_ = 1;
  EventBusStats stats_;
};

}  // namespace berth
