// Publishing the scheduler's events.
#include "master/scheduler_events.h"

#include "common/time_format.h"
#include "marathon/app_json.h"
#include "master/event_bus.h"
#include "master/marathon_events.h"
#include "master/task_record.h"
#include "scheduler/deployment.h"

namespace berth {
namespace {

// A failed builder means a payload that is not JSON: a bug, never worth a crash of the master.
void publish(EventBus& bus, std::string_view type, Result<std::string> payload) {
  if (payload.ok()) bus.publish(type, std::move(*payload));
}

// "127.0.0.1:53412" -> "127.0.0.1"
std::string address_of(const std::string& remote) {
  auto colon = remote.rfind(':');
  return colon == std::string::npos ? remote : remote.substr(0, colon);
}

using StepEventBuilder = Result<std::string> (*)(std::string_view plan_json,
                                                 std::string_view step_json, WallTime at);

// deployment_info and deployment_step_*: the plan with its original and target, and the step.
std::function<void(const scheduler::Deployment&, std::size_t)> step_events(EventBus& bus,
                                                                           Clock& clock,
                                                                           std::string_view type,
                                                                           StepEventBuilder build) {
  return [&bus, &clock, type, build](const scheduler::Deployment& deployment, std::size_t step) {
    publish(bus, type,
            build(scheduler::deployment_plan_json(deployment),
                  scheduler::deployment_step_json(deployment, step), clock.wall()));
  };
}

}  // namespace

scheduler::SchedulerEvents scheduler_events(EventBus& bus, Clock& clock) {
  scheduler::SchedulerEvents events;
  events.deployment_info =
      step_events(bus, clock, event_type::kDeploymentInfo, deployment_info_event);
  events.deployment_step_success =
      step_events(bus, clock, event_type::kDeploymentStepSuccess, deployment_step_success_event);
  events.deployment_step_failure =
      step_events(bus, clock, event_type::kDeploymentStepFailure, deployment_step_failure_event);
  events.deployment_success = [&bus, &clock](const scheduler::Deployment& deployment) {
    publish(bus, event_type::kDeploymentSuccess,
            deployment_success_event(deployment.id(), scheduler::deployment_json(deployment),
                                     clock.wall()));
  };
  events.deployment_failed = [&bus, &clock](const scheduler::Deployment& deployment,
                                            const std::string& reason) {
    publish(bus, event_type::kDeploymentFailed,
            deployment_failed_event(deployment.id(), scheduler::deployment_json(deployment), reason,
                                    clock.wall()));
  };
  events.group_change_success = [&bus, &clock](const std::string& group_id, WallTime version) {
    bus.publish(event_type::kGroupChangeSuccess,
                group_change_success_event(group_id, format_timestamp(version), clock.wall()));
  };
  events.group_change_failed = [&bus, &clock](const std::string& group_id, WallTime version,
                                              const std::string& reason) {
    bus.publish(
        event_type::kGroupChangeFailed,
        group_change_failed_event(group_id, format_timestamp(version), reason, clock.wall()));
  };
  events.add_health_check = [&bus, &clock](const std::string& app_id, WallTime version,
                                           const marathon::HealthCheck& check) {
    publish(bus, event_type::kAddHealthCheck,
            add_health_check_event(app_id, format_timestamp(version),
                                   marathon::health_check_to_json(check), clock.wall()));
  };
  events.remove_health_check = [&bus, &clock](const std::string& app_id,
                                              const marathon::HealthCheck&) {
    bus.publish(event_type::kRemoveHealthCheck, remove_health_check_event(app_id, clock.wall()));
  };
  events.failed_health_check = [&bus, &clock](const TaskRecord& task,
                                              const marathon::HealthCheck& check) {
    // Berth's instance is its task (TaskEventPublisher says the same).
    publish(bus, event_type::kFailedHealthCheck,
            failed_health_check_event(task.spec.app_id, task.id(), task.id(),
                                      marathon::health_check_to_json(check), clock.wall()));
  };
  events.unhealthy_task_killed = [&bus, &clock](const TaskRecord& task, const std::string& reason) {
    UnhealthyInstanceKill kill{task.spec.app_id, task.id(),     task.id(),    task.spec.app_version,
                               reason,           task.hostname, task.agent_id};
    bus.publish(event_type::kUnhealthyInstanceKill,
                unhealthy_instance_kill_event(kill, clock.wall()));
  };
  events.app_terminated = [&bus, &clock](const std::string& app_id) {
    bus.publish(event_type::kAppTerminated, app_terminated_event(app_id, clock.wall()));
  };
  return events;
}

std::function<void(const std::string&, const std::string&, const marathon::AppDefinition&)>
api_post_events(EventBus& bus, Clock& clock) {
  return [&bus, &clock](const std::string& remote, const std::string& uri,
                        const marathon::AppDefinition& app) {
    publish(bus, event_type::kApiPost,
            api_post_event(address_of(remote), uri, marathon::app_to_json(app), clock.wall()));
  };
}

}  // namespace berth
