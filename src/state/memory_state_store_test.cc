// MemoryStateStore's fault injection: the failures the simulator and master tests rely on.
#include "state/memory_state_store.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(MemoryStateStoreTest, InjectedFailuresApplyNothingThenStop) {
  MemoryStateStore store;
  ASSERT_TRUE(store.commit({Mutation::put("k", "v1")}).ok());

  store.fail_next_commits(2);
  for (int i = 0; i < 2; ++i) {
    Status failed = store.commit({Mutation::put("k", "v2"), Mutation::put("other", "x")});
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
    // Reads keep working and see the state from before the failed commits.
    auto stored = store.get("k");
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ((*stored)->value, "v1");
    EXPECT_EQ((*stored)->version, 1u);
    EXPECT_FALSE(store.get("other")->has_value());
  }

  ASSERT_TRUE(store.commit({Mutation::put("k", "v2", 1)}).ok());
  EXPECT_EQ((*store.get("k"))->version, 2u);
}

}  // namespace
}  // namespace berth
