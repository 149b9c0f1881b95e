// TaskEventPublisher: turns the master's task changes into Marathon's `status_update_event` and
// `instance_changed_event` on the event bus. MasterServer registers task_changed() with
// MasterCore::on_task_changed. Deterministic: time comes from the injected Clock.
//
// Threading: the master's event loop.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "api/task_state.h"
#include "common/clock.h"
#include "master/marathon_events.h"
#include "master/task_record.h"

namespace berth {

class EventBus;

class TaskEventPublisher {
 public:
  TaskEventPublisher(Clock& clock, EventBus& bus) : clock_(clock), bus_(bus) {}

  // Publishes status_update_event and instance_changed_event when the task's state differs from
  // the last one published for it (other persisted changes, such as a kill being requested, are
  // not status updates), and instance_health_changed_event and health_status_changed_event when
  // its health does.
  void task_changed(const TaskRecord& task);

  // The app scheduler's fields for a task: its app id and version, or for a bare task "/<name>"
  // and its staging time; the task id as instance id; the host as IPv4 address when it is one.
  static TaskEventContext context_for(const TaskRecord& task);

 private:
  Clock& clock_;
  EventBus& bus_;
  // Live tasks' last published state; a task leaves it once terminal (it never changes again).
  struct Published {
    TaskState state;
    std::optional<bool> healthy;
  };
  std::map<std::string, Published> published_;
};

}  // namespace berth
