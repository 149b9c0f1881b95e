// HttpServer on Boost.Beast's request parser: one Connection object per accepted socket, answering
// one request at a time (HTTP/1.1 ordering) with responses that may come later or be streamed.
//
// A connection moves through these states:
//
//        accept
//          |
//          v
//     +----------+  request   +----------+  answer   +----------+  keep-alive
//     | kReading |----------->| kPending |---------->| kWriting |------------> kReading
//     +----------+            +----------+           +----------+
//          |                        | stream()             | Connection: close
//          | EOF, error, 4xx        v                      v
//          |                  +------------+         (linger) kClosed
//          +----------------->| kStreaming |--- close(), client gone ---> kClosed
//                             +------------+
//
// While a request is pending no further request is read; the peer is watched (without consuming
// bytes) only to notice that it has gone, which Responder::connected() reports.
#include "http/http_server.h"

// Asio comes in through its wrapper first (see there).
#include "http/asio_context.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // as in asio_context.h
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#pragma GCC diagnostic pop

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <vector>

#include "http/event_loop.h"
#include "http/target.h"

namespace berth {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

// A stream whose client reads slower than events arrive is dropped past this much backlog,
// rather than letting one slow subscriber grow the master's memory without bound.
constexpr std::size_t kMaxStreamBacklogBytes = 8 * 1024 * 1024;
// How long a closing connection drains what the client still sends, so that the kernel does not
// answer those bytes with a reset that would destroy our last response in flight.
constexpr auto kLingerTime = std::chrono::seconds(2);

std::string json_message(const std::string& message) {
  std::string out = R"({"message":")";
  for (char c : message) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) >= 0x20) out.push_back(c);
  }
  out += "\"}";
  return out;
}

// Header values come from handlers; a stray CR or LF must not start a new header.
void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  for (char c : value) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  out.append("\r\n");
}

// Headers the server writes itself; a handler's own copy of one would contradict the framing.
bool reserved_header(const std::string& name) {
  const std::string lower = to_lower(name);
  return lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
         lower == "content-type";
}

std::string status_line(int status) {
  std::string line = "HTTP/1.1 " + std::to_string(status) + " ";
  line.append(http::obsolete_reason(static_cast<http::status>(status)));
  line.append("\r\n");
  return line;
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

class Connection;

}  // namespace

// What every connection shares with its server. Connections hold it by shared_ptr, so a
// connection whose last handlers run after the server is gone still finds `closed` set and never
// calls the handler.
struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  Impl(asio::io_context& io_context, HttpHandler h, HttpServerOptions o)
      : io(io_context),
        handler(std::move(h)),
        options(o),
        acceptor(io_context),
        retry(io_context) {}

  void accept();
  void track(const std::shared_ptr<Connection>& connection);

  asio::io_context& io;
  HttpHandler handler;
  HttpServerOptions options;
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // backs off after a failed accept (out of descriptors)
  bool closed = false;
  std::vector<std::weak_ptr<Connection>> connections;
  std::size_t prune_at = 64;
};

namespace {

// One accepted socket. Kept alive by its pending operations' handlers; Responders and stream
// handles refer to it weakly.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<HttpServer::Impl> server, tcp::socket socket)
      : server_(std::move(server)),
        socket_(std::move(socket)),
        linger_(server_->io),
        read_deadline_(server_->io) {
    error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    auto peer = socket_.remote_endpoint(ignored);
    if (!ignored) remote_ = endpoint_text(peer);
  }

  void start() { read_request(); }

  // Responder's answer to the pending request.
  void answer(HttpResponse response);
  // Responder::stream(): sends the head and switches to streaming.
  bool start_stream(const HttpResponse& head);
  bool peer_connected() const { return state_ != State::kClosed && peer_open_; }
  // HttpServer::close().
  void close_now();

