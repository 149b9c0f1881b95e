// EventLoop on a Boost.Asio io_context: the real Clock (steady timers), signal and fd watches, and
// the worker pool for blocking calls.
#include "http/event_loop.h"

// Asio comes in through its wrapper first (see there).
#include "http/asio_context.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // as in asio_context.h
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#pragma GCC diagnostic pop

#include <map>
#include <vector>

namespace berth {
namespace asio = boost::asio;
namespace {

// Clock on the loop's real time. Each timer owns a steady_timer; the id, not the timer, decides
// whether a completion still counts, so a timer cancelled after it fell due (its handler already
// queued) does not run.
class LoopClock final : public Clock {
 public:
  explicit LoopClock(asio::io_context& io) : io_(io) {}

  Instant now() const override { return std::chrono::steady_clock::now(); }
  WallTime wall() const override { return std::chrono::system_clock::now(); }

  TimerId schedule(Duration after, std::function<void()> fn) override {
    const TimerId id = next_id_++;
    auto& timer = timers_[id];
    timer.timer = std::make_unique<asio::steady_timer>(io_);
    timer.fn = std::move(fn);
    timer.timer->expires_after(after);
    timer.timer->async_wait([this, id](const boost::system::error_code& error) {
      if (error) return;
      auto it = timers_.find(id);
      if (it == timers_.end()) return;
      auto due = std::move(it->second.fn);
      timers_.erase(it);
      due();
    });
    return id;
  }

  void cancel(TimerId id) override { timers_.erase(id); }

 private:
  struct Timer {
    std::unique_ptr<asio::steady_timer> timer;
    std::function<void()> fn;
  };
  asio::io_context& io_;
  TimerId next_id_ = 1;
  std::map<TimerId, Timer> timers_;
};

// A readability watch on a descriptor the loop does not own: the descriptor is released, never
// closed, when the watch ends.
struct FdWatch {
  FdWatch(asio::io_context& io, int fd) : descriptor(io, fd) {}
  ~FdWatch() { descriptor.release(); }
  FdWatch(const FdWatch&) = delete;
  FdWatch& operator=(const FdWatch&) = delete;
  asio::posix::stream_descriptor descriptor;
};

// Calls `fn` for every delivery of the set's signals, re-arming after each one. Held by a
// unique_ptr in the loop, so the handlers may capture `this`.
struct SignalWatch {
  SignalWatch(asio::io_context& io, std::function<void(int)> f) : set(io), fn(std::move(f)) {}
  void arm() {
    set.async_wait([this](const boost::system::error_code& error, int signal) {
      if (error) return;
      fn(signal);
      arm();
    });
  }
  asio::signal_set set;
  std::function<void(int)> fn;
};

}  // namespace

// Members are destroyed in reverse order: the worker pool is joined first (its threads may still
// post to the io_context), and the io_context goes last, after every I/O object that uses it.
struct EventLoop::Impl {
  asio::io_context io{1};  // one thread runs it: lets Asio skip some locking
  asio::executor_work_guard<asio::io_context::executor_type> keep_running{io.get_executor()};
  LoopClock clock{io};
  std::vector<std::unique_ptr<SignalWatch>> signal_watches;
  std::uint64_t next_watch = 1;
  std::map<std::uint64_t, std::unique_ptr<FdWatch>> watches;
  std::unique_ptr<asio::thread_pool> pool;
};

asio::io_context& io_context(EventLoop& loop) { return loop.impl().io; }

EventLoop::EventLoop() : impl_(std::make_unique<Impl>()) {}

EventLoop::~EventLoop() {
  // Let running work finish and drop what has not started, before anything the workers might
  // post to goes away.
  if (impl_->pool) {
    impl_->pool->stop();
    impl_->pool->join();
  }
}

void EventLoop::run() {
  impl_->io.run();
  // Leave the io_context ready for another run() (tests run a loop several times).
  impl_->io.restart();
}

bool EventLoop::run_until(const std::function<bool()>& condition, Duration timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  asio::io_context& io = impl_->io;
  while (!condition()) {
    if (io.stopped()) break;
    if (io.run_one_until(deadline) == 0 && std::chrono::steady_clock::now() >= deadline) break;
  }
  if (io.stopped()) io.restart();
  return condition();
}

void EventLoop::stop() { impl_->io.stop(); }

void EventLoop::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

Clock& EventLoop::clock() { return impl_->clock; }

void EventLoop::on_signals(std::initializer_list<int> signals, std::function<void(int)> fn) {
  auto watch = std::make_unique<SignalWatch>(impl_->io, std::move(fn));
  for (int signal : signals) watch->set.add(signal);
  watch->arm();
  impl_->signal_watches.push_back(std::move(watch));
}

std::uint64_t EventLoop::watch_readable(int fd, std::function<void()> fn) {
  const std::uint64_t id = impl_->next_watch++;
  std::unique_ptr<FdWatch> watch;
  try {
    watch = std::make_unique<FdWatch>(impl_->io, fd);
  } catch (const boost::system::system_error&) {
    // epoll refuses this descriptor (a regular file, or one already registered elsewhere).
    // Regular files are always readable, so say so.
    asio::post(impl_->io, std::move(fn));
    return id;
  }
  FdWatch* raw = watch.get();
  impl_->watches.emplace(id, std::move(watch));
  raw->descriptor.async_wait(
      asio::posix::descriptor_base::wait_read,
      [this, id, fn = std::move(fn)](const boost::system::error_code& error) {
        if (error == asio::error::operation_aborted) return;
        auto it = impl_->watches.find(id);
        if (it == impl_->watches.end()) return;
        impl_->watches.erase(it);
        // Any other error (the descriptor cannot be polled) also means
        // "look at it now": the owner finds out what happened.
        fn();
      });
  return id;
}

void EventLoop::unwatch(std::uint64_t id) { impl_->watches.erase(id); }

void EventLoop::run_blocking(std::function<void()> work, std::function<void()> done) {
  if (!impl_->pool) impl_->pool = std::make_unique<asio::thread_pool>(2);
  asio::post(*impl_->pool, [&io = impl_->io, work = std::move(work), done = std::move(done)] {
    work();
    asio::post(io, done);
  });
}

}  // namespace berth
