// SimNode: the machine's pieces and the agent process's lifecycle.
#include "sim/sim_node.h"

#include "sim/trace.h"

namespace berth::sim {

SimContainerizer::SimContainerizer(Clock& clock, FakeContainerizer& machine)
    : clock_(clock), machine_(machine) {
  std::weak_ptr<bool> alive = alive_;
  FakeContainerizer* box = &machine_;
  machine_.set_exit_callback([this, alive, box](ContainerExit exit) {
    clock_.schedule(std::chrono::milliseconds(1), [this, alive, box, exit] {
      if (alive.expired()) {
        box->ended_while_away[exit.task_id] = exit;
        return;
      }
      if (callback_) callback_(exit);
    });
  });
}

SimContainerizer::~SimContainerizer() {
  FakeContainerizer* box = &machine_;
  machine_.set_exit_callback(
      [box](ContainerExit exit) { box->ended_while_away[exit.task_id] = exit; });
}

SimNode::SimNode(NodeSpec spec, Clock& clock, Random& random, SimNetwork& network,
                 SimMasterEndpoint& master, const VolumeChaos& chaos,
                 std::map<std::string, std::uint64_t>& pool, Trace& trace)
    : spec_(std::move(spec)),
      base_clock_(clock),
      random_(random),
      network_(network),
      master_(master),
      chaos_(chaos),
      trace_(trace) {
  containers_.exit_on_sigterm = true;
  external_.share_pool(&pool);
  // Storage fails now and then: every driver call may, with the chaos' probability.
  auto flaky = [this](const std::string& call) -> Status {
    if (chaos_.failure > 0 && random_.unit() < chaos_.failure) {
      trace_.add(name() + " storage fails: " + call);
      return unavailable("injected storage failure: " + call);
    }
    return {};
  };
  external_.before = flaky;
  local_.before = flaky;
  FakeContainerizer* box = &containers_;
  containers_.set_exit_callback(
      [box](ContainerExit exit) { box->ended_while_away[exit.task_id] = exit; });
}

SimNode::~SimNode() { crash_agent(); }

void SimNode::start_agent() {
  if (agent_ || !powered_) return;
  clock_ = std::make_unique<DriftClock>(base_clock_, spec_.clock_rate);
  agent_random_ = std::make_unique<Random>(random_.next());
  link_ = std::make_unique<SimMasterLink>(name(), *clock_, network_, master_);
  link_->on_acked = [this](const std::vector<std::string>& acks) {
    if (on_acked) on_acked(name(), acks);
  };
  containerizer_ = std::make_unique<SimContainerizer>(*clock_, containers_);
  volumes_ = std::make_unique<SimVolumeService>(
      *clock_, random_, chaos_,
      NodeVolumeManagerOptions{"/sim/" + name() + "/volume_mounts",
                               "boot-" + name() + "-" + std::to_string(boots_)},
      volume_store_, std::vector<NodeDriver*>{&external_, &local_});

  AgentConfig config;
  config.hostname = name();
  config.resources = *Resources::parse(spec_.resources);
  config.attributes = *parse_attributes(spec_.attributes);
  config.boot_id = "boot-" + name() + "-" + std::to_string(boots_);
  config.version = "sim";
  config.volume_lease = spec_.volume_lease;
  agent_ = std::make_unique<AgentCore>(config, *clock_, *containerizer_, disk_, *link_,
                                       *agent_random_, AgentServices{.volumes = volumes_.get()});
  auto started = agent_->start();
  trace_.add(name() + " agent starts" + (started.ok() ? "" : ": " + started.error().message));
}

void SimNode::crash_agent() {
  if (!agent_) return;
  agent_.reset();
  volumes_.reset();
  containerizer_.reset();
  link_.reset();
  agent_random_.reset();
  clock_.reset();
}

void SimNode::power_off() {
  crash_agent();
  powered_ = false;
  containers_.wipe();
  containers_.ended_while_away.clear();
  external_.reboot();
  local_.reboot();
}

void SimNode::power_on() {
  if (powered_) return;
  powered_ = true;
  ++boots_;
  start_agent();
}

bool SimNode::runs_external_volume_task() const {
  if (!agent_) return false;
  for (const auto& [id, task] : agent_->tasks()) {
    if (is_terminal(task.state)) continue;
    for (const auto& volume : task.spec.volumes) {
      if (volume.volume.external) return true;
    }
  }
  return false;
}

void SimNode::exit_task(const std::string& task_id, int code) {
  containers_.finish(task_id, {task_id, ContainerExit::Kind::kExited, code, 0, ""});
}

}  // namespace berth::sim
