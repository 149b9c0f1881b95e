// MasterStack: the master's deterministic core assembled in one place: MasterCore, the
// VolumeController with its VolumeWiring, the AppScheduler and the AppVolumes that join the two.
// The live master (master_server.cc) puts HTTP around it; the simulator (src/sim) puts a
// simulated network around it. Both get the same pieces wired the same way, in the order
// recovery needs:
//
//   MasterCore::recover --> VolumeController + VolumeWiring --> VolumeController::recover
//     --> VolumeWiring::recovered --> AppScheduler (+ AppVolumes) --> AppScheduler::recover
//     --> claims of tasks the master does not run are released
//
// Threading: the master's event loop, like everything it holds.
#pragma once

#include <memory>

#include "master/master_core.h"
#include "scheduler/app_scheduler.h"
#include "storage/volume_controller.h"

namespace berth {

class EventBus;
class MetricsRegistry;
class VolumeWiring;
namespace scheduler {
class AppVolumes;
}

struct MasterStackConfig {
  MasterConfig core;
  VolumeControllerConfig volumes;
  scheduler::SchedulerConfig scheduler;
};

class MasterStack {
 public:
  // Builds MasterCore only; the caller may add its task listeners before recover(). Every
  // reference must outlive the stack.
  MasterStack(MasterStackConfig config, Clock& clock, StateStore& store, AgentChannel& channel,
              Random& random, EventBus& bus, MetricsRegistry& metrics);
  ~MasterStack();
  MasterStack(const MasterStack&) = delete;
  MasterStack& operator=(const MasterStack&) = delete;

  // Recovers everything from the store and starts driving; `events` is what the scheduler tells
  // the world. Call once. The accessors below other than core() are valid after it succeeds.
  Status recover(scheduler::SchedulerEvents events);

  MasterCore& core() { return *core_; }
  VolumeController& volumes() { return *volumes_; }
  VolumeWiring& volume_wiring() { return *volume_wiring_; }
  scheduler::AppScheduler& scheduler() { return *scheduler_; }
  scheduler::AppVolumes& app_volumes() { return *app_volumes_; }

 private:
  MasterStackConfig config_;
  Clock& clock_;
  StateStore& store_;
  Random& random_;
  EventBus& bus_;
  MetricsRegistry& metrics_;
  std::unique_ptr<MasterCore> core_;
  std::unique_ptr<VolumeController> volumes_;
  std::unique_ptr<VolumeWiring> volume_wiring_;         // after volumes_ and core_: goes first
  std::unique_ptr<scheduler::AppVolumes> app_volumes_;  // before scheduler_: outlives it
  std::unique_ptr<scheduler::AppScheduler> scheduler_;
};

}  // namespace berth
