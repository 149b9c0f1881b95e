// EventLoop: the one serialising loop of a Berth process (a Boost.Asio io_context underneath).
// The master's and the agent's cores run on it without locks; HTTP servers and clients, timers,
// signal and file-descriptor watches all deliver their callbacks on it.
//
// Asio stays out of this header so that the core and most of the code base never include it;
// only src/http's own .cc files see the io_context (through asio_context.h).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>

#include "common/clock.h"

namespace berth {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until stop(). Must be called from one thread only.
  void run();
  // Runs until `condition` holds (checked after each handler) or `timeout` passes, whichever is
  // first; returns whether it held. For tests and tools that drive the loop to an event without
  // sleeping. Also returns early, with the condition's value, after stop().
  bool run_until(const std::function<bool()>& condition, Duration timeout);
  // Makes run() return. Safe from any thread and from signal watches.
  void stop();
  // Runs `fn` on the loop soon. Safe from any thread.
  void post(std::function<void()> fn);

  // A Clock on this loop's real time (steady_clock for now(), system_clock for wall()).
  Clock& clock();

  // Calls `fn` on the loop each time one of `signals` arrives (SIGINT, SIGTERM, ...).
  void on_signals(std::initializer_list<int> signals, std::function<void(int)> fn);

  // Calls `fn` on the loop once `fd` becomes readable (e.g. a pidfd when its process exits).
  // The loop does not own `fd`. Returns an id for unwatch().
  std::uint64_t watch_readable(int fd, std::function<void()> fn);
  void unwatch(std::uint64_t id);

  // Runs `work` on a small pool of worker threads (blocking syscalls: mount, mkfs, fsync) and
  // then `done` on the loop. Call on the loop; the pool (two threads) starts on first use. Work
  // still queued when the loop is destroyed is dropped; `done` never runs after that.
  void run_blocking(std::function<void()> work, std::function<void()> done);

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace berth
