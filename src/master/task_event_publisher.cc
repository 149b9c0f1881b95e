// Task changes to status_update_event and instance_changed_event.
#include "master/task_event_publisher.h"

#include <arpa/inet.h>

#include "common/time_format.h"
#include "master/event_bus.h"

namespace berth {
namespace {

bool is_ipv4_literal(const std::string& host) {
  in_addr parsed{};
  return ::inet_pton(AF_INET, host.c_str(), &parsed) == 1;
}

}  // namespace

TaskEventContext TaskEventPublisher::context_for(const TaskRecord& task) {
  TaskEventContext context;
  context.app_id = task.spec.app_id.empty() ? "/" + task.spec.name : task.spec.app_id;
  context.version =
      task.spec.app_version.empty() ? format_timestamp(task.staged_at) : task.spec.app_version;
  context.instance_id = task.id();
  if (is_ipv4_literal(task.hostname)) context.ip_addresses.push_back(task.hostname);
  return context;
}

void TaskEventPublisher::task_changed(const TaskRecord& task) {
  auto it = published_.find(task.id());
  const bool state_changed = it == published_.end() || it->second.state != task.state;
  const bool health_changed =
      task.healthy.has_value() && (it == published_.end() || it->second.healthy != task.healthy);
  if (!state_changed && !health_changed) return;
  if (is_terminal(task.state)) {
    if (it != published_.end()) published_.erase(it);
  } else {
    published_[task.id()] = Published{task.state, task.healthy};
  }
  const TaskEventContext context = context_for(task);
  const WallTime now = clock_.wall();
  if (state_changed) {
    bus_.publish(event_type::kStatusUpdate, status_update_event(task, context, now));
    bus_.publish(event_type::kInstanceChanged, instance_changed_event(task, context, now));
  }
  if (health_changed) {
    bus_.publish(event_type::kInstanceHealthChanged,
                 instance_health_changed_event(context.instance_id, context.app_id, context.version,
                                               task.healthy, now));
    bus_.publish(event_type::kHealthStatusChanged,
                 health_status_changed_event(context.app_id, context.instance_id, context.version,
                                             *task.healthy, now));
  }
}

}  // namespace berth