  // ResponseStream's operations.
  bool stream_write(std::string_view data);
  void stream_close();
  bool stream_open() const { return state_ == State::kStreaming && !stream_closing_; }
  void set_stream_listener(std::function<void()> on_closed) {
    on_stream_closed_ = std::move(on_closed);
  }
  std::size_t stream_buffered_bytes() const { return queued_bytes_; }
  void set_stream_drained_listener(std::function<void()> on_drained) {
    on_stream_drained_ = std::move(on_drained);
  }

 private:
  enum class State { kReading, kPending, kWriting, kStreaming, kLingering, kClosed };
  // What to do once everything queued has been written.
  enum class AfterWrite { kNothing, kReadNext, kLinger, kClose };

  void read_request();
  void on_header(const error_code& error);
  void on_request(const error_code& error);
  void reject_read(const error_code& error);
  void dispatch();
  void watch_peer();
  void discard_reads();
  void send(std::string bytes, AfterWrite after);
  void flush();
  void on_written(const error_code& error);
  void linger();
  void finish();
  void report_answer(int status);

  std::shared_ptr<HttpServer::Impl> server_;
  tcp::socket socket_;
  std::string remote_;
  State state_ = State::kReading;
  bool peer_open_ = true;

  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = true;
  bool head_request_ = false;
  bool http10_ = false;
  // Counts requests, so that a peer watch armed for one request is ignored after it.
  std::uint64_t request_seq_ = 0;
  bool watching_ = false;

  std::vector<std::string> queued_;
  std::vector<std::string> in_flight_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  AfterWrite after_write_ = AfterWrite::kNothing;

  bool chunked_ = true;
  bool stream_closing_ = false;
  std::function<void()> on_stream_closed_;
  std::function<void()> on_stream_drained_;
  std::array<char, 4096> discard_{};
  // The pending request, for HttpServerOptions::on_answered.
  std::string pending_method_;
  std::string pending_path_;
  std::chrono::steady_clock::time_point dispatched_at_;
  asio::steady_timer linger_;
  // A request must arrive whole within options.read_timeout of the connection becoming ready
  // for it, so a slow or idle client cannot hold a connection (and its memory) forever.
  asio::steady_timer read_deadline_;
  void arm_read_deadline();
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// Responder and ResponseStream.

struct Responder::State {
  State(std::weak_ptr<Connection> c, asio::io_context& i) : connection(std::move(c)), io(i) {}
  State(const State&) = delete;
  State& operator=(const State&) = delete;
  ~State() {
    if (answered) return;
    if (auto c = connection.lock()) {
      c->answer(HttpResponse{500,
                             "application/json",
                             json_message("The handler dropped the request without answering"),
                             {}});
    }
  }

  std::weak_ptr<Connection> connection;
  asio::io_context& io;
  bool answered = false;
};

namespace {

// The handler's side of a streamed response. Dropping the last handle ends the stream, and its
// on_close callback is forgotten: whoever registered it is letting go of the stream.
class StreamHandle final : public ResponseStream,
                           public std::enable_shared_from_this<StreamHandle> {
 public:
  StreamHandle(std::weak_ptr<Connection> connection, asio::io_context& io)
      : connection_(std::move(connection)), io_(io) {}
  ~StreamHandle() override {
    if (auto c = connection_.lock()) {
      c->set_stream_listener(nullptr);
      c->set_stream_drained_listener(nullptr);
      c->stream_close();
    }
  }

  bool write(std::string data) override {
    auto c = connection_.lock();
    return c && c->stream_write(data);
  }
  void close() override {
    if (auto c = connection_.lock()) c->stream_close();
  }
  bool open() const override {
    auto c = connection_.lock();
    return c && c->stream_open();
  }
  void on_close(std::function<void()> fn) override {
    on_close_ = std::move(fn);
    if (!connection_.lock()) closed();
  }
  std::size_t buffered_bytes() const override {
    auto c = connection_.lock();
    return c ? c->stream_buffered_bytes() : 0;
  }
  void on_drained(std::function<void()> fn) override {
    on_drained_ = std::move(fn);
    auto c = connection_.lock();
    if (!c) return;
    c->set_stream_drained_listener([weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self || !self->on_drained_) return;
      auto callback = self->on_drained_;  // it may replace itself or drop this handle
      callback();
    });
  }

