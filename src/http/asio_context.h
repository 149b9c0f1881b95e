// The one private header of the http module that includes Boost.Asio: it hands the EventLoop's
// io_context to the module's own .cc files (server, client). Nothing outside src/http includes it,
// so the rest of the code base never pays Asio's compile time.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>; GCC 12's
// headers no longer pull it in indirectly, so it must come first.
#include <boost/asio/io_context.hpp>
#include <utility>

#include "http/event_loop.h"

namespace berth {

// The io_context that runs `loop`.
boost::asio::io_context& io_context(EventLoop& loop);

}  // namespace berth
