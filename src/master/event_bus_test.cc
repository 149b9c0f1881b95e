// The event bus: who gets which event, bounded backlogs, attach/detach announcements, and the
// task events published from the master's task changes.
#include "master/event_bus.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/fake_clock.h"
#include "master/marathon_events.h"
#include "master/task_event_publisher.h"

namespace berth {
namespace {

// A subscriber that records what it was told and drains on demand.
struct Probe {
  EventBus& bus;
  SubscriberId id = 0;
  int ready_calls = 0;
  bool dropped = false;

  Probe(EventBus& b, std::string remote, std::set<std::string> types = {}) : bus(b) {
    Subscription s;
    s.remote_address = std::move(remote);
    s.event_types = std::move(types);
    s.on_ready = [this](SubscriberId) { ++ready_calls; };
    s.on_dropped = [this](SubscriberId) { dropped = true; };
    id = bus.attach(std::move(s));
  }

  std::vector<std::string> types() {
    std::vector<std::string> out;
    while (auto event = bus.next(id)) out.push_back(event->type);
    return out;
  }
  std::vector<nlohmann::json> payloads() {
    std::vector<nlohmann::json> out;
    while (auto event = bus.next(id)) out.push_back(nlohmann::json::parse(event->payload));
    return out;
  }
};

std::string payload(std::string_view type) {
  return nlohmann::json{{"eventType", type}, {"timestamp", "2015-09-30T12:47:11.286Z"}}.dump();
}

class EventBusTest : public ::testing::Test {
 protected:
  FakeClock clock_;
};

TEST_F(EventBusTest, AttachedIsTheFirstEventOfTheNewSubscriberOnly) {
  EventBus bus(clock_);
  Probe first(bus, "10.0.0.1");
  ASSERT_EQ(first.types(), std::vector<std::string>{"event_stream_attached"});
  Probe second(bus, "10.0.0.5");
  bus.publish("status_update_event", payload("status_update_event"));
  EXPECT_EQ(first.types(), std::vector<std::string>{"status_update_event"});
  auto events = second.payloads();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["eventType"], "event_stream_attached");
  EXPECT_EQ(events[0]["remoteAddress"], "10.0.0.5");
  EXPECT_EQ(events[1]["eventType"], "status_update_event");
}

TEST_F(EventBusTest, DetachTellsTheOthersWithTheRemoteAddress) {
  EventBus bus(clock_);
  Probe stays(bus, "10.0.0.1");
  Probe leaves(bus, "10.0.0.2");
  stays.types();
  leaves.types();
  bus.detach(leaves.id);
  auto events = stays.payloads();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["eventType"], "event_stream_detached");
  EXPECT_EQ(events[0]["remoteAddress"], "10.0.0.2");
  EXPECT_EQ(bus.subscribers(), 1u);
  bus.detach(leaves.id);  // twice: ignored
  EXPECT_TRUE(stays.types().empty());
}

TEST_F(EventBusTest, FiltersSelectExactlyTheNamedTypes) {
  EventBus bus(clock_);
  Probe all(bus, "a");
  Probe status_only(bus, "b", {"status_update_event"});
  all.types();
  // Its filter leaves out event_stream_attached, so it starts empty.
  EXPECT_TRUE(status_only.types().empty());
  bus.publish("deployment_success", payload("deployment_success"));
  bus.publish("status_update_event", payload("status_update_event"));
  EXPECT_EQ(all.types(), (std::vector<std::string>{"deployment_success", "status_update_event"}));
  EXPECT_EQ(status_only.types(), std::vector<std::string>{"status_update_event"});
}