  // Called by the connection when it ends: runs on_close on a later turn of the loop, never inside
  // write() or close(), so a callback that edits a list of streams cannot do so mid-iteration.
  void closed() {
    asio::post(io_, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self || !self->on_close_) return;
      auto fn = std::move(self->on_close_);
      self->on_close_ = nullptr;
      fn();
    });
  }

 private:
  std::weak_ptr<Connection> connection_;
  asio::io_context& io_;
  std::function<void()> on_close_;
  std::function<void()> on_drained_;
};

}  // namespace

void Responder::operator()(HttpResponse response) const {
  if (state_->answered) return;
  state_->answered = true;
  if (auto c = state_->connection.lock()) c->answer(std::move(response));
}

std::shared_ptr<ResponseStream> Responder::stream(HttpResponse head) const {
  auto c = state_->connection.lock();
  if (state_->answered || !c) {
    state_->answered = true;
    return std::make_shared<StreamHandle>(std::weak_ptr<Connection>(), state_->io);
  }
  state_->answered = true;
  if (!c->start_stream(head)) {
    return std::make_shared<StreamHandle>(std::weak_ptr<Connection>(), state_->io);
  }
  auto handle = std::make_shared<StreamHandle>(c, state_->io);
  c->set_stream_listener([weak = std::weak_ptr<StreamHandle>(handle)] {
    if (auto h = weak.lock()) h->closed();
  });
  return handle;
}

bool Responder::connected() const {
  auto c = state_->connection.lock();
  return c && c->peer_connected();
}

// ---------------------------------------------------------------------------------------------
// Reading requests.

void Connection::arm_read_deadline() {
  read_deadline_.expires_after(server_->options.read_timeout);
  read_deadline_.async_wait([weak = weak_from_this(), seq = request_seq_](const error_code& e) {
    auto self = weak.lock();
    if (e || !self || self->state_ != State::kReading || self->request_seq_ != seq) return;
    self->finish();
  });
}

void Connection::read_request() {
  state_ = State::kReading;
  arm_read_deadline();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
  parser_->body_limit(server_->options.max_body_bytes);
  http::async_read_header(socket_, buffer_, *parser_,
                          [self = shared_from_this()](const error_code& error, std::size_t) {
                            self->on_header(error);
                          });
}

void Connection::on_header(const error_code& error) {
  if (state_ != State::kReading) return;
  if (error) return reject_read(error);
  if (parser_->is_done()) return dispatch();
  // curl and others wait (a full second) for permission before sending a body.
  if (to_lower(parser_->get()[http::field::expect]) == "100-continue") {
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(socket_, asio::buffer(kContinue),
                      [self = shared_from_this()](const error_code& e, std::size_t) {
                        if (e) return self->finish();
                        http::async_read(
                            self->socket_, self->buffer_, *self->parser_,
                            [self](const error_code& e2, std::size_t) { self->on_request(e2); });
                      });
    return;
  }
  http::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](const error_code& e, std::size_t) { self->on_request(e); });
}

void Connection::on_request(const error_code& error) {
  if (state_ != State::kReading) return;
  if (error) return reject_read(error);
  dispatch();
}

// A read that failed: the client left (close quietly), or sent something we refuse (answer with
// the reason, then close, since the rest of its bytes cannot be framed).
void Connection::reject_read(const error_code& error) {
  if (server_->closed ||
      error.category() != http::make_error_code(http::error::bad_target).category() ||
      error == http::error::end_of_stream || error == http::error::partial_message) {
    return finish();
  }
  int status = 400;
  std::string message = "Bad request: " + error.message();
  if (error == http::error::body_limit) {
    status = 413;
    message = "Request body too large";
  } else if (error == http::error::header_limit) {
    status = 431;
    message = "Request header too large";
  }
  keep_alive_ = false;
  head_request_ = false;
  state_ = State::kWriting;
  const std::string body = json_message(message);
  std::string out = status_line(status);
  append_header(out, "Content-Type", "application/json");
  append_header(out, "Content-Length", std::to_string(body.size()));
  append_header(out, "Connection", "close");
  out += "\r\n";
  out += body;
  send(std::move(out), AfterWrite::kLinger);
}

