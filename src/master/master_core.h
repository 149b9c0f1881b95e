// MasterCore: the master's logic, free of sockets, threads, files and the real clock. It keeps
// the agent registry and the tasks, persists every change through the StateStore before it is
// acknowledged, sends commands through an AgentChannel, and watches heartbeats on the Clock.
// The live master drives it from its HTTP handlers; tests and the simulator drive it directly.
//
// Threading: one event loop; no method may be called concurrently.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/agent_protocol.h"
#include "common/clock.h"
#include "common/random.h"
#include "common/result.h"
#include "master/agent_channel.h"
#include "master/agent_listener.h"
#include "master/agent_registry.h"
#include "master/allocator.h"
#include "master/task_record.h"

namespace berth {

class StateStore;

struct MasterConfig {
  Duration heartbeat_interval = std::chrono::seconds(1);
  // An agent is unreachable once this many heartbeat intervals pass without one.
  int max_missed_heartbeats = 5;
  // After a master restart, how long agents have to re-register before they are unreachable.
  Duration agent_reregister_timeout = std::chrono::seconds(10);
  // How long the master holds an agent's poll open when it has no command for it.
  Duration poll_timeout = std::chrono::seconds(1);
  // A launch that no status update has confirmed this long after it was sent is taken as lost
  // (a poll answer that never reached the agent takes its commands with it, and the session
  // goes on) and the task is killed, so that its scheduler replaces it. The agent reports
  // TASK_STARTING as soon as it receives a launch. Marathon's task_launch_confirm_timeout.
  Duration launch_confirm_timeout = std::chrono::seconds(30);
  // A kill that no terminal update has confirmed is sent again this often, for the same reason.
  Duration kill_retry = std::chrono::seconds(10);
  // Completed tasks kept (in memory and in the store) for operators to inspect.
  std::size_t max_completed_tasks = 1000;
};

// A bare command task, as the operator endpoint and tests ask for it.
struct LaunchRequest {
  std::string name = "task";
  std::string app_id;
  bool shell = true;
  std::string command;
  std::vector<std::string> arguments;
  std::map<std::string, std::string> environment;
  Resources resources;  // scalars
  std::size_t port_count = 0;
  std::string agent_id;  // optional: only this agent
  std::string hostname;  // optional: only agents with this hostname
  std::int64_t kill_grace_period_ms = 3000;

  // For schedulers. All optional.
  std::string task_id;                     // chosen by the caller; default "<name>.<uuid>"
  std::string app_version;                 // the app version the task runs
  std::vector<std::uint64_t> fixed_ports;  // these exact host ports, before any `port_count`
  // Agents it returns false for are refused with `filter_reason` (placement constraints).
  std::function<bool(const AgentRecord&)> filter;
  std::string filter_reason = "does not match the placement constraints";
  PlacementHints hints;  // what the filter promises (see PlacementHints)
  // Completes the spec once the agent and ports are chosen (environment, health checks, volume
  // claims). An error aborts the launch before anything is persisted or sent.
  std::function<Status(TaskSpec&, const AgentRecord&)> complete_spec;
  // When no agent fits: how many agents refused for each reason.
  std::map<std::string, int>* refusals = nullptr;
};

class MasterCore {
 public:
  MasterCore(MasterConfig config, Clock& clock, StateStore& store, AgentChannel& channel,
             Random& random);
  ~MasterCore();

  // Loads agents and tasks from the store and starts the heartbeat watch. Call once.
  Status recover();

  Result<RegisterReply> register_agent(const RegisterAgent& message);
  // A poll arrived: the agent is alive. kNotFound means "register again".
  Status heartbeat(const SessionRef& ref);
  // Applies and persists the updates; returns the uuids to acknowledge.
  Result<std::vector<std::string>> update_status(const SessionRef& ref,
                                                 const std::vector<StatusUpdate>& updates);

  // Places, persists and sends the task. Returns it as sent (its record keeps no environment).
  Result<TaskRecord> launch(const LaunchRequest& request);
  Status kill(const std::string& task_id);
  // Gives up on an unreachable task (Marathon's expunge): it becomes TASK_GONE and frees its
  // resources. Should its agent return with it running, reconciliation kills it.
  Status expunge(const std::string& task_id);

