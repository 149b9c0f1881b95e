// Tests of the internal JSON helpers: accord's number text, paths and violation grouping.
#include "marathon/json_util.h"

#include <gtest/gtest.h>

namespace berth::marathon::detail {
namespace {

TEST(ScalaDouble, PrintsLikeJava) {
  EXPECT_EQ(scala_double(1.0), "1.0");
  EXPECT_EQ(scala_double(0.0), "0.0");
  EXPECT_EQ(scala_double(0.5), "0.5");
  EXPECT_EQ(scala_double(-1.0), "-1.0");
  EXPECT_EQ(scala_double(0.001), "0.001");
  EXPECT_EQ(scala_double(0.1), "0.1");
  EXPECT_EQ(scala_double(1.15), "1.15");
  EXPECT_EQ(scala_double(128.0), "128.0");
  EXPECT_EQ(scala_double(1e7), "1.0E7");
  EXPECT_EQ(scala_double(1.5e-4), "1.5E-4");
}

TEST(Paths, RenderLikeMarathon) {
  EXPECT_EQ(child_path("", "id"), "/id");
  EXPECT_EQ(index_path(child_path("/container", "volumes"), 0), "/container/volumes(0)");
  EXPECT_EQ(key_path("/x/options", "dvdi/iops"), "/x/options(\"dvdi/iops\")");
  EXPECT_EQ(shown_path(""), "/");
}

TEST(Violations, GroupByPathAndDropRepeats) {
  Violations violations;
  violations.add("/a", "one");
  violations.add("/b", "two");
  violations.add("/a", "three");
  violations.add("/a", "one");
  ASSERT_EQ(violations.fields().size(), 2u);
  EXPECT_EQ(violations.fields()[0], (FieldError{"/a", {"one", "three"}}));
  EXPECT_EQ(violations.fields()[1], (FieldError{"/b", {"two"}}));
}

TEST(ParseBody, MalformedJsonKeepsTheParsersWords) {
  auto parsed = parse_body("{\"a\": 1,}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::kMalformed);
  EXPECT_EQ(parsed.error().message, "Invalid JSON");
  EXPECT_EQ(parsed.error().details_text.find("[json.exception"), std::string::npos);
  EXPECT_NE(parsed.error().details_text.find("parse error"), std::string::npos);
}

}  // namespace
}  // namespace berth::marathon::detail