void Connection::dispatch() {
  read_deadline_.cancel();
  if (server_->closed) return finish();
  auto& message = parser_->get();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  parse_target(request);
  for (const auto& field : message) {
    auto [it, inserted] =
        request.headers.emplace(to_lower(field.name_string()), std::string(field.value()));
    if (!inserted) {
      // Repeated headers fold into one comma-separated value (RFC 9110 5.3).
      it->second += ", ";
      it->second += field.value();
    }
  }
  request.body = std::move(message.body());
  request.remote = remote_;
  if (server_->options.on_answered) {
    pending_method_ = request.method;
    pending_path_ = request.path;
    dispatched_at_ = std::chrono::steady_clock::now();
  }
  keep_alive_ = parser_->keep_alive();
  head_request_ = message.method() == http::verb::head;
  http10_ = message.version() < 11;
  parser_.reset();

  state_ = State::kPending;
  ++request_seq_;
  auto responder_state = std::make_shared<Responder::State>(weak_from_this(), server_->io);
  try {
    server_->handler(std::move(request), Responder(std::move(responder_state)));
  } catch (const std::exception& e) {
    // Handlers return errors as responses; one that throws still must not take the loop down.
    answer(HttpResponse{500, "application/json", json_message(e.what()), {}});
  }
  if (state_ == State::kPending) watch_peer();
}

// Waits for the socket to turn readable while a request is pending, and peeks: end of stream
// means the client left; bytes mean it pipelined its next request, which stays unread until this
// one is answered.
void Connection::watch_peer() {
  if (watching_) return;
  watching_ = true;
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this(),
                                              seq = request_seq_](const error_code& error) {
    self->watching_ = false;
    if (seq != self->request_seq_) {
      // A watch cancelled for an earlier request, completing late: arm one for this request.
      if (self->state_ == State::kPending) self->watch_peer();
      return;
    }
    if (error || self->state_ != State::kPending) return;
    char byte = 0;
    const ssize_t n = ::recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) return;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return self->watch_peer();
    }
    self->peer_open_ = false;
    self->finish();
  });
}

// While streaming or lingering, the client has nothing more to say that we want; reading only
// tells us when it leaves.
void Connection::discard_reads() {
  socket_.async_read_some(
      asio::buffer(discard_), [self = shared_from_this()](const error_code& error, std::size_t) {
        if (self->state_ != State::kStreaming && self->state_ != State::kLingering) {
          return;
        }
        if (error) {
          self->peer_open_ = false;
          return self->finish();
        }
        self->discard_reads();
      });
}

// ---------------------------------------------------------------------------------------------
// Answering.

void Connection::answer(HttpResponse response) {
  if (state_ != State::kPending) return;
  if (watching_) {
    error_code ignored;
    socket_.cancel(ignored);  // the peer watch; nothing else is outstanding while pending
  }
  state_ = State::kWriting;
  if (server_->closed) keep_alive_ = false;
  report_answer(response.status);

  // 1xx, 204 and 304 responses never carry a body, nor a length for one (RFC 9110 8.6).
  const bool bodyless = response.status < 200 || response.status == 204 || response.status == 304;
  std::string out = status_line(response.status);
  if (!response.content_type.empty() && !(bodyless && response.body.empty())) {
    append_header(out, "Content-Type", response.content_type);
  }
  if (!bodyless) append_header(out, "Content-Length", std::to_string(response.body.size()));
  if (!keep_alive_) {
    append_header(out, "Connection", "close");
  } else if (http10_) {
    append_header(out, "Connection", "keep-alive");
  }
  for (const auto& [name, value] : response.headers) {
    if (!reserved_header(name)) append_header(out, name, value);
  }
  out += "\r\n";
  if (!head_request_ && !bodyless) out += response.body;
  send(std::move(out), keep_alive_ ? AfterWrite::kReadNext : AfterWrite::kLinger);
}

