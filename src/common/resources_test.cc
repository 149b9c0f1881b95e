// Tests of Mesos-format resources, port ranges and attributes.
#include "common/resources.h"

#include <gtest/gtest.h>

namespace berth {
namespace {

TEST(RangesTest, ParsesMergesAndPrints) {
  auto ranges = Ranges::parse("[31000-31005, 31006-31010,20-20]");
  ASSERT_TRUE(ranges.ok()) << ranges.error().message;
  EXPECT_EQ(ranges->to_string(), "[20-20, 31000-31010]");
  EXPECT_EQ(ranges->size(), 12u);
  EXPECT_TRUE(ranges->contains(31007));
  EXPECT_FALSE(ranges->contains(21));
}

TEST(RangesTest, RejectsMalformed) {
  EXPECT_FALSE(Ranges::parse("31000-32000").ok());
  EXPECT_FALSE(Ranges::parse("[32000-31000]").ok());
  EXPECT_FALSE(Ranges::parse("[a-b]").ok());
  EXPECT_EQ(Ranges::parse("[5-1]").error().message, "invalid ranges '[5-1]': 5 is greater than 1");
}

TEST(RangesTest, SubtractSplitsIntervals) {
  auto all = *Ranges::parse("[100-200]");
  all.subtract(*Ranges::parse("[100-100,150-160,200-200]"));
  EXPECT_EQ(all.to_string(), "[101-149, 161-199]");
  EXPECT_EQ(all.take(3), (std::vector<std::uint64_t>{101, 102, 103}));
  all.add(*Ranges::parse("[150-160]"));
  EXPECT_EQ(all.to_string(), "[101-199]");
}

TEST(ResourcesTest, ParsesMesosText) {
  auto resources = Resources::parse("cpus:4;mem:8192;disk:40960;ports:[31000-32000]");
  ASSERT_TRUE(resources.ok()) << resources.error().message;
  EXPECT_DOUBLE_EQ(resources->cpus(), 4);
  EXPECT_DOUBLE_EQ(resources->mem(), 8192);
  EXPECT_DOUBLE_EQ(resources->disk(), 40960);
  EXPECT_EQ(resources->ports().to_string(), "[31000-32000]");
  EXPECT_EQ(resources->to_string(), "cpus:4;disk:40960;mem:8192;ports:[31000-32000]");
}

TEST(ResourcesTest, AcceptsRoleSuffix) {
  auto resources = Resources::parse("cpus(*):2; mem(*):512");
  ASSERT_TRUE(resources.ok());
  EXPECT_DOUBLE_EQ(resources->cpus(), 2);
}

TEST(ResourcesTest, RejectsBadInputWithClearMessages) {
  EXPECT_EQ(Resources::parse("cpus").error().message,
            "invalid resource 'cpus': expected name:value, e.g. cpus:4");
  EXPECT_EQ(Resources::parse("cpus:-1").error().message,
            "invalid value '-1' for resource 'cpus': expected a non-negative number");
  EXPECT_EQ(Resources::parse("cpus:1;cpus:2").error().message,
            "resource 'cpus' is given more than once");
  EXPECT_FALSE(Resources::parse("mem:lots").ok());
  EXPECT_FALSE(Resources::parse("ports:[1-2").ok());
}

TEST(ResourcesTest, ArithmeticAndContainment) {
  auto total = *Resources::parse("cpus:1;mem:100;ports:[1000-1010]");
  auto task = *Resources::parse("cpus:0.1;mem:30;ports:[1000-1001]");
  EXPECT_TRUE(total.contains(task));
  Resources free = total;
  for (int i = 0; i < 3; ++i) free -= *Resources::parse("cpus:0.1;mem:30");
  EXPECT_FALSE(free.contains(task)) << "only 10 MB left";
  free -= *Resources::parse("ports:[1000-1001]");
  EXPECT_EQ(free.ports().to_string(), "[1002-1010]");
  free += task;
  EXPECT_NEAR(free.cpus(), 0.8, 1e-9);
}

TEST(ResourcesTest, ScalarsToleranceAllowsExactFit) {
  auto total = *Resources::parse("cpus:0.3");
  Resources used = *Resources::parse("cpus:0.1");
  used += *Resources::parse("cpus:0.2");
  EXPECT_TRUE(total.contains(used));
}

TEST(AttributesTest, ParsesTypes) {
  auto attributes = parse_attributes("disk:ssd;rack:r1;weight:1.5;zone:[1-2]");
  ASSERT_TRUE(attributes.ok());
  ASSERT_EQ(attributes->size(), 4u);
  EXPECT_EQ((*attributes)[0].type, Attribute::Type::kText);
  EXPECT_EQ((*attributes)[0].text, "ssd");
  EXPECT_EQ((*attributes)[2].type, Attribute::Type::kScalar);
  EXPECT_DOUBLE_EQ((*attributes)[2].scalar, 1.5);
  EXPECT_EQ((*attributes)[3].type, Attribute::Type::kRanges);
  EXPECT_EQ(attributes_to_string(*attributes), "disk:ssd;rack:r1;weight:1.5;zone:[1-2]");
}

TEST(AttributesTest, RejectsMalformed) {
  EXPECT_EQ(parse_attributes("disk").error().message,
            "invalid attribute 'disk': expected name:value, e.g. disk:ssd");
  EXPECT_FALSE(parse_attributes("disk:").ok());
  EXPECT_FALSE(parse_attributes("a:1;a:2").ok());
}

}  // namespace
}  // namespace berth
