// /files/read's query: what both the agent and the master accept, and what they refuse.
#include "api/sandbox_read.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(SandboxReadTest, DefaultsReadTheFirstChunk) {
  auto query = parse_sandbox_read("web.1/stdout", std::nullopt, std::nullopt);
  ASSERT_TRUE(query.ok()) << query.error().message;
  EXPECT_EQ(query->path, "web.1/stdout");
  EXPECT_EQ(query->task_id(), "web.1");
  EXPECT_EQ(query->offset, 0);
  EXPECT_EQ(query->length, kMaxFileChunk);
}

TEST(SandboxReadTest, MinusOneAsksForTheSize) {
  auto query = parse_sandbox_read("web.1/logs/app.log", "-1", "10");
  ASSERT_TRUE(query.ok()) << query.error().message;
  EXPECT_EQ(query->task_id(), "web.1");
  EXPECT_EQ(query->offset, -1);
  EXPECT_EQ(query->length, 10);
}

TEST(SandboxReadTest, RefusalsNameWhatIsWrong) {
  struct Case {
    std::optional<std::string> path, offset, length;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {std::nullopt, "0", "1", "needs path"},
           {"", "0", "1", "needs path"},
           {"web.1", "0", "1", "<task-id>/<file>"},
           {"/etc/passwd", "0", "1", "<task-id>/<file>"},
           {"web.1/", "0", "1", "<task-id>/<file>"},
           {"web.1/stdout", "x", "1", "offset must be a whole number of bytes, not 'x'"},
           {"web.1/stdout", "", "1", "offset must be a whole number"},
           {"web.1/stdout", "12abc", "1", "offset must be a whole number"},
           {"web.1/stdout", "99999999999999999999", "1", "offset must be a whole number"},
           {"web.1/stdout", "-2", "1", "offset must be -1 or more, not -2"},
           {"web.1/stdout", "0", "1.5", "length must be a whole number"},
       }) {
    auto query = parse_sandbox_read(c.path, c.offset, c.length);
    ASSERT_FALSE(query.ok()) << c.path.value_or("(none)") << " " << c.says;
    EXPECT_EQ(query.error().code, ErrorCode::kMalformed);
    EXPECT_NE(query.error().message.find(c.says), std::string::npos) << query.error().message;
  }
}

}  // namespace
}  // namespace berth
