// Tests of Marathon's timestamp format and Mesos' durations.
#include "common/time_format.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(TimeFormatTest, AlwaysThreeFractionDigits) {
  EXPECT_EQ(format_timestamp(from_epoch_millis(1443194028343)), "2015-09-25T15:13:48.343Z");
  EXPECT_EQ(format_timestamp(from_epoch_millis(1443194028000)), "2015-09-25T15:13:48.000Z");
}

TEST(TimeFormatTest, ParsesWithAndWithoutFraction) {
  EXPECT_EQ(to_epoch_millis(*parse_timestamp("2015-09-25T15:13:48.343Z")), 1443194028343);
  EXPECT_EQ(to_epoch_millis(*parse_timestamp("2015-09-25T15:13:48Z")), 1443194028000);
  EXPECT_FALSE(parse_timestamp("2015-09-25 15:13").ok());
  EXPECT_FALSE(parse_timestamp("2015-09-25T15:13:48+00:00").ok());
}

TEST(TimeFormatTest, DurationsInTheLargestExactUnit) {
  using namespace std::chrono_literals;
  EXPECT_EQ(format_duration(200ms), "200ms");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(5s), "5secs");
  EXPECT_EQ(format_duration(90s), "90secs");
  EXPECT_EQ(format_duration(2min), "2mins");
  EXPECT_EQ(format_duration(0s), "0secs");
}

}  // namespace
}  // namespace berth