bool Connection::start_stream(const HttpResponse& head) {
  if (state_ != State::kPending) return false;
  if (watching_) {
    error_code ignored;
    socket_.cancel(ignored);
  }
  state_ = State::kStreaming;
  report_answer(head.status);
  // HTTP/1.0 has no chunked encoding: the body simply runs until the connection closes.
  chunked_ = !http10_;
  std::string out = status_line(head.status);
  if (!head.content_type.empty()) append_header(out, "Content-Type", head.content_type);
  if (chunked_) append_header(out, "Transfer-Encoding", "chunked");
  for (const auto& [name, value] : head.headers) {
    if (!reserved_header(name)) append_header(out, name, value);
  }
  out += "\r\n";
  send(std::move(out), AfterWrite::kNothing);
  discard_reads();
  return true;
}

bool Connection::stream_write(std::string_view data) {
  if (!stream_open()) return false;
  if (data.empty()) return true;  // an empty chunk would end the stream
  if (queued_bytes_ > kMaxStreamBacklogBytes) {
    finish();
    return false;
  }
  std::string chunk;
  if (chunked_) {
    char size[20];
    const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    chunk.reserve(static_cast<std::size_t>(n) + data.size() + 2);
    chunk.append(size, static_cast<std::size_t>(n));
    chunk.append(data);
    chunk.append("\r\n");
  } else {
    chunk.assign(data);
  }
  send(std::move(chunk), AfterWrite::kNothing);
  return true;
}

void Connection::stream_close() {
  if (!stream_open()) return;
  stream_closing_ = true;
  send(chunked_ ? std::string("0\r\n\r\n") : std::string(), AfterWrite::kClose);
}

// Queues bytes and starts writing unless a write is already in flight; everything queued
// meanwhile goes out together in the next write (one writev for many stream events).
void Connection::send(std::string bytes, AfterWrite after) {
  queued_bytes_ += bytes.size();
  if (!bytes.empty()) queued_.push_back(std::move(bytes));
  if (after != AfterWrite::kNothing) after_write_ = after;
  flush();
}

void Connection::flush() {
  if (writing_ || state_ == State::kClosed) return;
  if (queued_.empty()) {
    if (after_write_ != AfterWrite::kNothing) {
      // Nothing left to write (an HTTP/1.0 stream's empty end): act now, on a later turn.
      writing_ = true;
      asio::post(server_->io, [self = shared_from_this()] { self->on_written({}); });
    }
    return;
  }
  writing_ = true;
  in_flight_.swap(queued_);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(in_flight_.size());
  for (const auto& piece : in_flight_) buffers.emplace_back(asio::buffer(piece));
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const error_code& error, std::size_t) {
                      self->on_written(error);
                    });
}

void Connection::on_written(const error_code& error) {
  writing_ = false;
  for (const auto& piece : in_flight_) queued_bytes_ -= piece.size();
  in_flight_.clear();
  if (state_ == State::kClosed) return;
  if (error) {
    peer_open_ = false;
    return finish();
  }
  if (!queued_.empty()) return flush();
  const AfterWrite after = after_write_;
  after_write_ = AfterWrite::kNothing;
  switch (after) {
    case AfterWrite::kNothing:
      if (state_ == State::kStreaming && !stream_closing_ && on_stream_drained_) {
        auto fn = on_stream_drained_;  // it may write (starting the next write) or replace itself
        fn();
      }
      break;
    case AfterWrite::kReadNext:
      if (server_->closed) return finish();
      read_request();
      break;
    case AfterWrite::kLinger:
      linger();
      break;
    case AfterWrite::kClose:
      finish();
      break;
  }
}

