// AgentCore: the agent's logic, free of sockets, threads, files and the real clock. It registers
// with the master, runs the tasks it is told to through a Containerizer, turns their exits into
// status updates, and keeps every update until the master acknowledges it (Mesos' status-update
// manager). Each task's checkpoint is written before the side effect it records, so an agent
// killed at any instant and restarted re-adopts its running tasks and reports those that ended.
//
// Task lifecycle on the agent:
//
//   LAUNCH --checkpoint--> STARTING --[fetch]--containerizer.launch--> RUNNING --exit-->
//                              |                                          |     FINISHED/FAILED
//                              +--fetch or launch failed--> FAILED        +--KILL--> KILLING
//                              +--KILL during fetch--> KILLING --fetched--> KILLED    --exit-->
//                                                                                     KILLED
//
// A terminal task's checkpoint is removed once its last update is acknowledged.
//
// While a task runs, a HealthMonitor probes its health and readiness checks; each change goes to
// the master as an update with the same state and reason REASON_TASK_HEALTH_CHECK_STATUS_UPDATED
// (an unacknowledged older one of those is replaced, so a flapping check cannot pile them up).
// Every update of such a task carries its current health. Killing on health is the master's call.
//
// Threading: one event loop; callbacks from the containerizer, the link and the clock run on it.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent_disk.h"
#include "agent/containerizer.h"
#include "agent/fetcher.h"
#include "agent/health_monitor.h"
#include "agent/health_prober.h"
#include "agent/master_link.h"
#include "api/agent_protocol.h"
#include "common/clock.h"
#include "common/random.h"

namespace berth {

struct AgentConfig {
  std::string hostname;
  std::uint16_t port = 5051;
  Resources resources;
  std::vector<Attribute> attributes;
  std::string boot_id;
  std::string version;
  // First delay before registering again after a failure; doubles up to the maximum.
  Duration register_backoff = std::chrono::milliseconds(200);
  Duration register_backoff_max = std::chrono::seconds(5);
  Duration status_retry = std::chrono::milliseconds(200);
  Duration status_retry_max = std::chrono::seconds(5);
};

// Optional collaborators. Without a prober, health and readiness checks are not run; without a
// fetcher, a task with URIs to fetch fails.
struct AgentServices {
  HealthProber* prober = nullptr;
  Fetcher* fetcher = nullptr;
};

class AgentCore {
 public:
  AgentCore(AgentConfig config, Clock& clock, Containerizer& containerizer, AgentDisk& disk,
            MasterLink& link, Random& random, AgentServices services = {});
  ~AgentCore();

  // Reads the checkpoints, re-adopts containers, then registers with the master.
  Status start();

  const std::string& agent_id() const { return agent_id_; }
  bool registered() const { return !session_.empty(); }

  struct Task {
    TaskSpec spec;
    TaskState state = TaskState::kStarting;
    bool kill_requested = false;
    std::uint64_t next_seq = 1;
    std::deque<StatusUpdate> pending;  // not yet acknowledged, oldest first
    TimerId kill_timer = 0;
  };
  const std::map<std::string, Task>& tasks() const { return tasks_; }
  std::size_t pending_updates() const;

 private:
  void register_with_master();
  void on_registered(const RegisterReply& reply);
  void on_session_lost(const Error& error);
  void handle(std::vector<AgentCommand> commands);
  void launch(const TaskSpec& spec);
  void on_fetched(const std::string& task_id, const Status& fetched);
  void start_container(Task& task);
  void kill(const std::string& task_id, std::int64_t grace_period_ms);
  void on_exit(const ContainerExit& exit);

  // Records `state` for `task`, queues its update and checkpoints, in that order; the caller
  // performs the side effect only after this returns ok.
  Status transition(Task& task, TaskState state, std::string reason, std::string message);
  // Queues a health-only update (same state) for a running task.
  void on_health_changed(const std::string& task_id, const std::string& what);
  StatusUpdate make_update(Task& task, TaskState state, std::string reason, std::string message);
  void stop_health(const std::string& task_id);
  Status checkpoint(const Task& task);
  void flush_updates();
  void on_acks(const std::vector<std::string>& acks);

  AgentConfig config_;
  Clock& clock_;
  Containerizer& containerizer_;
  AgentDisk& disk_;
  MasterLink& link_;
  Random& random_;
  AgentServices services_;
  std::unique_ptr<HealthMonitor> health_;
  // Callbacks handed to the fetcher hold a weak copy, so one arriving after the core is gone
  // does nothing.
  std::shared_ptr<AgentCore*> self_;

  std::string agent_id_;
  std::string session_;
  std::map<std::string, Task> tasks_;
  Duration register_delay_;
  Duration status_delay_;
  bool updates_in_flight_ = false;
  TimerId register_timer_ = 0;
  TimerId status_timer_ = 0;
};

}  // namespace berth
