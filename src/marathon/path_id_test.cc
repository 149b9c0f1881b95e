// Tests of Marathon's id rules and canonicalisation.
#include "marathon/path_id.h"

#include <gtest/gtest.h>

namespace berth::marathon {
namespace {

TEST(PathId, CanonicalisesRelativeIdsAgainstTheBase) {
  EXPECT_EQ(canonical_id("mongo", "/"), "/mongo");
  EXPECT_EQ(canonical_id("mongo"), "/mongo");
  EXPECT_EQ(canonical_id("../db", "/prod/web"), "/prod/db");
  EXPECT_EQ(canonical_id("./cache", "/prod"), "/prod/cache");
  EXPECT_EQ(canonical_id("db/mongo", "/prod"), "/prod/db/mongo");
  EXPECT_EQ(canonical_id("/abs/app", "/prod"), "/abs/app");
  EXPECT_EQ(canonical_id("../../../x", "/a"), "/x");
  EXPECT_EQ(canonical_id("", "/prod"), "/prod");
}

TEST(PathId, NormalisesSlashes) {
  EXPECT_EQ(normalize_id("//mongo-1/"), "/mongo-1");
  EXPECT_EQ(normalize_id("a//b"), "/a/b");
  EXPECT_EQ(normalize_id(""), "/");
  EXPECT_EQ(normalize_id("///"), "/");
  EXPECT_EQ(canonical_id("//mongo-1/", "/"), "/mongo-1");
}

TEST(PathId, SegmentPattern) {
  for (const char* good : {"a", "mongo-1", "a.b", "0", "web.v2-x", ".", ".."}) {
    EXPECT_TRUE(is_valid_id_segment(good)) << good;
  }
  for (const char* bad : {"Mongo", "-a", "a-", "a_b", "a..b", ".a", "a.", "", "a b", "a.-b"}) {
    EXPECT_FALSE(is_valid_id_segment(bad)) << bad;
  }
}

TEST(PathId, ViolationsCarryMarathonsMessages) {
  EXPECT_TRUE(id_violations("/prod/db/mongo").empty());
  EXPECT_TRUE(id_violations("../db").empty());
  std::vector<std::string> upper = id_violations("/Prod/app");
  ASSERT_EQ(upper.size(), 1u);
  EXPECT_EQ(upper[0],
            "must fully match regular expression "
            "'^(([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])\\.)*([a-z0-9]|[a-z0-9][a-z0-9\\-]*[a-z0-9])"
            "|(\\.|\\.\\.)$'");
  for (const char* reserved : {"/app/restart", "/app/tasks", "/versions", "/a/.", "a/.."}) {
    std::vector<std::string> violations = id_violations(reserved);
    ASSERT_EQ(violations.size(), 1u) << reserved;
    EXPECT_EQ(violations[0],
              "must not end with any of the following reserved keywords: restart, tasks, "
              "versions, ., ..");
  }
  // Only the last segment is reserved.
  EXPECT_TRUE(id_violations("/tasks/app").empty());
  EXPECT_EQ(id_violations("/My_App/tasks").size(), 2u);
}

TEST(PathId, ParentsAndChildren) {
  EXPECT_EQ(parent_id("/a/b"), "/a");
  EXPECT_EQ(parent_id("/a"), "/");
  EXPECT_EQ(parent_id("/"), "/");
  EXPECT_EQ(id_name("/a/b"), "b");
  EXPECT_TRUE(is_root_id("/"));
  EXPECT_TRUE(is_root_id(""));
  EXPECT_FALSE(is_root_id("/a"));
  EXPECT_TRUE(is_child_of("/a/b", "/a"));
  EXPECT_TRUE(is_child_of("/a/b/c", "/a"));
  EXPECT_TRUE(is_child_of("/a", "/"));
  EXPECT_FALSE(is_child_of("/a", "/a"));
  EXPECT_FALSE(is_child_of("/ab/c", "/a"));
  EXPECT_FALSE(is_child_of("/", "/"));
  EXPECT_EQ(not_child_message("/prod"), "Identifier is not child of '/prod'");
}

}  // namespace
}  // namespace berth::marathon
