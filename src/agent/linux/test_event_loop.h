// TestEventLoop: a tiny single-threaded poll() loop that provides EventLoopHooks for the
// containerizer's tests and benchmark, standing in for the agent's Asio loop.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "agent/linux/linux_containerizer.h"

namespace berth {

class TestEventLoop {
 public:
  EventLoopHooks hooks() {
    EventLoopHooks hooks;
    hooks.watch_readable = [this](int fd, std::function<void()> fn) {
      watches_[++next_id_] = Watch{fd, std::move(fn)};
      return next_id_;
    };
    hooks.unwatch = [this](std::uint64_t id) { watches_.erase(id); };
    hooks.post = [this](std::function<void()> fn) { posted_.push_back(std::move(fn)); };
    return hooks;
  }

  // Runs posted functions and fd watches until `done()` holds or `timeout` passes; returns
  // whether `done()` held.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      while (!posted_.empty()) {
        auto fn = std::move(posted_.front());
        posted_.pop_front();
        fn();
      }
      if (done()) return true;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      std::vector<pollfd> fds;
      std::vector<std::uint64_t> ids;
      for (const auto& [id, watch] : watches_) {
        fds.push_back({watch.fd, POLLIN, 0});
        ids.push_back(id);
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      int wait_ms = static_cast<int>(std::min<long long>(left.count() + 1, 50));
      if (::poll(fds.data(), fds.size(), wait_ms) <= 0) continue;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents == 0) continue;
        auto it = watches_.find(ids[i]);
        // A callback earlier in this round may have removed the watch.
        if (it == watches_.end()) continue;
        auto fn = it->second.fn;
        fn();
      }
    }
  }

  // Runs what is ready without waiting.
  void run_ready() {
    run_until([] { return false; }, std::chrono::milliseconds(0));
  }

  std::size_t watch_count() const { return watches_.size(); }

 private:
  struct Watch {
    int fd;
    std::function<void()> fn;
  };
  std::map<std::uint64_t, Watch> watches_;
  std::deque<std::function<void()>> posted_;
  std::uint64_t next_id_ = 0;
};

}  // namespace berth
