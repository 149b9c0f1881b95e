// SimLeaseWatch: the supervisors of one simulated machine, as far as the volume lease goes. The
// live supervisor of a task with external volumes reads the lease deadline that the agent
// publishes and kills the task once it has passed, whether or not an agent still runs
// (agent/linux/lease_watch.h). Here the machine keeps the last deadline published, on its own
// drifting clock, and ends every container with lease_volumes when it passes: the check runs
// at the supervisors' worst case, one check interval after the deadline.
#pragma once

#include <optional>

#include "agent/fake_containerizer.h"
#include "common/clock.h"

namespace berth::sim {

class Trace;

// What a live supervisor may overrun the deadline by: its check interval (lease_watch.h).
inline constexpr Duration kSupervisorCheckInterval = std::chrono::milliseconds(250);

class SimLeaseWatch {
 public:
  // `clock` is the machine's (drifting) clock, the one the agent publishes deadlines on.
  SimLeaseWatch(Clock& clock, FakeContainerizer& machine, Trace& trace, std::string node)
      : clock_(clock), machine_(machine), trace_(trace), node_(std::move(node)) {}
  ~SimLeaseWatch() { disarm(); }
  SimLeaseWatch(const SimLeaseWatch&) = delete;
  SimLeaseWatch& operator=(const SimLeaseWatch&) = delete;

  // The agent renewed the lease until `deadline`.
  void publish(Instant deadline);
  // A container started: one with lease_volumes is watched from now (with nothing published
  // yet, its first check kills it, as a supervisor that cannot read the lease does).
  void launched(const ContainerSpec& spec);
  // The machine lost power: the supervisors and what they read are gone.
  void reset();

  std::optional<Instant> deadline() const { return deadline_; }

 private:
  void arm();
  void disarm();
  void check();

  Clock& clock_;
  FakeContainerizer& machine_;
  Trace& trace_;
  std::string node_;
  std::optional<Instant> deadline_;
  TimerId timer_ = 0;
};

}  // namespace berth::sim
