// VolumeWiring: the controller's inputs from MasterCore, its outputs to agents, the event bus
// and the metrics registry.
#include "master/volume_wiring.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "common/time_format.h"
#include "master/event_bus.h"
#include "master/master_core.h"

namespace berth {
namespace {

constexpr VolumeEventType kLastEventType = VolumeEventType::kError;
constexpr VolumeState kLastState = VolumeState::kDeleting;

// Seconds: 10 ms .. 10 min. Attaches include mkfs, failovers the lease wait.
std::vector<double> volume_buckets() {
  return {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 15, 30, 60, 120, 300, 600};
}

// "attached" for "volume_attached": the operation label of a latency.
std::string operation_of(VolumeEventType type) {
  std::string name(to_string(type));
  constexpr std::string_view kPrefix = "volume_";
  return name.rfind(kPrefix, 0) == 0 ? name.substr(kPrefix.size()) : name;
}

}  // namespace

AgentCommand to_agent_command(const VolumeOrder& order) {
  const auto kind = order.kind == VolumeOrder::Kind::kRevoke ? AgentCommand::Kind::kRevokeVolume
                                                             : AgentCommand::Kind::kUnmountVolume;
  return AgentCommand::volume_order(kind, order.volume, order.epoch, order.kill_task_ids,
                                    order.reason);
}

std::string volume_event_json(const VolumeEvent& event) {
  nlohmann::json doc{{"eventType", std::string(to_string(event.type))},
                     {"timestamp", format_timestamp(event.at)},
                     {"volume", event.volume}};
  if (!event.agent_id.empty()) doc["agentId"] = event.agent_id;
  if (event.epoch != 0) doc["epoch"] = event.epoch;
  if (!event.message.empty()) doc["message"] = event.message;
  if (event.took) doc["durationSeconds"] = std::chrono::duration<double>(*event.took).count();
  return doc.dump();
}

std::vector<std::string> volume_event_types() {
  std::vector<std::string> types;
  for (int t = 0; t <= static_cast<int>(kLastEventType); ++t) {
    types.emplace_back(to_string(static_cast<VolumeEventType>(t)));
  }
  return types;
}

VolumeWiring::VolumeWiring(VolumeController& controller, MasterCore& core, EventBus& bus,
                           MetricsRegistry& metrics)
    : controller_(controller), core_(core), bus_(bus), metrics_(metrics) {
  controller_.on_event([this](const VolumeEvent& event) { publish(event); });
  controller_.on_order([this](const VolumeOrder& order) { send(order); });
  core_.add_agent_listener(*this);
  register_metrics();
}

void VolumeWiring::recovered() {
  for (const auto& [id, agent] : core_.agents().all()) {
    if (agent.status != AgentRecord::Status::kUnreachable) continue;
    agent_unreachable(id, agent.last_seen);
  }
}

void VolumeWiring::send(const std::vector<VolumeOrder>& orders) {
  for (const auto& order : orders) send(order);
}

void VolumeWiring::send(const VolumeOrder& order) {
  auto sent = core_.send_to_agent(order.agent_id, to_agent_command(order));
  if (!sent.ok()) {
    spdlog::info(
        "volume {}: order for agent {} not sent ({}); it is repeated when the agent "
        "registers again",
        order.volume, order.agent_id, sent.error().message);
  }
}

void VolumeWiring::agent_polled(const std::string& agent_id,
                                const std::vector<MountedVolume>& mounts) {
  auto orders = controller_.agent_reported(agent_id, mounts, VolumeController::ReportOrigin::kPoll);
  if (!orders.ok()) {
    // The next poll reports again.
    spdlog::error("volumes reported by agent {}: {}", agent_id, orders.error().message);
    return;
  }
  send(*orders);
}

void VolumeWiring::agent_registered(const std::string& agent_id, const RegisterAgent& message) {
  auto orders = controller_.agent_reported(agent_id, message.volumes,
                                           VolumeController::ReportOrigin::kRegistration);
  if (!orders.ok()) {
    spdlog::error("volumes reported by agent {}: {}", agent_id, orders.error().message);
    return;
  }
  send(*orders);
}

void VolumeWiring::agent_heartbeat(const std::string& agent_id, Instant acked_at) {
  auto status = controller_.agent_heartbeat(agent_id, acked_at);
  if (!status.ok()) {
    spdlog::error("volume leases of agent {}: {}", agent_id, status.error().message);
  }
}

void VolumeWiring::agent_unreachable(const std::string& agent_id, Instant last_seen) {
  auto status = controller_.agent_unreachable(agent_id, last_seen);
  if (!status.ok()) {
    spdlog::error("fence the volumes of agent {}: {}", agent_id, status.error().message);
  }
}

void VolumeWiring::publish(const VolumeEvent& event) {
  bus_.publish(to_string(event.type), volume_event_json(event));
  if (!event.took) return;
  const double seconds = std::chrono::duration<double>(*event.took).count();
  metrics_
      .histogram("berth_volume_operation_duration_seconds",
                 "Volume operations, by the event that ended them: attached (claim to mount), "
                 "fenced (agent unreachable to attachment released), failed_over (old agent's "
                 "last heartbeat to the mount on the new one).",
                 volume_buckets(), {{"operation", operation_of(event.type)}})
      .observe(seconds);
  if (event.type == VolumeEventType::kFailedOver) {
    metrics_
        .histogram("berth_volume_failover_duration_seconds",
                   "From the old agent's last acknowledged heartbeat to the volume mounted on "
                   "another agent.",
                   volume_buckets())
        .observe(seconds);
  }
}

void VolumeWiring::register_metrics() {
  metrics_.on_collect([this] {
    std::map<VolumeState, int> states;
    int attachments = 0;
    for (const VolumeRecord& volume : controller_.list()) {
      ++states[volume.state];
      if (volume.attachment) ++attachments;
    }
    for (int s = 0; s <= static_cast<int>(kLastState); ++s) {
      const auto state = static_cast<VolumeState>(s);
      metrics_
          .gauge("berth_volumes", "Volumes the master owns, by lifecycle state.",
                 {{"state", std::string(to_string(state))}})
          .set(states[state]);
    }
    metrics_.gauge("berth_volume_attachments", "Volumes attached to an agent (with an epoch).")
        .set(attachments);
    const VolumeControllerStats& stats = controller_.stats();
    const std::pair<const char*, std::uint64_t> counts[] = {
        {"created", stats.created},
        {"deleted", stats.deleted},
        {"epoch_granted", stats.epochs_granted},
        {"attach_confirmed", stats.attaches_confirmed},
        {"detach_confirmed", stats.detaches_confirmed},
        {"fence_started", stats.fences_started},
        {"fence_completed", stats.fences_completed},
        {"fence_cancelled", stats.fences_cancelled},
        {"failover", stats.failovers},
        {"revocation", stats.revocations},
        {"timeout", stats.timeouts},
        {"failure", stats.operation_failures},
        {"claim_refused", stats.claims_refused},
    };
    for (const auto& [operation, count] : counts) {
      metrics_
          .counter("berth_volume_operations_total",
                   "Volume operations since the master started, by kind.",
                   {{"operation", operation}})
          .set_total(static_cast<double>(count));
    }
    metrics_
        .counter("berth_volume_failovers_total",
                 "Volumes attached on a new agent after their old agent was fenced.")
        .set_total(static_cast<double>(stats.failovers));
  });
}

}  // namespace berth
