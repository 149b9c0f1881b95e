// The one private header of the http module that wraps Boost.Asio: it includes the parts of Asio
// the module uses and hands the EventLoop's io_context to the module's own .cc files. Nothing
// outside src/http includes it, so the rest of the code base never pays Asio's compile time.
// Include it before any other Boost header.
#pragma once

// Boost 1.74's asio/awaitable.hpp uses std::exchange without including <utility>; GCC 12's
// headers no longer pull it in indirectly, so it must come first.
#include <utility>

// At -O2, GCC 12 reports "potential null pointer dereference" inside Asio's scheduler once it is
// inlined into our code (a false positive: the pointer is a thread's own context, never null).
// The warning is judged where the code was first read, so it is silenced here, around Asio's
// first inclusion, and nowhere else.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop

#include "http/event_loop.h"

namespace berth {

// The io_context that runs `loop`.
boost::asio::io_context& io_context(EventLoop& loop);

}  // namespace berth
