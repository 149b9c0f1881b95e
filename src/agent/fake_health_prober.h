// FakeHealthProber: a HealthProber for tests and the simulator. It probes nothing; it keeps each
// request with its callback until the test answers it, or answers at once with `auto_answer`.
#pragma once

#include <deque>
#include <optional>
#include <utility>

#include "agent/health_prober.h"

namespace berth {

class FakeHealthProber final : public HealthProber {
 public:
  void probe(const ProbeRequest& request, std::function<void(ProbeResult)> done) override {
    requests.push_back(request);
    if (auto_answer) {
      done(*auto_answer);
      return;
    }
    pending.emplace_back(request, std::move(done));
  }

  // Answers the oldest unanswered probe; false if there is none.
  bool answer(const ProbeResult& result) {
    if (pending.empty()) return false;
    auto done = std::move(pending.front().second);
    pending.pop_front();
    done(result);
    return true;
  }

  static ProbeResult http(int status) { return {true, status, -1, ""}; }
  static ProbeResult connected() { return {true, 0, -1, ""}; }
  static ProbeResult exited(int code) { return {true, 0, code, ""}; }
  static ProbeResult refused() { return {false, 0, -1, "connection refused"}; }

  std::vector<ProbeRequest> requests;  // every probe asked for, in order
  std::deque<std::pair<ProbeRequest, std::function<void(ProbeResult)>>> pending;
  std::optional<ProbeResult> auto_answer;
};

}  // namespace berth
