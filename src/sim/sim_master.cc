// SimMaster: the master process's lifecycle and its three endpoints.
#include "sim/sim_master.h"

#include "master/volume_wiring.h"
#include "sim/trace.h"

namespace berth::sim {

SimMaster::SimMaster(Clock& clock, StateStore& store, MasterStackConfig config, Trace& trace)
    : clock_(clock), store_(store), config_(std::move(config)), trace_(trace) {}

SimMaster::~SimMaster() { crash(); }

Status SimMaster::start(std::uint64_t seed) {
  if (up()) return {};
  ++incarnation_;
  random_ = std::make_unique<Random>(seed);
  channel_ = std::make_unique<SimAgentChannel>(clock_, config_.core.poll_timeout);
  metrics_ = std::make_unique<MetricsRegistry>();
  bus_ = std::make_unique<EventBus>(clock_);
  auto stack =
      std::make_unique<MasterStack>(config_, clock_, store_, *channel_, *random_, *bus_, *metrics_);
  stack->core().on_task_changed([this](const TaskRecord& task) {
    trace_.add("task " + task.id() + " " + std::string(to_string(task.state)) + " on " +
               task.hostname + (task.kill_requested ? " (kill requested)" : ""));
  });
  scheduler::SchedulerEvents events;
  events.deployment_success = [this](const scheduler::Deployment& deployment) {
    trace_.add("deployment " + deployment.id() + " succeeded");
  };
  events.deployment_failed = [this](const scheduler::Deployment& deployment,
                                    const std::string& reason) {
    trace_.add("deployment " + deployment.id() + " failed: " + reason);
  };
  events.deployment_info = [this](const scheduler::Deployment& deployment, std::size_t step) {
    trace_.add("deployment " + deployment.id() + " step " + std::to_string(step + 1) + " began");
  };
  auto recovered = stack->recover(std::move(events));
  if (!recovered.ok()) {
    trace_.add("master fails to recover: " + recovered.error().message);
    return recovered;
  }
  stack->volumes().on_event([this](const VolumeEvent& event) {
    trace_.add("volume " + event.volume + " " + std::string(to_string(event.type)) +
               (event.agent_id.empty() ? "" : " agent " + event.agent_id) +
               (event.epoch == 0 ? "" : " epoch " + std::to_string(event.epoch)));
  });
  stack_ = std::move(stack);
  trace_.add("master " + std::to_string(incarnation_) + " recovered " +
             std::to_string(stack_->core().tasks().size()) + " tasks");
  if (on_started) on_started();
  return {};
}

void SimMaster::crash() {
  if (!up()) return;
  stack_.reset();
  bus_.reset();
  metrics_.reset();
  channel_.reset();  // held polls: connection reset
  random_.reset();
}

Result<RegisterReply> SimMaster::register_agent(const RegisterAgent& message) {
  auto reply = stack_->core().register_agent(message);
  if (reply.ok()) {
    reply->volume_lease_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.volumes.lease).count();
  }
  return reply;
}

Result<std::vector<std::string>> SimMaster::update_status(
    const SessionRef& ref, const std::vector<StatusUpdate>& updates) {
  return stack_->core().update_status(ref, updates);
}

void SimMaster::poll(const SessionRef& ref, const std::vector<MountedVolume>& mounts,
                     PollReply reply) {
  auto alive = stack_->core().heartbeat(ref);
  if (!alive.ok()) return reply(alive.error());
  // As the live master's poll route: the current session's mounts reach the controller.
  stack_->volume_wiring().agent_polled(ref.agent_id, mounts);
  channel_->poll(ref.agent_id, ref.session, std::move(reply));
}

}  // namespace berth::sim