  // The allocation point for schedulers.
  Result<Placement> place(const PlacementRequest& request) const;

  const AgentRegistry& agents() const { return agents_; }
  const std::map<std::string, TaskRecord>& tasks() const { return tasks_; }
  const TaskRecord* find_task(const std::string& id) const;
  // The non-terminal tasks of an app, and the ids of every app that has some (an index kept
  // with the tasks, so that the API and the scheduler never walk all tasks for one app).
  std::vector<const TaskRecord*> live_tasks_of(const std::string& app_id) const;
  const std::map<std::string, std::map<std::string_view, const TaskRecord*>>& live_tasks_by_app()
      const {
    return live_by_app_;
  }
  const MasterConfig& config() const { return config_; }
  // This master's id (Marathon's frameworkId), kept across restarts.
  const std::string& master_id() const { return master_id_; }
  WallTime start_time() const { return start_time_; }

  // Adds a listener called after every persisted task change (the app scheduler, the event
  // stream, metrics), in the order they were added.
  void on_task_changed(std::function<void(const TaskRecord&)> fn) {
    task_listeners_.push_back(std::move(fn));
  }
  // Adds a listener of agents' registrations, heartbeats and unreachability (the volume
  // controller's fencing). It must outlive the core.
  void add_agent_listener(AgentListener& listener) { agent_listeners_.push_back(&listener); }
  // Queues a command on the agent's current session. kUnavailable when the agent has none
  // (unreachable, or not registered again since a restart): the command is dropped, and its
  // sender repeats it once the agent is back.
  Status send_to_agent(const std::string& agent_id, AgentCommand command);

 private:
  // A set of changes to persist together, then apply in memory.
  struct Change {
    std::vector<AgentRecord> agents;
    std::vector<TaskRecord> tasks;
    std::vector<std::string> removed_tasks;
  };
  Status commit(Change change);
  void apply_task(TaskRecord task);

  void check_heartbeats();
  // Commands whose effect has not been seen by now: lost launches are killed, kills resent.
  void follow_up_commands();
  void expect_launch_confirmation(const std::string& task_id);
  void expect_kill_confirmation(const std::string& task_id);
  Status mark_unreachable(AgentRecord& agent, const std::string& why);
  void reconcile(const AgentRecord& agent, const std::vector<TaskReport>& reported, Change& change,
                 std::vector<AgentCommand>& commands);
  TaskRecord transition(const TaskRecord& task, TaskState state, std::string reason,
                        std::string message) const;
  std::string new_agent_id();
  std::string new_task_id(const std::string& name);

  MasterConfig config_;
  Clock& clock_;
  StateStore& store_;
  AgentChannel& channel_;
  Random& random_;
  Allocator allocator_;
  AgentRegistry agents_;
  std::map<std::string, TaskRecord> tasks_;
  // app id -> its live tasks by id, pointing into tasks_
  // app id -> task id (a view of tasks_' key) -> its record.
  std::map<std::string, std::map<std::string_view, const TaskRecord*>> live_by_app_;
  std::deque<std::string> completed_;  // terminal task ids, oldest first
  std::string master_id_;
  WallTime start_time_;
  TimerId heartbeat_timer_ = 0;
  // Commands awaiting their effect, each queue in due order (one timeout per queue). Memory only:
  // after a restart, recover() queues them again and re-registration reconciles.
  struct FollowUp {
    Instant due;
    std::string task_id;
  };
  std::deque<FollowUp> launches_to_confirm_;
  std::deque<FollowUp> kills_to_confirm_;
  std::set<std::string> kills_queued_;  // the task ids in kills_to_confirm_
  // Tasks an agent runs that the master does not hold live there (ended, expunged, unknown):
  // killed, and killed again every kill_retry until that agent reports their end or registers
  // without them. Task id -> agent id and when to send again.
  struct Orphan {
    std::string agent_id;
    Instant due;
  };
  std::map<std::string, Orphan> orphans_;
  void kill_orphan(const std::string& agent_id, const std::string& task_id);
  bool recovered_ = false;
  std::vector<std::function<void(const TaskRecord&)>> task_listeners_;
  std::vector<AgentListener*> agent_listeners_;
};

}  // namespace berth
