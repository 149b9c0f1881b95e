// The event bus: per-subscriber bounded backlogs, type filters, attach/detach announcements.
#include "master/event_bus.h"

#include <algorithm>

#include "master/marathon_events.h"

namespace berth {

bool is_default_event_type(std::string_view type) {
  const auto& types = marathon_event_types();
  return std::find(types.begin(), types.end(), type) != types.end();
}

EventBus::EventBus(Clock& clock, EventBusOptions options) : clock_(clock), options_(options) {}

EventBus::~EventBus() = default;

bool EventBus::wants(const Subscriber& subscriber, std::string_view type) {
  const auto& types = subscriber.subscription.event_types;
  if (types.empty()) return is_default_event_type(type);
  return types.find(std::string(type)) != types.end();
}

BusEventPtr EventBus::make_event(std::string_view type, std::string payload) const {
  return std::make_shared<const BusEvent>(
      BusEvent{std::string(type), std::move(payload), clock_.now()});
}

SubscriberId EventBus::attach(Subscription subscription) {
  const SubscriberId id = next_id_++;
  Subscriber& subscriber = subscribers_[id];
  subscriber.subscription = std::move(subscription);
  if (wants(subscriber, event_type::kEventStreamAttached)) {
    auto event = make_event(
        event_type::kEventStreamAttached,
        event_stream_attached_event(subscriber.subscription.remote_address, clock_.wall()));
    subscriber.backlog_bytes += event->payload.size();
    subscriber.backlog.push_back(std::move(event));
  }
  return id;
}

void EventBus::detach(SubscriberId id) {
  auto it = subscribers_.find(id);
  if (it == subscribers_.end()) return;
  const std::string remote = it->second.subscription.remote_address;
  subscribers_.erase(it);
  std::vector<SubscriberId> dropped;
  deliver(make_event(event_type::kEventStreamDetached,
                     event_stream_detached_event(remote, clock_.wall())),
          dropped);
  settle(std::move(dropped));
}

void EventBus::publish(std::string_view type, std::string payload) {
  ++stats_.published;
  std::vector<SubscriberId> dropped;
  deliver(make_event(type, std::move(payload)), dropped);
  settle(std::move(dropped));
}

void EventBus::deliver(const BusEventPtr& event, std::vector<SubscriberId>& dropped) {
  for (auto& [id, subscriber] : subscribers_) {
    if (!wants(subscriber, event->type)) continue;
    if (std::find(dropped.begin(), dropped.end(), id) != dropped.end()) continue;
    if (subscriber.backlog.size() + 1 > options_.max_backlog_events ||
        subscriber.backlog_bytes + event->payload.size() > options_.max_backlog_bytes) {
      dropped.push_back(id);
      continue;
    }
    const bool was_empty = subscriber.backlog.empty();
    subscriber.backlog.push_back(event);
    subscriber.backlog_bytes += event->payload.size();
    if (was_empty && subscriber.subscription.on_ready) subscriber.subscription.on_ready(id);
  }
}

void EventBus::settle(std::vector<SubscriberId> dropped) {
  // Each departure is announced to those still attached, which may overflow one of them in turn;
  // the list only grows while subscribers remain, so this ends.
  for (std::size_t i = 0; i < dropped.size(); ++i) {
    auto it = subscribers_.find(dropped[i]);
    if (it == subscribers_.end()) continue;
    Subscriber gone = std::move(it->second);
    subscribers_.erase(it);
    ++stats_.dropped_subscribers;
    stats_.dropped_events += gone.backlog.size();
    if (gone.subscription.on_dropped) gone.subscription.on_dropped(dropped[i]);
    deliver(
        make_event(event_type::kEventStreamDetached,
                   event_stream_detached_event(gone.subscription.remote_address, clock_.wall())),
        dropped);
  }
}

BusEventPtr EventBus::next(SubscriberId id) {
  auto it = subscribers_.find(id);
  if (it == subscribers_.end() || it->second.backlog.empty()) return nullptr;
  Subscriber& subscriber = it->second;
  BusEventPtr event = std::move(subscriber.backlog.front());
  subscriber.backlog.pop_front();
  subscriber.backlog_bytes -= event->payload.size();
  ++stats_.delivered;
  return event;
}

std::size_t EventBus::backlog(SubscriberId id) const {
  auto it = subscribers_.find(id);
  return it == subscribers_.end() ? 0 : it->second.backlog.size();
}

}  // namespace berth