TEST_F(EventBusTest, BerthAndSchedulerTypesReachOnlyThoseWhoAskByName) {
  EventBus bus(clock_);
  Probe defaults(bus, "a");
  Probe volumes(bus, "b", {"volume_attached_event", "scheduler_registered_event"});
  defaults.types();
  bus.publish("volume_attached_event", payload("volume_attached_event"));
  bus.publish("scheduler_registered_event", payload("scheduler_registered_event"));
  EXPECT_TRUE(defaults.types().empty());
  EXPECT_EQ(volumes.types(),
            (std::vector<std::string>{"volume_attached_event", "scheduler_registered_event"}));
  EXPECT_FALSE(is_default_event_type("scheduler_registered_event"));
  EXPECT_FALSE(is_default_event_type("scheduler_reregistered_event"));
  EXPECT_FALSE(is_default_event_type("scheduler_disconnected_event"));
  EXPECT_TRUE(is_default_event_type("unhealthy_task_kill_event"));
  EXPECT_EQ(marathon_event_types().size(), 27u);
}

TEST_F(EventBusTest, OnReadyFiresWhenTheBacklogStopsBeingEmpty) {
  EventBus bus(clock_);
  Probe probe(bus, "a");
  EXPECT_EQ(probe.ready_calls, 0);  // attach leaves draining to the caller
  bus.publish("app_terminated_event", payload("app_terminated_event"));
  EXPECT_EQ(probe.ready_calls, 0);  // the attached event was still queued
  probe.types();
  bus.publish("app_terminated_event", payload("app_terminated_event"));
  bus.publish("app_terminated_event", payload("app_terminated_event"));
  EXPECT_EQ(probe.ready_calls, 1);
  EXPECT_EQ(bus.backlog(probe.id), 2u);
}

TEST_F(EventBusTest, ASlowSubscriberIsDroppedAndTheOthersKeepGoing) {
  EventBus bus(clock_, EventBusOptions{.max_backlog_events = 3, .max_backlog_bytes = 1 << 20});
  Probe slow(bus, "10.0.0.9");
  Probe fast(bus, "10.0.0.1");
  fast.types();
  for (int i = 0; i < 2; ++i) {
    bus.publish("status_update_event", payload("status_update_event"));
    EXPECT_EQ(fast.types().size(), 1u);
  }
  EXPECT_FALSE(slow.dropped);
  // slow holds attached + 2 updates; a third would make 4 > 3.
  bus.publish("status_update_event", payload("status_update_event"));
  EXPECT_TRUE(slow.dropped);
  EXPECT_EQ(bus.subscribers(), 1u);
  EXPECT_EQ(bus.next(slow.id), nullptr);
  EXPECT_EQ(bus.stats().dropped_subscribers, 1u);
  EXPECT_EQ(bus.stats().dropped_events, 3u);
  // The fast one got the update, then word that the slow one left.
  auto events = fast.payloads();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["eventType"], "status_update_event");
  EXPECT_EQ(events[1]["eventType"], "event_stream_detached");
  EXPECT_EQ(events[1]["remoteAddress"], "10.0.0.9");
  bus.publish("status_update_event", payload("status_update_event"));
  EXPECT_EQ(fast.types().size(), 1u);
}

TEST_F(EventBusTest, TheByteBoundDropsToo) {
  EventBus bus(clock_, EventBusOptions{.max_backlog_events = 1000, .max_backlog_bytes = 300});
  Probe slow(bus, "a", {"big"});
  bus.publish("big", std::string(200, 'x'));
  EXPECT_FALSE(slow.dropped);
  bus.publish("big", std::string(200, 'x'));
  EXPECT_TRUE(slow.dropped);
}

TEST_F(EventBusTest, DetachedAnnouncementsCanDropOthersInTurn) {
  EventBus bus(clock_, EventBusOptions{.max_backlog_events = 2, .max_backlog_bytes = 1 << 20});
  Probe watcher(bus, "c", {"x", "event_stream_detached"});
  bus.publish("x", payload("x"));
  bus.publish("x", payload("x"));                                      // the watcher is full
  Probe a(bus, "a");                                                   // holds attached
  bus.publish("status_update_event", payload("status_update_event"));  // a is full
  bus.publish("status_update_event", payload("status_update_event"));
  // a overflows and goes; its detached announcement overflows the watcher, which goes too.
  EXPECT_TRUE(a.dropped);
  EXPECT_TRUE(watcher.dropped);
  EXPECT_EQ(bus.subscribers(), 0u);
  EXPECT_EQ(bus.stats().dropped_subscribers, 2u);
}

