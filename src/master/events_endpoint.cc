// GET /v2/events: one EventBus subscriber per Server-Sent Events connection.
#include "master/events_endpoint.h"

#include <cctype>
#include <chrono>
#include <vector>

#include "common/metrics.h"
#include "http/http_errors.h"

namespace berth {
namespace {

constexpr char kKeepalive[] = ":\r\n";  // an SSE comment: every client ignores it

bool accepts_event_stream(std::string accept) {
  for (char& c : accept) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return accept.find("text/event-stream") != std::string::npos;
}

std::string frame(const BusEvent& event) {
  std::string out;
  out.reserve(event.type.size() + event.payload.size() + 20);
  out += "event: ";
  out += event.type;
  out += "\r\ndata: ";
  out += event.payload;
  out += "\r\n\r\n";
  return out;
}

}  // namespace

std::string remote_host(const std::string& remote) {
  if (!remote.empty() && remote.front() == '[') {
    auto end = remote.find(']');
    return end == std::string::npos ? remote : remote.substr(1, end - 1);
  }
  auto colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

EventStreamEndpoint::EventStreamEndpoint(Clock& clock, EventBus& bus, EventStreamOptions options,
                                         MetricsRegistry* metrics)
    : clock_(clock), bus_(bus), options_(options) {
  if (metrics != nullptr) {
    delivery_ = &metrics->histogram("berth_event_stream_delivery_seconds",
                                    "Time from an event's publication to its frame being written "
                                    "to a subscriber's connection.",
                                    MetricsRegistry::latency_buckets());
  }
  keepalive_timer_ = clock_.schedule(options_.keepalive_interval, [this] { keepalive(); });
}

EventStreamEndpoint::~EventStreamEndpoint() {
  clock_.cancel(keepalive_timer_);
  close_all();
}

void EventStreamEndpoint::handle(const HttpRequest& request, const Responder& respond) {
  // Marathon (Jetty) insists on the SSE media type; clients that forget it get 405 there too.
  if (!accepts_event_stream(request.header("accept"))) {
    return respond(
        HttpResponse{405,
                     "application/json",
                     R"({"message":"The event stream needs the header Accept: text/event-stream"})",
                     {}});
  }
  Subscription subscription;
  subscription.remote_address = remote_host(request.remote);
  for (auto& type : request.params("event_type")) {
    if (!type.empty()) subscription.event_types.insert(std::move(type));
  }
  subscription.on_ready = [this](SubscriberId id) { drain(id); };
  subscription.on_dropped = [this](SubscriberId id) {
    // Its backlog overflowed: the client reads slower than events come. End its stream.
    auto it = streams_.find(id);
    if (it == streams_.end()) return;
    auto stream = std::move(it->second);
    streams_.erase(it);
    stream->close();
  };

  auto stream = respond.stream(HttpResponse{
      200, "text/event-stream;charset=utf-8", "", {{"Cache-Control", "no-cache, no-store"}}});
  if (!stream->open()) return;
  const SubscriberId id = bus_.attach(std::move(subscription));
  streams_[id] = stream;
  // The callbacks run on later turns of the loop, never inside write() or close().
  stream->on_close([this, id] { remove(id); });
  stream->on_drained([this, id] { drain(id); });
  drain(id);
}

void EventStreamEndpoint::drain(SubscriberId id) {
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  ResponseStream& stream = *it->second;
  while (stream.buffered_bytes() < options_.high_water_bytes) {
    BusEventPtr event = bus_.next(id);
    if (!event) return;
    // A failed write means the client left; on_close follows and detaches it.
    if (!stream.write(frame(*event))) return;
    if (delivery_ != nullptr) {
      delivery_->observe(std::chrono::duration<double>(clock_.now() - event->published).count());
    }
  }
}

void EventStreamEndpoint::remove(SubscriberId id) {
  streams_.erase(id);
  bus_.detach(id);  // tells the others (event_stream_detached)
}

void EventStreamEndpoint::keepalive() {
  // Writes to every stream, busy or not: a dead peer is found by the write, and the interval
  // between two keepalives is never longer than the option.
  std::vector<std::shared_ptr<ResponseStream>> streams;
  streams.reserve(streams_.size());
  for (const auto& [id, stream] : streams_) streams.push_back(stream);
  for (const auto& stream : streams) stream->write(kKeepalive);
  keepalive_timer_ = clock_.schedule(options_.keepalive_interval, [this] { keepalive(); });
}

void EventStreamEndpoint::close_all() {
  auto streams = std::move(streams_);
  streams_.clear();
  for (auto& [id, stream] : streams) {
    bus_.detach(id);
    stream->close();
  }
}

}  // namespace berth
