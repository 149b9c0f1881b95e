// Tests of Mesos-style duration flags.
#include "cli/duration_flag.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

using std::chrono::milliseconds;

TEST(DurationFlagTest, ParsesMesosUnits) {
  EXPECT_EQ(*parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(*parse_duration("5secs"), milliseconds(5000));
  EXPECT_EQ(*parse_duration("2mins"), milliseconds(120000));
  EXPECT_EQ(*parse_duration("1.5"), milliseconds(1500));
  EXPECT_EQ(*parse_duration("1hrs"), milliseconds(3600000));
}

TEST(DurationFlagTest, RejectsGarbage) {
  EXPECT_FALSE(parse_duration("soon").ok());
  EXPECT_FALSE(parse_duration("-1s").ok());
  EXPECT_EQ(parse_duration("5 parsecs").error().message,
            "invalid duration '5 parsecs': expected e.g. 500ms, 5secs, 1mins");
}

TEST(DurationFlagTest, FormatsInTheLargestExactUnitAndParsesBack) {
  EXPECT_EQ(format_duration(std::chrono::seconds(1)), "1secs");
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(format_duration(std::chrono::minutes(2)), "2mins");
  EXPECT_EQ(format_duration(Duration::zero()), "0secs");
  for (Duration d : {Duration(milliseconds(250)), Duration(std::chrono::hours(30))}) {
    EXPECT_EQ(*parse_duration(format_duration(d)), d);
  }
}

}  // namespace
}  // namespace berth
