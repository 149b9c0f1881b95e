// Reading /v2/events over a plain socket.
#include "cli/event_stream_reader.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace berth {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// The value of an SSE field line ("data: x" or "data:x").
std::string field_value(std::string_view line, std::size_t name_size) {
  std::string_view value = line.substr(name_size + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return std::string(value);
}

Result<int> connect_to(const Endpoint& endpoint) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc =
      ::getaddrinfo(endpoint.host.c_str(), std::to_string(endpoint.port).c_str(), &hints, &found);
  if (rc != 0) return unavailable("resolve " + endpoint.host + ": " + ::gai_strerror(rc));
  int last_errno = 0;
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    int fd = ::socket(at->ai_family, at->ai_socktype | SOCK_CLOEXEC, at->ai_protocol);
    if (fd < 0) continue;
    // Bounds connect() and the writes; reads are bounded by poll() in next().
    timeval limit{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
    if (::connect(fd, at->ai_addr, at->ai_addrlen) == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    last_errno = errno;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return errno_error("connect " + endpoint.text(), last_errno);
}

}  // namespace

std::vector<SseEvent> SseParser::feed(std::string_view bytes) {
  buffer_.append(bytes);
  std::vector<SseEvent> events;
  std::size_t start = 0;
  for (std::size_t end; (end = buffer_.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string_view line(buffer_.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (!type_.empty() || !data_.empty()) {
        auto data = nlohmann::json::parse(data_, nullptr, false);
        events.push_back({type_.empty() ? "message" : type_,
                          data.is_discarded() ? nlohmann::json() : std::move(data)});
      }
      type_.clear();
      data_.clear();
    } else if (starts_with(line, "event:")) {
      type_ = field_value(line, 5);
    } else if (starts_with(line, "data:")) {
      if (!data_.empty()) data_ += '\n';
      data_ += field_value(line, 4);
    }
  }
  buffer_.erase(0, start);
  return events;
}

Result<std::unique_ptr<EventStreamReader>> EventStreamReader::open(
    const Endpoint& master, const std::vector<std::string>& types) {
  auto fd = connect_to(master);
  if (!fd.ok()) return fd.error();
  std::unique_ptr<EventStreamReader> reader(new EventStreamReader(*fd));
  std::string target = "/v2/events";
  for (std::size_t i = 0; i < types.size(); ++i) {
    target += (i == 0 ? "?event_type=" : "&event_type=") + types[i];
  }
  const std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + master.text() +
                              "\r\nAccept: text/event-stream\r\n\r\n";
  if (::send(*fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return errno_error("send to " + master.text(), errno);
  }
  // The head, up to the blank line; whatever follows it is the first events' bytes.
  std::string head;
  char block[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    pollfd waiting{*fd, POLLIN, 0};
    if (::poll(&waiting, 1, 5000) <= 0) return unavailable("no answer from " + master.text());
    ssize_t n = ::recv(*fd, block, sizeof(block), 0);
    if (n <= 0) return unavailable("the master closed the event stream");
    head.append(block, static_cast<std::size_t>(n));
    if (head.size() > 65536) return unavailable("event stream: head too long");
  }
  if (head.compare(0, 12, "HTTP/1.1 200") != 0) {
    return unavailable("event stream refused: " + head.substr(0, head.find('\r')));
  }
  reader->ready_ = reader->parser_.feed(std::string_view(head).substr(head.find("\r\n\r\n") + 4));
  return reader;
}

EventStreamReader::~EventStreamReader() { ::close(fd_); }

Result<std::optional<SseEvent>> EventStreamReader::next(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (ready_.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::optional<SseEvent>();
    pollfd waiting{fd_, POLLIN, 0};
    int rc = ::poll(&waiting, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return errno_error("poll", errno);
    if (rc == 0) return std::optional<SseEvent>();
    char block[16384];
    ssize_t n = ::recv(fd_, block, sizeof(block), 0);
    if (n <= 0) return unavailable("the master closed the event stream");
    ready_ = parser_.feed(std::string_view(block, static_cast<std::size_t>(n)));
  }
  SseEvent event = std::move(ready_.front());
  ready_.erase(ready_.begin());
  return std::optional<SseEvent>(std::move(event));
}

}  // namespace berth
