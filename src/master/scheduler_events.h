// The app scheduler's and the v2 API's events on the master's event bus: deployments, group
// changes, apps terminated, unhealthy kills and API posts, in Marathon's shapes.
#pragma once

#include <functional>
#include <string>

#include "marathon/app_definition.h"
#include "scheduler/app_scheduler.h"

namespace berth {

class Clock;
class EventBus;

scheduler::SchedulerEvents scheduler_events(EventBus& bus, Clock& clock);

// The v2 API's api_post_event publisher: (client address, uri, app).
std::function<void(const std::string&, const std::string&, const marathon::AppDefinition&)>
api_post_events(EventBus& bus, Clock& clock);

}  // namespace berth
