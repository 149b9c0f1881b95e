// SimNode: one machine of the simulated cluster and the agent process on it. The machine (its
// disk, its containers, its mounts, the storage it reaches) outlives the process: an agent crash
// leaves tasks running and volumes mounted for the next agent to re-adopt, as on a real node; a
// power loss takes containers and mounts with it and comes back with a new boot id.
//
//   machine: MemoryAgentDisk, FakeContainerizer, FakeNodeDriver x2 (blockpool: the shared pool;
//            local), MemoryVolumeCheckpointStore
//   process: DriftClock --> AgentCore (real) + SimContainerizer + SimVolumeService
//            (NodeVolumeManager, real) + SimMasterLink
#pragma once

#include <map>
#include <memory>
#include <string>

#include "agent/agent_core.h"
#include "agent/agent_disk.h"
#include "agent/fake_containerizer.h"
#include "sim/drift_clock.h"
#include "sim/sim_transport.h"
#include "sim/sim_volume_service.h"
#include "storage/node/fake_node_driver.h"
#include "storage/node/volume_checkpoint_store.h"

namespace berth::sim {

class Trace;

struct NodeSpec {
  std::string hostname;
  std::string resources = "cpus:4;mem:4096;disk:20000;ports:[31000-31099]";
  std::string attributes;  // "rack:r1;disk:ssd"
  double clock_rate = 1.0;
  Duration volume_lease = std::chrono::seconds(5);
};

// The agent core's Containerizer on the simulated machine: exits reach the core on a later turn
// of the loop, as the live containerizer's do; exits while no agent runs wait for the next
// agent's recover(), as the live supervisor's recorded exit statuses do.
class SimContainerizer final : public Containerizer {
 public:
  SimContainerizer(Clock& clock, FakeContainerizer& machine);
  ~SimContainerizer() override;

  void set_exit_callback(ExitCallback callback) override { callback_ = std::move(callback); }
  Status launch(const ContainerSpec& spec) override { return machine_.launch(spec); }
  void signal(const std::string& task_id, int signal) override { machine_.signal(task_id, signal); }
  void recover(const std::vector<std::string>& task_ids) override { machine_.recover(task_ids); }
  void destroy(const std::string& task_id) override { machine_.destroy(task_id); }
  std::vector<std::string> running() const override { return machine_.running(); }
  // Recorded only: the simulated supervisors do not watch the deadline yet (docs/simulator.md).
  Status publish_volume_lease(Instant deadline) override {
    return machine_.publish_volume_lease(deadline);
  }

 private:
  Clock& clock_;
  FakeContainerizer& machine_;
  ExitCallback callback_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

class SimNode {
 public:
  SimNode(NodeSpec spec, Clock& clock, Random& random, SimNetwork& network,
          SimMasterEndpoint& master, const VolumeChaos& chaos,
          std::map<std::string, std::uint64_t>& pool, Trace& trace);
  ~SimNode();

  const std::string& name() const { return spec_.hostname; }
  const NodeSpec& spec() const { return spec_; }

  // The agent process starts on the (powered) machine.
  void start_agent();
  // The agent process dies at once; its tasks and mounts stay.
  void crash_agent();
  // The machine loses power: the agent, every container and every mount are gone.
  void power_off();
  // Power comes back with a new boot id; the agent starts.
  void power_on();

  bool agent_up() const { return agent_ != nullptr; }
  bool powered() const { return powered_; }
  AgentCore* agent() { return agent_.get(); }
  const AgentCore* agent() const { return agent_.get(); }
  const DriftClock* agent_clock() const { return clock_.get(); }
  FakeContainerizer& containers() { return containers_; }
  const FakeContainerizer& containers() const { return containers_; }
  const FakeNodeDriver& external_driver() const { return external_; }
  // Status update acknowledgements this node's agents received, task id -> acked uuids.
  std::function<void(const std::string& node, const std::vector<std::string>& acks)> on_acked;

  // Whether the agent runs a live task on an external volume.
  bool runs_external_volume_task() const;
  // Ends a running container as if its command exited with `code` (a task failure).
  void exit_task(const std::string& task_id, int code);

 private:
  NodeSpec spec_;
  Clock& base_clock_;
  Random& random_;
  SimNetwork& network_;
  SimMasterEndpoint& master_;
  const VolumeChaos& chaos_;
  Trace& trace_;

  // The machine.
  bool powered_ = true;
  int boots_ = 1;
  MemoryAgentDisk disk_;
  FakeContainerizer containers_;
  FakeNodeDriver external_{"blockpool"};
  FakeNodeDriver local_{"local"};
  MemoryVolumeCheckpointStore volume_store_;

  // The agent process; in destruction order.
  std::unique_ptr<DriftClock> clock_;
  std::unique_ptr<Random> agent_random_;
  std::unique_ptr<SimMasterLink> link_;
  std::unique_ptr<SimContainerizer> containerizer_;
  std::unique_ptr<SimVolumeService> volumes_;
  std::unique_ptr<AgentCore> agent_;
};

}  // namespace berth::sim
