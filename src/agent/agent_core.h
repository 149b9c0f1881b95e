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
// Volumes (TaskSpec::volumes, or the DVDI_* environment when that is empty) go through a
// VolumeService: published after the STARTING checkpoint and before the fetch and the container,
// released only once the container has exited and been destroyed (or never started). A publish
// that fails ends the task TASK_FAILED / REASON_CONTAINER_LAUNCH_FAILED naming the volume.
//
// Fencing, the agent's half of DESIGN.md's: the master's lease on this node's external volumes
// runs from the instant the agent SENT the last poll (or registration) the master answered. When
// `volume_lease` passes without one, on the agent's own clock, whether or not the master can be
// reached, the agent SIGKILLs every task using an external volume, waits for their exits, and
// unmounts every external volume (VolumeService::fence_all_external). Until an answer comes
// back, launches that need an external volume fail. The master's VolumeOrders arrive as volume
// commands: kUnmountVolume stops the tasks it names (their claims go when they end), and
// kRevokeVolume also kills every task here using that volume at that epoch or older, and makes
// launches with those epochs fail.
//
//   answered poll sent at S ......... S + volume_lease: kill ext. tasks --all exited--> fence
//        (lease renewed)                  (launches with external volumes refused until renewed)
//
// The lease in force is the shorter of `volume_lease` and the master's, from its registration
// reply. Each renewal also goes to Containerizer::publish_volume_lease(S + lease): tasks outlive
// an agent crash, and with no agent left to stop them the containerizer kills every task that
// has external volumes (ContainerSpec::lease_volumes) at that deadline, before the master gives
// the volumes to another node; such a task ends TASK_FAILED with a message naming the lease.
//
// Restart: the volume service recovers first; the claims of tasks that are not running any more
// are released; only then does the agent register, reporting what it still has mounted.
//
// Threading: one event loop; callbacks from the containerizer, the link and the clock run on it.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/agent_disk.h"
#include "agent/containerizer.h"
#include "agent/fetcher.h"
#include "agent/health_monitor.h"
#include "agent/health_prober.h"
#include "agent/master_link.h"
#include "agent/volume_service.h"
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
  // How long after the last answered poll was sent this node may keep external volumes: the
  // master's VolumeController lease (storage/README.md), 5 s by default. A shorter lease in the
  // master's registration reply wins.
  Duration volume_lease = std::chrono::seconds(5);
  // Before a failed volume release or fence is tried again.
  Duration volume_retry = std::chrono::seconds(1);
};

// Optional collaborators. Without a prober, health and readiness checks are not run; without a
// fetcher, a task with URIs to fetch fails; without volumes, a task that names volumes fails.
struct AgentServices {
  HealthProber* prober = nullptr;
  Fetcher* fetcher = nullptr;
  VolumeService* volumes = nullptr;
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
    // Not checkpointed: a restart before the container started ends the task anyway.
    bool publishing = false;             // waiting for the volume service
    std::vector<ContainerMount> mounts;  // its published volumes, for the containerizer
  };
  const std::map<std::string, Task>& tasks() const { return tasks_; }
  std::size_t pending_updates() const;
  // True from the moment the volume lease ran out until the master answers again.
  bool lease_expired() const;
  // True once the last fence finished (until the master answers again).
  bool fenced() const { return fenced_; }

 private:
  void register_with_master();
  void on_registered(const RegisterReply& reply);
  void on_session_lost(const Error& error);
  void handle(std::vector<AgentCommand> commands);
  void launch(const TaskSpec& spec);
  void on_published(const std::string& task_id, Result<std::vector<ContainerMount>> published);
  // After the volumes: fetches if needed, then starts the container.
  void fetch_or_start(Task& task);
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

  // Volumes.
  void on_volumes_recovered(const Status& recovered);
  // The task's processes are gone (or never started): releases its claims. Retried until done.
  void release_volumes(const std::string& task_id);
  // The lease is the shorter of --volume_lease and the master's (absent: ours alone). True if
  // that changed the lease in force.
  bool adopt_volume_lease(std::optional<std::int64_t> master_ms);
  // A poll or registration sent at `sent` was answered; true if that renewed the lease.
  bool on_master_answered(Instant sent);
  // Hands the lease's deadline to the containerizer, for the tasks' supervisors.
  void publish_lease();
  void check_lease();
  void begin_fence();
  // Fences once no task that uses an external volume is left.
  void maybe_finish_fence();
  void apply_volume_order(const AgentCommand& order);

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

  // Volumes.
  bool volumes_recovered_ = false;
  std::set<std::string> startup_orphans_;  // releases to finish before registering
  std::set<std::string> releasing_;        // releases in flight
  Duration volume_lease_;                  // in force: see adopt_volume_lease()
  Instant lease_base_{};                   // when the last answered poll was sent
  TimerId lease_timer_ = 0;
  bool lease_publication_failing_ = false;  // logged once until it works again
  bool fencing_ = false;                    // tasks killed, waiting for them before the fence
  bool fence_in_flight_ = false;
  bool fenced_ = false;
  std::map<std::string, std::uint64_t> revoked_;  // volume -> newest epoch revoked
};

}  // namespace berth
