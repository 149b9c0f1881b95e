// Test fixture for the VolumeController: a FakeClock, a MemoryStateStore that outlives the
// controller (so a test can "restart the master"), a scriptable provisioner, and the events and
// orders the controller emitted.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "common/fake_clock.h"
#include "state/memory_state_store.h"
#include "storage/volume_controller.h"

namespace berth::testing {

// Holds every create/remove call until the test answers it.
class ScriptedProvisioner final : public VolumeProvisioner {
 public:
  struct Call {
    std::string op;  // "create" | "remove"
    VolumeSpec spec;
    Done done;
  };

  void create(const VolumeSpec& spec, Done done) override {
    calls.push_back({"create", spec, std::move(done)});
  }
  void remove(const VolumeSpec& spec, Done done) override {
    calls.push_back({"remove", spec, std::move(done)});
  }
  // Answers the oldest pending call.
  void answer(Status status = {}) {
    ASSERT_FALSE(calls.empty());
    Call call = std::move(calls.front());
    calls.pop_front();
    call.done(std::move(status));
  }

  std::deque<Call> calls;
};

class VolumeControllerTest : public ::testing::Test {
 protected:
  void SetUp() override { start(); }

  void start() {
    controller_ = std::make_unique<VolumeController>(clock_, store_, config_);
    if (with_provisioner_) controller_->add_provisioner("blockpool", provisioner_);
    controller_->on_event([this](const VolumeEvent& e) { events_.push_back(e); });
    controller_->on_order([this](const VolumeOrder& o) { timer_orders_.push_back(o); });
    auto status = controller_->recover();
    ASSERT_TRUE(status.ok()) << status.error().message;
  }
  // A master crash: the controller goes, the store stays, a new controller recovers from it.
  void restart() {
    controller_.reset();
    events_.clear();
    timer_orders_.clear();
    start();
  }
  VolumeController& c() { return *controller_; }

  VolumeLaunchClaim claim(const std::string& task, const std::string& agent,
                          const std::string& volume = "pgdata") {
    VolumeLaunchClaim out;
    out.task_id = task;
    out.agent_id = agent;
    out.app_id = "/db";
    out.spec.name = volume;
    out.spec.driver = "";
    out.spec.size_mib = 0;
    out.spec.fs_type = "";
    return out;
  }
  Result<VolumeSpec> claim_on(const std::string& task, const std::string& agent,
                              const std::string& volume = "pgdata") {
    return c().claim_for_launch(claim(task, agent, volume));
  }
  static MountedVolume mount(const std::string& name, std::uint64_t epoch,
                             std::vector<std::string> tasks = {}) {
    return MountedVolume{name, epoch, std::move(tasks)};
  }
  // A report with a registration (the default) or with a poll.
  std::vector<VolumeOrder> report(
      const std::string& agent, std::vector<MountedVolume> mounts,
      VolumeController::ReportOrigin origin = VolumeController::ReportOrigin::kRegistration) {
    auto orders = c().agent_reported(agent, mounts, origin);
    EXPECT_TRUE(orders.ok()) << orders.error().message;
    return orders.ok() ? *orders : std::vector<VolumeOrder>{};
  }
  std::vector<VolumeOrder> poll(const std::string& agent, std::vector<MountedVolume> mounts) {
    return report(agent, std::move(mounts), VolumeController::ReportOrigin::kPoll);
  }

  VolumeState state(const std::string& name = "pgdata") {
    const VolumeRecord* v = c().find(name);
    EXPECT_NE(v, nullptr) << name;
    return v ? v->state : VolumeState::kCreating;
  }
  // The record as the store holds it (what a restarted master would see).
  std::optional<VolumeRecord> stored(const std::string& name = "pgdata") {
    auto got = store_.get("volumes/" + name);
    EXPECT_TRUE(got.ok());
    if (!got.ok() || !got->has_value()) return std::nullopt;
    auto record = volume_from_store_json((*got)->value);
    EXPECT_TRUE(record.ok());
    return record.ok() ? std::optional<VolumeRecord>(*record) : std::nullopt;
  }
  std::vector<std::string> event_types() const {
    std::vector<std::string> out;
    for (const auto& e : events_) out.emplace_back(to_string(e.type));
    return out;
  }
  const VolumeEvent* last_event(VolumeEventType type) const {
    for (auto it = events_.rbegin(); it != events_.rend(); ++it) {
      if (it->type == type) return &*it;
    }
    return nullptr;
  }
  // Brings "pgdata" to ATTACHED on `agent` for `task`; returns its epoch.
  std::uint64_t attach(const std::string& task, const std::string& agent,
                       const std::string& volume = "pgdata") {
    auto spec = claim_on(task, agent, volume);
    EXPECT_TRUE(spec.ok()) << (spec.ok() ? "" : spec.error().message);
    if (!spec.ok()) return 0;
    report(agent, {mount(volume, spec->epoch, {task})});
    EXPECT_EQ(state(volume), VolumeState::kAttached);
    return spec->epoch;
  }

  FakeClock clock_;
  MemoryStateStore store_;
  VolumeControllerConfig config_;
  bool with_provisioner_ = false;
  ScriptedProvisioner provisioner_;
  std::unique_ptr<VolumeController> controller_;
  std::vector<VolumeEvent> events_;
  std::vector<VolumeOrder> timer_orders_;
};

// The same with a provisioner for blockpool volumes.
class ProvisionedVolumeTest : public VolumeControllerTest {
 protected:
  void SetUp() override {
    with_provisioner_ = true;
    start();
  }
};

}  // namespace berth::testing
