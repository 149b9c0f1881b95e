// tcp_probe: does a TCP connection to host:port succeed? For the agent's TCP health checks: the
// connection is opened and closed again at once, without blocking the loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/result.h"

namespace berth {

class EventLoop;

// Calls `done` on the loop (never inside this call) with ok once connected, or an kUnavailable
// error ("connection refused", "timed out after 2000 ms"). `host` is an IP address.
void tcp_probe(EventLoop& loop, const std::string& host, std::uint16_t port,
               std::chrono::milliseconds timeout, std::function<void(Status)> done);

}  // namespace berth
