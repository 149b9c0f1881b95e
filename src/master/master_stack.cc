// MasterStack: the order in which the master's core pieces are built, wired and recovered.
#include "master/master_stack.h"

#include "master/volume_wiring.h"
#include "scheduler/app_volumes.h"

namespace berth {

MasterStack::MasterStack(MasterStackConfig config, Clock& clock, StateStore& store,
                         AgentChannel& channel, Random& random, EventBus& bus,
                         MetricsRegistry& metrics)
    : config_(std::move(config)),
      clock_(clock),
      store_(store),
      random_(random),
      bus_(bus),
      metrics_(metrics),
      core_(std::make_unique<MasterCore>(config_.core, clock, store, channel, random)) {}

// Members go in reverse order: the scheduler before the AppVolumes it calls, the wiring before
// the controller and core it listens to.
MasterStack::~MasterStack() = default;

Status MasterStack::recover(scheduler::SchedulerEvents events) {
  BERTH_RETURN_IF_ERROR(core_->recover());
  // Volumes after the core, so that the agents they are attached to are known; their events
  // and timer orders are wired before their recovery.
  BERTH_RETURN_IF_ERROR(validate(config_.volumes));
  volumes_ = std::make_unique<VolumeController>(clock_, store_, config_.volumes);
  volume_wiring_ = std::make_unique<VolumeWiring>(*volumes_, *core_, bus_, metrics_);
  if (auto recovered = volumes_->recover(); !recovered.ok()) {
    return recovered.error().context("recover volumes");
  }
  volume_wiring_->recovered();

  scheduler_ =
      std::make_unique<scheduler::AppScheduler>(config_.scheduler, clock_, store_, *core_, random_);
  scheduler_->set_events(std::move(events));
  app_volumes_ = std::make_unique<scheduler::AppVolumes>(
      *volumes_, [this](const std::vector<VolumeOrder>& orders) { volume_wiring_->send(orders); });
  scheduler_->set_volumes(app_volumes_.get());
  // Whatever ends a task (its agent, a kill, an expunge) ends its claims, so that its volume
  // detaches and its replacement can have it.
  core_->on_task_changed([this](const TaskRecord& task) {
    if (is_terminal(task.state)) app_volumes_->release(task.id());
  });
  // A volume that becomes free (detached, fenced, created) may be what an app waits for.
  volumes_->on_event([this](const VolumeEvent& event) {
    if (const VolumeRecord* volume = volumes_->find(event.volume)) {
      scheduler_->volume_changed(volume->app_id);
    }
  });
  BERTH_RETURN_IF_ERROR(scheduler_->recover());
  // Claims of tasks the master does not run (a launch that never persisted, a task that ended
  // while it was down) go now, before any new claim can be refused because of them.
  app_volumes_->release_orphans([this](const std::string& task_id) {
    const TaskRecord* task = core_->find_task(task_id);
    return task != nullptr && !is_terminal(task->state);
  });
  return {};
}

}  // namespace berth
