// SimLeaseWatch: one timer per machine stands for every supervisor's periodic read of the lease.
#include "sim/sim_lease_watch.h"

#include "sim/trace.h"

namespace berth::sim {

void SimLeaseWatch::publish(Instant deadline) {
  deadline_ = deadline;
  arm();
}

void SimLeaseWatch::launched(const ContainerSpec& spec) {
  if (!spec.lease_volumes.empty() && timer_ == 0) arm();
}

void SimLeaseWatch::reset() {
  disarm();
  deadline_.reset();
}

void SimLeaseWatch::disarm() {
  if (timer_ != 0) clock_.cancel(timer_);
  timer_ = 0;
}

void SimLeaseWatch::arm() {
  disarm();
  const Instant now = clock_.now();
  const Instant due = deadline_ && *deadline_ > now ? *deadline_ : now;
  timer_ = clock_.schedule(due - now + kSupervisorCheckInterval, [this] {
    timer_ = 0;
    check();
  });
}

void SimLeaseWatch::check() {
  if (deadline_ && clock_.now() < *deadline_) return arm();
  for (const auto& task_id : machine_.running()) {
    const auto launched = machine_.launched.find(task_id);
    if (launched == machine_.launched.end() || launched->second.lease_volumes.empty()) continue;
    std::string volumes;
    for (const auto& name : launched->second.lease_volumes) {
      volumes += (volumes.empty() ? "" : ", ") + name;
    }
    trace_.add(node_ + " supervisor kills " + task_id + ": volume lease expired (" + volumes + ")");
    ContainerExit exit;
    exit.kind = ContainerExit::Kind::kLeaseExpired;
    exit.message = "volume lease expired; external volumes " + volumes;
    machine_.finish(task_id, exit);
  }
}

}  // namespace berth::sim
