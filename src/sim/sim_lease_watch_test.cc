// SimLeaseWatch: containers with external volumes die when the published lease passes, on the
// machine's own clock, whether or not anything renews it; other containers run on.
#include "sim/sim_lease_watch.h"

#include <gtest/gtest.h>

#include "common/fake_clock.h"
#include "sim/drift_clock.h"
#include "sim/trace.h"

namespace berth::sim {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class SimLeaseWatchTest : public ::testing::Test {
 protected:
  SimLeaseWatchTest() {
    machine_.set_exit_callback([this](ContainerExit exit) { exits_.push_back(exit); });
  }

  void launch(const std::string& id, std::vector<std::string> lease_volumes) {
    ContainerSpec spec;
    spec.task_id = id;
    spec.lease_volumes = std::move(lease_volumes);
    ASSERT_TRUE(machine_.launch(spec).ok());
    watch_.launched(spec);
  }

  FakeClock base_;
  DriftClock clock_{base_, 0.9};  // slow: its 5 s last about 5.56 s of true time
  Trace trace_{base_};
  FakeContainerizer machine_;
  SimLeaseWatch watch_{clock_, machine_, trace_, "node-1"};
  std::vector<ContainerExit> exits_;
};

TEST_F(SimLeaseWatchTest, KillsOnlyExternalVolumeTasksOnceTheDeadlinePasses) {
  watch_.publish(clock_.now() + seconds(5));
  launch("db", {"pg"});
  launch("web", {});
  base_.advance(milliseconds(5500));  // 4.95 s on the node
  EXPECT_TRUE(exits_.empty());
  base_.advance(milliseconds(400));  // 5.31 s on the node: past deadline + check interval
  ASSERT_EQ(exits_.size(), 1u);
  EXPECT_EQ(exits_[0].task_id, "db");
  EXPECT_EQ(exits_[0].kind, ContainerExit::Kind::kLeaseExpired);
  EXPECT_EQ(machine_.running(), std::vector<std::string>{"web"});
}

TEST_F(SimLeaseWatchTest, RenewalsKeepTheTaskRunning) {
  launch("db", {"pg"});
  for (int i = 0; i < 20; ++i) {
    watch_.publish(clock_.now() + seconds(5));
    base_.advance(seconds(1));
  }
  EXPECT_TRUE(exits_.empty());
  base_.advance(seconds(7));
  EXPECT_EQ(exits_.size(), 1u);
}

TEST_F(SimLeaseWatchTest, NothingPublishedKillsAtTheFirstCheck) {
  launch("db", {"pg"});
  base_.advance(milliseconds(300));
  EXPECT_EQ(exits_.size(), 1u);
}

TEST_F(SimLeaseWatchTest, PowerLossForgetsTheWatch) {
  watch_.publish(clock_.now() + seconds(5));
  launch("db", {"pg"});
  watch_.reset();
  machine_.wipe();
  base_.advance(seconds(10));
  EXPECT_TRUE(exits_.empty());
}

}  // namespace
}  // namespace berth::sim