TEST_F(EventBusTest, EventsCarryTheirPublicationInstant) {
  EventBus bus(clock_);
  Probe probe(bus, "a");
  probe.types();
  clock_.advance(std::chrono::seconds(3));
  bus.publish("app_terminated_event", payload("app_terminated_event"));
  auto event = bus.next(probe.id);
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(event->published, clock_.now());
}

TEST_F(EventBusTest, TaskChangesPublishStatusUpdateAndInstanceChangedOncePerState) {
  EventBus bus(clock_);
  Probe probe(bus, "a");
  probe.types();
  TaskEventPublisher publisher(clock_, bus);
  TaskRecord task;
  task.spec.task_id = "sleeper.1";
  task.spec.name = "sleeper";
  task.agent_id = "agent-1";
  task.hostname = "127.0.0.2";
  task.ports = {31000};
  task.state = TaskState::kStaging;
  publisher.task_changed(task);
  task.kill_requested = true;  // persisted, but not a new state
  publisher.task_changed(task);
  task.state = TaskState::kRunning;
  publisher.task_changed(task);
  auto events = probe.payloads();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["eventType"], "status_update_event");
  EXPECT_EQ(events[0]["taskStatus"], "TASK_STAGING");
  EXPECT_EQ(events[0]["appId"], "/sleeper");
  EXPECT_EQ(events[0]["ipAddresses"],
            nlohmann::json::parse(R"([{"ipAddress":"127.0.0.2","protocol":"IPv4"}])"));
  EXPECT_EQ(events[1]["eventType"], "instance_changed_event");
  EXPECT_EQ(events[1]["condition"], "Staging");
  EXPECT_EQ(events[2]["taskStatus"], "TASK_RUNNING");
  EXPECT_EQ(events[3]["condition"], "Running");
}

TEST_F(EventBusTest, HealthChangesPublishHealthEventsOnce) {
  EventBus bus(clock_);
  Probe probe(bus, "a");
  probe.types();
  TaskEventPublisher publisher(clock_, bus);
  TaskRecord task;
  task.spec.task_id = "web.1";
  task.spec.app_id = "/web";
  task.spec.app_version = "2026-01-01T00:00:00.000Z";
  task.state = TaskState::kRunning;
  publisher.task_changed(task);  // 2 events: status and instance
  task.healthy = true;
  publisher.task_changed(task);  // 2 health events
  publisher.task_changed(task);  // nothing new
  task.healthy = false;
  publisher.task_changed(task);  // 2 health events
  auto events = probe.payloads();
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[2]["eventType"], "instance_health_changed_event");
  EXPECT_EQ(events[2]["healthy"], true);
  EXPECT_EQ(events[2]["runSpecId"], "/web");
  EXPECT_EQ(events[3]["eventType"], "health_status_changed_event");
  EXPECT_EQ(events[3]["alive"], true);
  EXPECT_EQ(events[5]["alive"], false);
}

TEST_F(EventBusTest, TaskContextUsesTheAppsFieldsWhenTheTaskHasThem) {
  TaskRecord task;
  task.spec.task_id = "web.instance-1._app.1";
  task.spec.name = "web";
  task.spec.app_id = "/prod/web";
  task.spec.app_version = "2015-09-30T12:47:11.286Z";
  task.hostname = "node-1.example.com";
  TaskEventContext context = TaskEventPublisher::context_for(task);
  EXPECT_EQ(context.app_id, "/prod/web");
  EXPECT_EQ(context.version, "2015-09-30T12:47:11.286Z");
  EXPECT_EQ(context.instance_id, "web.instance-1._app.1");
  EXPECT_TRUE(context.ip_addresses.empty());  // a name, not an address: not resolved here
}

}  // namespace
}  // namespace berth
