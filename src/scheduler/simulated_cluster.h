// SimulatedCluster: a real MasterCore and AppScheduler on a fake clock and an in-memory store,
// with agents played by the test: they answer launches with TASK_RUNNING (or what a test asks)
// and kills with TASK_KILLED. For scheduler and API tests; time moves only when the test says.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/fake_clock.h"
#include "master/master_core.h"
#include "scheduler/app_scheduler.h"
#include "state/memory_state_store.h"

namespace berth::scheduler {

using marathon::AppDefinition;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Agents as the master sees them: commands go into a queue the test drains.
class SimulatedAgents : public AgentChannel {
 public:
  void send(const std::string& agent_id, const std::string& session,
            AgentCommand command) override {
    pending.push_back({agent_id, session, std::move(command)});
  }
  void close_session(const std::string&, const std::string&) override {}

  struct Sent {
    std::string agent_id;
    std::string session;
    AgentCommand command;
  };
  std::deque<Sent> pending;
};

class SimulatedCluster {
 public:
  SimulatedCluster() {
    start();
    for (int i = 1; i <= 3; ++i) add_agent("10.0.0." + std::to_string(i));
  }

  void start() {
    scheduler_.reset();
    core_ = std::make_unique<MasterCore>(MasterConfig{}, clock_, store_, agents_, random_);
    ASSERT_TRUE(core_->recover().ok());
    scheduler_ = std::make_unique<AppScheduler>(SchedulerConfig{}, clock_, store_, *core_, random_);
    scheduler_->set_events(
        {.deployment_success = [this](const Deployment& d) { finished_.push_back(d.id()); }});
    ASSERT_TRUE(scheduler_->recover().ok());
  }

  // (Re-)registers the agent at `host`; `volume_drivers` as it would say them (absent: an agent
  // that does not say, which may take any volume).
  void add_agent(const std::string& host,
                 std::optional<std::vector<std::string>> volume_drivers = std::nullopt) {
    RegisterAgent message;
    message.volume_drivers = std::move(volume_drivers);
    message.agent_id = sessions_.count(host) ? sessions_[host].agent_id : "";
    message.hostname = host;
    message.port = 5051;
    message.resources = *Resources::parse("cpus:4;mem:4096;ports:[31000-31099]");
    message.attributes = *parse_attributes(host == "10.0.0.3" ? "disk:ssd" : "disk:spinning");
    // What the agent runs, as it would report it after a master restart.
    for (const auto& [task_id, task_host] : task_hosts_) {
      if (task_host == host && !finished_tasks_.count(task_id)) {
        message.tasks.push_back(
            {task_id, running_tasks_.count(task_id) ? TaskState::kRunning : TaskState::kStaging});
      }
    }
    auto reply = core_->register_agent(message);
    ASSERT_TRUE(reply.ok()) << reply.error().message;
    sessions_[host] = {reply->agent_id, reply->session};
    hosts_[reply->agent_id] = host;
  }

  // Lets timers run and agents answer until nothing more happens.
  void settle() {
    for (int round = 0; round < 100; ++round) {
      clock_.run_due();
      if (agents_.pending.empty()) break;
      while (!agents_.pending.empty()) {
        auto sent = std::move(agents_.pending.front());
        agents_.pending.pop_front();
        if (sent.command.kind == AgentCommand::Kind::kLaunch) {
          launched_.push_back(sent.command.task);
          task_hosts_[sent.command.task.task_id] = hosts_[sent.agent_id];
          if (!hold_launches_) report(sent.command.task.task_id, launch_answer_);
        } else if (!hold_kills_) {
          report(sent.command.task_id, TaskState::kKilled);
        } else {
          held_kills_.push_back(sent.command.task_id);
        }
      }
    }
  }

  void report(const std::string& task_id, TaskState state) {
    const TaskRecord* task = core_->find_task(task_id);
    ASSERT_NE(task, nullptr);
    SessionRef ref = sessions_[hosts_[task->agent_id]];
    StatusUpdate update{.uuid = random_.uuid(),
                        .task_id = task_id,
                        .seq = ++seq_,
                        .state = state,
                        .timestamp_ms = 0};
    if (state == TaskState::kRunning) running_tasks_.insert(task_id);
    if (is_terminal(state)) finished_tasks_.insert(task_id);
    ASSERT_TRUE(core_->update_status(ref, {update}).ok());
  }

  // Moves time in small steps, keeping agents alive.
  void advance(Duration total) {
    for (Duration step = milliseconds(500); total > Duration::zero(); total -= step) {
      clock_.advance(std::min(step, total));
      for (const auto& [host, ref] : sessions_) {
        if (silent_hosts_.count(host) == 0) (void)core_->heartbeat(ref);
      }
      settle();
    }
  }

  AppDefinition app(const std::string& id, std::int64_t instances) {
    AppDefinition definition;
    definition.id = id;
    definition.cmd = "sleep 1000";
    definition.instances = instances;
    definition.cpus = 0.1;
    definition.mem = 32;
    return definition;
  }

  Result<Deployment> deploy(const AppDefinition& definition, bool force = false) {
    Root target = scheduler_->root();
    target.apps.insert_or_assign(definition.id, definition);
    auto result = scheduler_->deploy(std::move(target), force);
    settle();
    return result;
  }

  std::vector<const TaskRecord*> running(const std::string& app_id) {
    std::vector<const TaskRecord*> out;
    for (const TaskRecord* task : scheduler_->tasks_of(app_id)) {
      if (task->state == TaskState::kRunning && !task->kill_requested) out.push_back(task);
    }
    return out;
  }

  FakeClock clock_;
  MemoryStateStore store_;
  SimulatedAgents agents_;
  Random random_{7};
  std::unique_ptr<MasterCore> core_;
  std::unique_ptr<AppScheduler> scheduler_;
  std::map<std::string, SessionRef> sessions_;     // by host
  std::map<std::string, std::string> hosts_;       // agent id -> host
  std::map<std::string, std::string> task_hosts_;  // task id -> host
  std::set<std::string> running_tasks_;
  std::set<std::string> silent_hosts_;  // agents that stopped answering
  std::set<std::string> finished_tasks_;
  std::vector<TaskSpec> launched_;
  std::vector<std::string> finished_;
  std::vector<std::string> held_kills_;
  TaskState launch_answer_ = TaskState::kRunning;
  bool hold_launches_ = false;
  bool hold_kills_ = false;
  std::uint64_t seq_ = 0;
};

}  // namespace berth::scheduler
