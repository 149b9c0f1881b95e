// HttpClient on Boost.Asio and Beast's response parser: a queue of requests sent one at a time
// over one kept-alive connection, each with a deadline, reconnecting when the connection breaks.
//
// Lifetime: HttpClient owns a shared Impl; every pending operation's handler holds it too, so the
// Impl outlives the client until those handlers have run. The client's destructor marks the Impl
// destroyed and drops the queued callbacks, and every handler checks that mark before touching
// anything else: no callback runs after the client is gone.
#include "http/http_client.h"

// Asio comes in through its wrapper first (see there).
#include "http/asio_context.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // as in asio_context.h
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#pragma GCC diagnostic pop

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <deque>
#include <optional>

#include "http/event_loop.h"

namespace berth {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

// Responses bigger than this are refused (a /master/state of a large cluster is a few MiB).
constexpr std::uint64_t kMaxResponseBytes = 256 * 1024 * 1024;

// "connection refused", "connection reset by peer": Asio's text, in the lowercase that reads
// well after a colon.
std::string describe(const error_code& error) {
  if (error == http::error::end_of_stream || error == asio::error::eof) {
    return "connection closed by the server";
  }
  std::string text = error.message();
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

std::string serialize(const ClientRequest& request, const std::string& authority) {
  std::string out;
  out.reserve(128 + request.target.size() + request.body.size());
  out += request.method;
  out += ' ';
  out += request.target.empty() ? std::string("/") : request.target;
  out += " HTTP/1.1\r\nHost: ";
  out += authority;
  out += "\r\n";
  const bool bodyless = request.method == "GET" || request.method == "HEAD";
  if (!request.body.empty() && !request.content_type.empty()) {
    out += "Content-Type: ";
    out += request.content_type;
    out += "\r\n";
  }
  if (!request.body.empty() || !bodyless) {
    out += "Content-Length: ";
    out += std::to_string(request.body.size());
    out += "\r\n";
  }
  out += "\r\n";
  out += request.body;
  return out;
}

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  Impl(asio::io_context& io_context, std::string h, std::uint16_t p)
      : io(io_context),
        host(std::move(h)),
        port(p),
        authority(host + ":" + std::to_string(port)),
        resolver(io_context),
        socket(io_context) {}

  // A request from request() until its callback. Its timer runs from the start, so a request
  // queued behind a slow one still fails on time.
  struct Pending {
    std::uint64_t id;
    ClientRequest request;
    Callback callback;
    std::unique_ptr<asio::steady_timer> timer;
  };

  void start_next();
  void on_deadline(std::uint64_t id);
  void connect();
  void on_connected(const error_code& error);
  void write();
  void read();
  void on_response();
  // Retries the current request once on a fresh connection if the kept-alive one turned out to
  // be closed; returns false when that does not apply.
  bool retry_on_fresh_connection(const error_code& error, bool nothing_received);
  void fail(const std::string& what);
  void complete(Result<HttpResponse> result);
  void drop_connection();
  bool peer_closed_idle_connection();
  std::string describe_request() const {
    const ClientRequest& r = queue.front().request;
    return r.method + " " + authority + r.target;
  }

  asio::io_context& io;
  std::string host;
  std::uint16_t port;
  std::string authority;
  tcp::resolver resolver;
  tcp::socket socket;
  boost::beast::flat_buffer buffer;
  std::optional<http::response_parser<http::string_body>> parser;
  std::string out;

  std::deque<Pending> queue;
  std::uint64_t next_id = 1;
  bool busy = false;       // the front of the queue is in progress
  bool connected = false;  // `socket` holds a connection that may be reused
  bool reused = false;     // the current attempt runs on a connection an earlier request used
  bool retried = false;
  bool destroyed = false;
  // Changes whenever the current request ends, so late completions of its operations (after a
  // timeout closed the socket) are recognised and ignored.
  std::uint64_t seq = 0;
};

void HttpClient::Impl::start_next() {
  if (busy || destroyed || queue.empty()) return;
  busy = true;
  retried = false;
  if (connected && peer_closed_idle_connection()) drop_connection();
  if (connected) {
    reused = true;
    write();
  } else {
    connect();
  }
}

void HttpClient::Impl::on_deadline(std::uint64_t id) {
  auto it = std::find_if(queue.begin(), queue.end(), [id](const Pending& p) { return p.id == id; });
  if (it == queue.end()) return;
  const std::string timed_out =
      "timed out after " + std::to_string(it->request.timeout.count()) + " ms";
  if (it == queue.begin() && busy) return fail(timed_out);
  // Still waiting behind earlier requests: the connection is fine and stays.
  Callback callback = std::move(it->callback);
  const std::string what = it->request.method + " " + authority + it->request.target;
  queue.erase(it);
  callback(unavailable(what + ": " + timed_out + " waiting for earlier requests"));
}

// A server closes idle kept-alive connections when it likes; peeking (without blocking) shows
// whether it already has, so the request goes to a fresh connection instead of into a dead one.
bool HttpClient::Impl::peer_closed_idle_connection() {
  char byte = 0;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return true;
  // Bytes from the server between requests make no sense either; start afresh.
  if (n > 0) return true;
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

void HttpClient::Impl::connect() {
  reused = false;
  error_code error;
  const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, error);
  if (!error) {
    socket.async_connect(tcp::endpoint(address, port),
                         [self = shared_from_this(), s = seq](const error_code& e) {
                           if (self->destroyed || s != self->seq) return;
                           self->on_connected(e);
                         });
    return;
  }
  resolver.async_resolve(host, std::to_string(port),
                         [self = shared_from_this(), s = seq](
                             const error_code& e, const tcp::resolver::results_type& results) {
                           if (self->destroyed || s != self->seq) return;
                           if (e) return self->fail("resolve " + self->host + ": " + describe(e));
                           asio::async_connect(
                               self->socket, results,
                               [self, s](const error_code& e2, const tcp::endpoint&) {
                                 if (self->destroyed || s != self->seq) return;
                                 self->on_connected(e2);
                               });
                         });
}

void HttpClient::Impl::on_connected(const error_code& error) {
  if (error) return fail(describe(error));
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  connected = true;
  write();
}

void HttpClient::Impl::write() {
  out = serialize(queue.front().request, authority);
  asio::async_write(socket, asio::buffer(out),
                    [self = shared_from_this(), s = seq](const error_code& error, std::size_t) {
                      if (self->destroyed || s != self->seq) return;
                      if (error) {
                        if (self->retry_on_fresh_connection(error, true)) return;
                        return self->fail(describe(error));
                      }
                      self->read();
                    });
}

void HttpClient::Impl::read() {
  parser.emplace();
  parser->body_limit(kMaxResponseBytes);
  // A response to HEAD announces a length but carries no body.
  if (queue.front().request.method == "HEAD") parser->skip(true);
  http::async_read(socket, buffer, *parser,
                   [self = shared_from_this(), s = seq](const error_code& error, std::size_t) {
                     if (self->destroyed || s != self->seq) return;
                     if (error) {
                       const bool nothing = !self->parser->got_some() && self->buffer.size() == 0;
                       if (self->retry_on_fresh_connection(error, nothing)) return;
                       return self->fail(describe(error));
                     }
                     self->on_response();
                   });
}

bool HttpClient::Impl::retry_on_fresh_connection(const error_code& error, bool nothing_received) {
  if (!reused || retried || !nothing_received) return false;
  const bool closed_by_peer = error == http::error::end_of_stream || error == asio::error::eof ||
                              error == asio::error::connection_reset ||
                              error == asio::error::broken_pipe;
  if (!closed_by_peer) return false;
  retried = true;
  drop_connection();
  connect();
  return true;
}

void HttpClient::Impl::on_response() {
  auto& message = parser->get();
  HttpResponse response;
  response.status = static_cast<int>(message.result_int());
  response.content_type = std::string(message[http::field::content_type]);
  for (const auto& field : message) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(message.body());
  // Bytes after a complete response would be read as the next one's start; never reuse then.
  if (!parser->keep_alive() || buffer.size() != 0) drop_connection();
  complete(std::move(response));
}

void HttpClient::Impl::fail(const std::string& what) {
  drop_connection();
  complete(unavailable(describe_request() + ": " + what));
}

void HttpClient::Impl::drop_connection() {
  error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  connected = false;
  // The parser stays: an aborted read may still refer to it until its handler has run.
  buffer.consume(buffer.size());
}

// Ends the front request and calls its callback. The callback may queue more requests or destroy
// the client; the handler that got here holds the Impl, so checking `destroyed` afterwards is safe.
void HttpClient::Impl::complete(Result<HttpResponse> result) {
  ++seq;
  Callback callback = std::move(queue.front().callback);
  queue.pop_front();
  busy = false;
  callback(std::move(result));
  if (!destroyed) start_next();
}

HttpClient::HttpClient(EventLoop& loop, std::string host, std::uint16_t port)
    : impl_(std::make_shared<Impl>(io_context(loop), std::move(host), port)) {}

HttpClient::~HttpClient() {
  Impl& impl = *impl_;
  impl.destroyed = true;
  impl.queue.clear();
  impl.resolver.cancel();
  impl.drop_connection();
}

void HttpClient::request(ClientRequest request, Callback callback) {
  Impl& impl = *impl_;
  const std::uint64_t id = impl.next_id++;
  auto timer = std::make_unique<asio::steady_timer>(impl.io, request.timeout);
  timer->async_wait([self = impl_, id](const error_code& error) {
    if (!error && !self->destroyed) self->on_deadline(id);
  });
  impl.queue.push_back(
      Impl::Pending{id, std::move(request), std::move(callback), std::move(timer)});
  if (impl_->busy) return;
  // Started on the next turn of the loop, so the callback never runs inside request().
  asio::post(impl_->io, [weak = std::weak_ptr<Impl>(impl_)] {
    if (auto self = weak.lock(); self && !self->destroyed) self->start_next();
  });
}

Result<HttpResponse> http_fetch(const std::string& host, std::uint16_t port,
                                const ClientRequest& request) {
  EventLoop loop;
  std::optional<Result<HttpResponse>> result;
  {
    HttpClient client(loop, host, port);
    client.request(
        request, [&result](Result<HttpResponse> response) { result.emplace(std::move(response)); });
    // The request's own timeout ends it; the margin only guards against a bug leaving us stuck.
    (void)loop.run_until([&result] { return result.has_value(); },
                         request.timeout + std::chrono::seconds(5));
  }
  if (!result) {
    return unavailable(request.method + " " + host + ":" + std::to_string(port) + request.target +
                       ": no answer");
  }
  return std::move(*result);
}

}  // namespace berth
