// tcp_probe on Asio: an async connect raced against a timer; whichever ends first decides.
#include "http/tcp_probe.h"

// Asio comes in through its wrapper first (see there).
#include <cctype>
#include <memory>

#include "http/asio_context.h"

namespace berth {
namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

struct Attempt {
  explicit Attempt(asio::io_context& io) : socket(io), timer(io) {}
  tcp::socket socket;
  asio::steady_timer timer;
  std::function<void(Status)> done;

  void finish(Status status) {
    if (!done) return;
    auto callback = std::move(done);
    done = nullptr;
    error_code ignored;
    timer.cancel();
    socket.close(ignored);
    callback(std::move(status));
  }
};

std::string lowercase_first(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

}  // namespace

void tcp_probe(EventLoop& loop, const std::string& host, std::uint16_t port,
               std::chrono::milliseconds timeout, std::function<void(Status)> done) {
  asio::io_context& io = io_context(loop);
  auto attempt = std::make_shared<Attempt>(io);
  attempt->done = std::move(done);
  error_code error;
  const auto address = asio::ip::make_address(host, error);
  if (error) {
    asio::post(io, [attempt, host] {
      attempt->finish(invalid_argument("'" + host + "' is not an IP address"));
    });
    return;
  }
  attempt->timer.expires_after(timeout);
  attempt->timer.async_wait([attempt, timeout](const error_code& e) {
    if (e) return;
    attempt->finish(unavailable("timed out after " + std::to_string(timeout.count()) + " ms"));
  });
  attempt->socket.async_connect(tcp::endpoint(address, port), [attempt](const error_code& e) {
    if (e) return attempt->finish(unavailable(lowercase_first(e.message())));
    attempt->finish({});
  });
}

}  // namespace berth
