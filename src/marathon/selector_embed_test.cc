// Tests of label selectors (§3.1) and embed resolution (§1.6).
#include <gtest/gtest.h>

#include "marathon/embed.h"
#include "marathon/label_selector.h"

namespace berth::marathon {
namespace {

bool selects(const char* selector, const std::map<std::string, std::string>& labels) {
  auto parsed = LabelSelector::parse(selector);
  EXPECT_TRUE(parsed.ok()) << selector;
  return parsed.ok() && parsed->matches(labels);
}

TEST(LabelSelector, Terms) {
  std::map<std::string, std::string> labels = {{"env", "prod"}, {"tier", "db"}, {"a,b", "c"}};
  EXPECT_TRUE(selects("", labels));
  EXPECT_TRUE(selects("env", labels));
  EXPECT_FALSE(selects("owner", labels));
  EXPECT_TRUE(selects("env==prod", labels));
  EXPECT_FALSE(selects("env==dev", labels));
  EXPECT_TRUE(selects("env!=dev", labels));
  EXPECT_TRUE(selects("owner!=x", labels));
  EXPECT_TRUE(selects("tier in (web, db)", labels));
  EXPECT_FALSE(selects("tier in (web,cache)", labels));
  EXPECT_TRUE(selects("tier notin (web, cache)", labels));
  EXPECT_FALSE(selects("tier notin (db)", labels));
  EXPECT_TRUE(selects("env==prod, tier in (db), env", labels));
  EXPECT_FALSE(selects("env==prod,tier==web", labels));
  EXPECT_TRUE(selects(R"(a\,b==c)", labels));
  EXPECT_TRUE(selects(" env == prod ", labels));
}

TEST(LabelSelector, Errors) {
  for (const char* bad : {"==x", "env==prod,", "tier in (a", "tier in ()", "env prod"}) {
    auto parsed = LabelSelector::parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(parsed.error().message.rfind(std::string("Can not parse label selector ") + bad, 0),
              0u)
        << parsed.error().message;
  }
}

TEST(Embed, AnyPrefixIsAccepted) {
  EXPECT_EQ(embed_name("app.tasks"), "tasks");
  EXPECT_EQ(embed_name("apps.tasks"), "tasks");
  EXPECT_EQ(embed_name("group.apps.tasks"), "tasks");
  EXPECT_EQ(embed_name("tasks"), "tasks");
  for (const char* value : {"app.tasks", "apps.tasks", "tasks", "group.apps.tasks"}) {
    AppEmbed embed = resolve_app_embed({value});
    EXPECT_TRUE(embed.tasks) << value;
    EXPECT_TRUE(embed.deployments) << value;  // tasks implies deployments
    EXPECT_FALSE(embed.counts) << value;
  }
}

TEST(Embed, AppValues) {
  AppEmbed embed =
      resolve_app_embed({"apps.counts", "readiness", "app.lastTaskFailure", "taskStats", "bogus"});
  EXPECT_EQ(embed, (AppEmbed{false, true, false, true, true, true}));
  EXPECT_EQ(resolve_app_embed({"failures"}), (AppEmbed{true, false, true, false, true, false}));
  EXPECT_EQ(resolve_app_embed({}), AppEmbed{});
}

TEST(Embed, GroupValues) {
  EXPECT_EQ(resolve_group_embed({}), GroupEmbed{});
  EXPECT_EQ(resolve_group_embed({"nonsense"}), GroupEmbed{});
  GroupEmbed groups_only = resolve_group_embed({"group.groups"});
  EXPECT_TRUE(groups_only.groups);
  EXPECT_FALSE(groups_only.apps);
  EXPECT_FALSE(groups_only.pods);
  GroupEmbed tasks = resolve_group_embed({"group.groups", "group.apps.tasks"});
  EXPECT_TRUE(tasks.apps);
  EXPECT_TRUE(tasks.app.tasks);
  EXPECT_FALSE(tasks.pods);
}

}  // namespace
}  // namespace berth::marathon
