// Regression: a returning agent whose volume had moved elsewhere got volume_revoked three times
// for one stale mount (its registration, a second registration after its session was lost, and
// its poll after a failed unmount made the mount reappear). The order is repeated; the event,
// the counter and the warning are once per agent, volume and epoch.
#include <gtest/gtest.h>

#include <algorithm>

#include "storage/volume_controller.h"
#include "storage/volume_test_fixture.h"

namespace berth::testing {
namespace {

class VolumeRevokedOnceTest : public VolumeControllerTest {
 protected:
  long revoked_events(const std::string& agent) const {
    return std::count_if(events_.begin(), events_.end(), [&](const VolumeEvent& e) {
      return e.type == VolumeEventType::kRevoked && e.agent_id == agent;
    });
  }
  // pgdata moves from a-1 (fenced) to a-2 for `task`; returns the new epoch.
  std::uint64_t fail_over(const std::string& task) {
    EXPECT_TRUE(c().agent_unreachable("a-1", clock_.now()).ok());
    clock_.advance(config_.lease + config_.drift_margin);
    return attach(task, "a-2");
  }
};

TEST_F(VolumeRevokedOnceTest, AReturningAgentIsRevokedOncePerEpoch) {
  const std::uint64_t old_epoch = attach("pg.1", "a-1");
  fail_over("pg.2");
  const std::vector<MountedVolume> stale = {mount("pgdata", old_epoch, {"pg.1"})};

  // Registration, polls, a second registration, an unmount that did not hold: each answer that
  // opens the question again carries the order, none publishes it again.
  EXPECT_EQ(report("a-1", stale).size(), 1u);
  EXPECT_TRUE(poll("a-1", stale).empty());
  EXPECT_EQ(report("a-1", stale).size(), 1u);
  EXPECT_TRUE(poll("a-1", {}).empty());
  EXPECT_EQ(poll("a-1", stale).size(), 1u);
  EXPECT_EQ(revoked_events("a-1"), 1);
  EXPECT_EQ(c().stats().revocations, 1u);

  // The same agent holding a newer stale epoch later is news again.
  ASSERT_TRUE(c().release("pg.2").ok());
  report("a-2", {});
  ASSERT_EQ(state(), VolumeState::kAvailable);
  const std::uint64_t back = attach("pg.3", "a-1");
  ASSERT_GT(back, old_epoch);
  fail_over("pg.4");
  EXPECT_EQ(report("a-1", {mount("pgdata", back, {"pg.3"})}).size(), 1u);
  EXPECT_EQ(revoked_events("a-1"), 2);
  EXPECT_EQ(c().stats().revocations, 2u);
}

}  // namespace
}  // namespace berth::testing