// Half-closes and reads until the client closes too (or a short while passes), so a response
// written just before closing is not lost to a reset caused by unread request bytes.
void Connection::linger() {
  state_ = State::kLingering;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  linger_.expires_after(kLingerTime);
  linger_.async_wait([self = shared_from_this()](const error_code& error) {
    if (!error) self->finish();
  });
  discard_reads();
}

void Connection::close_now() {
  peer_open_ = false;
  finish();
}

void Connection::report_answer(int status) {
  const auto& report = server_->options.on_answered;
  if (!report) return;
  report(HttpAnswered{pending_method_, pending_path_, status,
                      std::chrono::steady_clock::now() - dispatched_at_});
}

// Closes the socket, which completes every pending operation with an error; those handlers are
// the connection's last references.
void Connection::finish() {
  if (state_ == State::kClosed) return;
  const bool was_streaming = state_ == State::kStreaming;
  state_ = State::kClosed;
  peer_open_ = false;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  linger_.cancel();
  read_deadline_.cancel();
  queued_.clear();
  on_stream_drained_ = nullptr;
  if (was_streaming && on_stream_closed_) {
    auto fn = std::move(on_stream_closed_);
    on_stream_closed_ = nullptr;
    fn();
  }
}

// ---------------------------------------------------------------------------------------------
// Accepting.

void HttpServer::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](const error_code& error, tcp::socket socket) {
    if (self->closed || error == asio::error::operation_aborted) return;
    if (error) {
      // Out of descriptors, most likely: try again shortly instead of spinning.
      self->retry.expires_after(std::chrono::milliseconds(50));
      self->retry.async_wait([self](const error_code& e) {
        if (!e && !self->closed) self->accept();
      });
      return;
    }
    auto connection = std::make_shared<Connection>(self, std::move(socket));
    self->track(connection);
    connection->start();
    self->accept();
  });
}

void HttpServer::Impl::track(const std::shared_ptr<Connection>& connection) {
  connections.push_back(connection);
  if (connections.size() < prune_at) return;
  std::erase_if(connections, [](const auto& weak) { return weak.expired(); });
  prune_at = std::max<std::size_t>(64, 2 * connections.size());
}

HttpServer::HttpServer(EventLoop& loop, HttpHandler handler, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(io_context(loop), std::move(handler), options)) {}

HttpServer::~HttpServer() { close(); }

Result<std::uint16_t> HttpServer::listen(const std::string& address, std::uint16_t port) {
  const std::string where = "listen on " + address + ":" + std::to_string(port);
  error_code error;
  auto ip = address == "localhost" ? asio::ip::make_address("127.0.0.1")
                                   : asio::ip::make_address(address, error);
  if (error) return invalid_argument(where + ": not an IP address");
  tcp::acceptor& acceptor = impl_->acceptor;
  if (acceptor.is_open() || impl_->closed) return internal_error(where + ": server already used");
  const tcp::endpoint endpoint(ip, port);
  acceptor.open(endpoint.protocol(), error);
  // Lets a restarted master take its port back while old connections sit in TIME_WAIT.
  if (!error) acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  std::uint16_t bound = 0;
  if (!error) bound = acceptor.local_endpoint(error).port();
  if (error) {
    error_code ignored;
    acceptor.close(ignored);
    return internal_error(where + ": " + error.message());
  }
  impl_->accept();
  return bound;
}

void HttpServer::close() {
  Impl& impl = *impl_;
  if (impl.closed) return;
  impl.closed = true;
  error_code ignored;
  impl.acceptor.close(ignored);
  impl.retry.cancel();
  auto connections = std::move(impl.connections);
  impl.connections.clear();
  for (const auto& weak : connections) {
    if (auto connection = weak.lock()) connection->close_now();
  }
}

}  // namespace berth
