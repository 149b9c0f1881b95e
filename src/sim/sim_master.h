// SimMaster: the master process of the simulated cluster: the real MasterStack (MasterCore,
// VolumeController, AppScheduler, wired as the live master wires them) on the simulation's clock,
// behind SimAgentChannel. Its StateStore belongs to the "disk" and outlives it: crash() throws
// away every object of the process, start() builds them again and recovers from the store.
#pragma once

#include <functional>
#include <memory>

#include "common/metrics.h"
#include "master/event_bus.h"
#include "master/master_stack.h"
#include "sim/sim_transport.h"

namespace berth::sim {

class Trace;

class SimMaster final : public SimMasterEndpoint {
 public:
  SimMaster(Clock& clock, StateStore& store, MasterStackConfig config, Trace& trace);
  ~SimMaster() override;

  // Builds the process and recovers it from the store; `seed` seeds its Random.
  Status start(std::uint64_t seed);
  void crash();
  bool up() const override { return stack_ != nullptr; }
  MasterStack& stack() { return *stack_; }
  const MasterStackConfig& config() const { return config_; }
  std::uint64_t incarnation() const { return incarnation_; }

  Result<RegisterReply> register_agent(const RegisterAgent& message) override;
  Result<std::vector<std::string>> update_status(const SessionRef& ref,
                                                 const std::vector<StatusUpdate>& updates) override;
  void poll(const SessionRef& ref, const std::vector<MountedVolume>& mounts,
            PollReply reply) override;

  // Called with every acknowledged deployment, task change and volume event, for the trace.
  std::function<void()> on_started;

 private:
  Clock& clock_;
  StateStore& store_;
  MasterStackConfig config_;
  Trace& trace_;
  std::uint64_t incarnation_ = 0;
  // The process, in destruction order last to first.
  std::unique_ptr<Random> random_;
  std::unique_ptr<SimAgentChannel> channel_;
  std::unique_ptr<MetricsRegistry> metrics_;
  std::unique_ptr<EventBus> bus_;
  std::unique_ptr<MasterStack> stack_;
};

}  // namespace berth::sim
