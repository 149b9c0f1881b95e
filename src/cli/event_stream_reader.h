// EventStreamReader: a blocking reader of the master's Server-Sent Events (GET /v2/events), for
// commands that wait for something to happen (`berth deployment watch`). The master's HttpClient
// reads whole bodies only, and a stream never ends, so this reads a plain socket. SseParser turns
// the bytes into events and knows nothing of sockets, so that it can be tested alone.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.h"
#include "common/result.h"

namespace berth {

struct SseEvent {
  std::string type;
  nlohmann::json data;  // null when the data line was not JSON
};

// Frames `event: <type>` / `data: <json>` / blank line, as events.md describes. Lines that are
// neither (the hex sizes of the chunked encoding, keepalive comments) are skipped.
class SseParser {
 public:
  // Appends `bytes` and returns the events they complete.
  std::vector<SseEvent> feed(std::string_view bytes);

 private:
  std::string buffer_;
  std::string type_;
  std::string data_;
};

class EventStreamReader {
 public:
  // Connects and subscribes to `types` (the master's ?event_type= filter).
  static Result<std::unique_ptr<EventStreamReader>> open(const Endpoint& master,
                                                         const std::vector<std::string>& types);
  ~EventStreamReader();
  EventStreamReader(const EventStreamReader&) = delete;
  EventStreamReader& operator=(const EventStreamReader&) = delete;

  // The next event, or nullopt when none came within `timeout`; kUnavailable once the stream
  // has ended.
  Result<std::optional<SseEvent>> next(std::chrono::milliseconds timeout);

 private:
  explicit EventStreamReader(int fd) : fd_(fd) {}

  int fd_;
  SseParser parser_;
  std::vector<SseEvent> ready_;
};

}  // namespace berth
