// Every constraint operator against hand-built agents, and the scale-down choice.
#include "scheduler/constraint_matcher.h"

#include <gtest/gtest.h>

namespace berth::scheduler {
namespace {

using marathon::Constraint;
using marathon::KillSelection;
using Op = Constraint::Operator;
using std::chrono::seconds;

AgentRecord agent(const std::string& id, const std::string& attributes = "") {
  AgentRecord record;
  record.id = id;
  record.hostname = id + ".example.com";
  auto parsed = parse_attributes(attributes);
  EXPECT_TRUE(parsed.ok()) << attributes;
  if (parsed.ok()) record.attributes = *parsed;
  return record;
}

std::map<std::string, AgentRecord> cluster(std::vector<AgentRecord> agents) {
  std::map<std::string, AgentRecord> out;
  for (auto& each : agents) out.emplace(each.id, std::move(each));
  return out;
}

Constraint rule(std::string field, Op op, std::optional<std::string> value = std::nullopt) {
  return Constraint{std::move(field), op, std::move(value)};
}

ConstraintMatcher matcher(std::vector<Constraint> constraints) {
  auto created = ConstraintMatcher::create(std::move(constraints));
  EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
  return std::move(created).value();
}

// Whether `candidate` (an id in `agents`) may take one more instance.
bool accepts(const ConstraintMatcher& m, const std::map<std::string, AgentRecord>& agents,
             const std::string& candidate, const std::vector<std::string>& placed = {}) {
  return !m.check(agents.at(candidate), agents, placed).has_value();
}

TEST(AttributeValueText, CanonicalFormsPerType) {
  auto attributes = parse_attributes(
      "rack:r1;weight:3.50;whole:2;ports:[200-300, 100-150];"
      "tags:{b, a,c};tiny:0.0004");
  ASSERT_TRUE(attributes.ok());
  std::vector<std::string> texts;
  for (const auto& attribute : *attributes) texts.push_back(attribute_value_text(attribute));
  EXPECT_EQ(texts,
            (std::vector<std::string>{"r1", "3.5", "2", "[100-150,200-300]", "{a,b,c}", "0"}));
}

TEST(AgentFieldValue, HostnameRegionZoneAndAttributes) {
  AgentRecord a = agent("a1", "region:eu;zone:eu-1;rack:r1");
  EXPECT_EQ(agent_field_value(a, "hostname"), "a1.example.com");
  EXPECT_EQ(agent_field_value(a, "@hostname"), "a1.example.com");
  EXPECT_EQ(agent_field_value(a, "@region"), "eu");
  EXPECT_EQ(agent_field_value(a, "@zone"), "eu-1");
  EXPECT_EQ(agent_field_value(a, "rack"), "r1");
  EXPECT_EQ(agent_field_value(a, "disk"), std::nullopt);
  EXPECT_EQ(agent_field_value(agent("a2"), "@zone"), std::nullopt);
}

TEST(ConstraintMatcherCreate, RejectsBadValues) {
  struct Case {
    Constraint constraint;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {rule("rack", Op::kMaxPer), "MAX_PER needs a non-negative integer"},
      {rule("rack", Op::kMaxPer, "two"), "MAX_PER needs a non-negative integer"},
      {rule("rack", Op::kGroupBy, "-1"), "GROUP_BY takes no value"},
      {rule("rack", Op::kGroupBy, "3x"), "GROUP_BY takes no value"},
      {rule("rack", Op::kLike), "regular expression value is required"},
      {rule("rack", Op::kUnlike, "r[1"), "is not a valid regular expression"},
      {rule("rack", Op::kIs), "IS needs a value"},
      {rule("", Op::kUnique), "field must not be empty"},
  };
  for (const auto& c : cases) {
    auto created = ConstraintMatcher::create({c.constraint});
    ASSERT_FALSE(created.ok()) << constraint_to_string(c.constraint);
    EXPECT_EQ(created.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(created.error().message.find("illegal constraint specification"), std::string::npos);
    EXPECT_NE(created.error().message.find(c.fragment), std::string::npos)
        << created.error().message;
  }
  EXPECT_TRUE(
      ConstraintMatcher::create({rule("hostname", Op::kUnique, ""), rule("rack", Op::kGroupBy, ""),
                                 rule("rack", Op::kGroupBy, "3"), rule("rack", Op::kCluster)})
          .ok());
}

TEST(ConstraintMatcher, NoConstraintsAcceptsAnything) {
  auto agents = cluster({agent("a1")});
  EXPECT_TRUE(accepts(matcher({}), agents, "a1", {"a1", "a1"}));
}

TEST(ConstraintMatcher, UniqueHostname) {
  auto agents = cluster({agent("a1"), agent("a2"), agent("a3")});
  for (const char* field : {"hostname", "@hostname"}) {
    auto m = matcher({rule(field, Op::kUnique)});
    EXPECT_TRUE(accepts(m, agents, "a1"));
    EXPECT_FALSE(accepts(m, agents, "a1", {"a1"}));
    EXPECT_TRUE(accepts(m, agents, "a2", {"a1", "a3"}));
    EXPECT_FALSE(accepts(m, agents, "a3", {"a1", "a3"}));
  }
}

TEST(ConstraintMatcher, UniqueAttributeRefusesAgentsWithoutIt) {
  auto agents = cluster(
      {agent("a1", "rack:r1"), agent("a2", "rack:r1"), agent("a3", "rack:r2"), agent("bare")});
  auto m = matcher({rule("rack", Op::kUnique)});
  EXPECT_FALSE(accepts(m, agents, "a2", {"a1"}));  // same rack, other host
  EXPECT_TRUE(accepts(m, agents, "a3", {"a1"}));
  EXPECT_FALSE(accepts(m, agents, "bare"));
}

TEST(ConstraintMatcher, RefusalNamesReasonAndConstraint) {
  auto agents = cluster({agent("a1", "rack:r1")});
  auto refusal = matcher({rule("rack", Op::kUnique)}).check(agents.at("a1"), agents, {"a1"});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "UnfulfilledConstraint");
  EXPECT_EQ(refusal->constraint, rule("rack", Op::kUnique));
  EXPECT_EQ(refusal->detail, "rack:UNIQUE: agent a1 has rack=r1, which already runs 1 instance(s)");
}

TEST(ConstraintMatcher, FirstFailingConstraintIsReported) {
  auto agents = cluster({agent("a1", "rack:r1;disk:hdd")});
  auto refusal = matcher({rule("rack", Op::kLike, "r.*"), rule("disk", Op::kIs, "ssd"),
                          rule("hostname", Op::kUnique)})
                     .check(agents.at("a1"), agents, {"a1"});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->constraint.op, Op::kIs);
  EXPECT_EQ(refusal->detail, "disk:IS:ssd: agent a1 has disk=hdd, not 'ssd'");
}

TEST(ConstraintMatcher, ClusterWithValue) {
  auto agents = cluster({agent("a1", "disk:spinning"), agent("a2", "disk:ssd"), agent("a3")});
  auto m = matcher({rule("disk", Op::kCluster, "spinning")});
  EXPECT_TRUE(accepts(m, agents, "a1"));
  EXPECT_TRUE(accepts(m, agents, "a1", {"a1", "a1"}));
  EXPECT_FALSE(accepts(m, agents, "a2"));
  EXPECT_FALSE(accepts(m, agents, "a3"));

  auto pinned = matcher({rule("hostname", Op::kCluster, "a2.example.com")});
  EXPECT_TRUE(accepts(pinned, agents, "a2"));
  EXPECT_FALSE(accepts(pinned, agents, "a1"));
}

TEST(ConstraintMatcher, ClusterWithoutValueFollowsFirstPlacement) {
  auto agents = cluster(
      {agent("a1", "rack:r1"), agent("a2", "rack:r1"), agent("a3", "rack:r2"), agent("bare")});
  for (std::optional<std::string> value :
       {std::optional<std::string>(), std::optional<std::string>("")}) {
    auto m = matcher({rule("rack", Op::kCluster, value)});
    EXPECT_TRUE(accepts(m, agents, "a1"));
    EXPECT_TRUE(accepts(m, agents, "a3"));
    EXPECT_FALSE(accepts(m, agents, "bare"));
    EXPECT_TRUE(accepts(m, agents, "a2", {"a1"}));
    EXPECT_FALSE(accepts(m, agents, "a3", {"a1"}));
  }
  auto host = matcher({rule("hostname", Op::kCluster)});
  EXPECT_TRUE(accepts(host, agents, "a1", {"a1"}));
  EXPECT_FALSE(accepts(host, agents, "a2", {"a1"}));
}

TEST(ConstraintMatcher, ClusterScalarComparesNumerically) {
  auto agents = cluster({agent("a1", "gen:3"), agent("a2", "gen:3.0001")});
  auto m = matcher({rule("gen", Op::kCluster, "3.000")});
  EXPECT_TRUE(accepts(m, agents, "a1"));
  EXPECT_TRUE(accepts(m, agents, "a2"));  // equal at 0.001
}

TEST(ConstraintMatcher, GroupBySpreadsEvenlyOverKnownValues) {
  auto agents = cluster({agent("a1", "rack:r1"), agent("a2", "rack:r1"), agent("b1", "rack:r2"),
                         agent("c1", "rack:r3"), agent("bare")});
  auto m = matcher({rule("rack", Op::kGroupBy)});
  EXPECT_TRUE(accepts(m, agents, "a1"));
  // r1 has one, r2 and r3 none: r1 must wait.
  EXPECT_FALSE(accepts(m, agents, "a2", {"a1"}));
  EXPECT_TRUE(accepts(m, agents, "b1", {"a1"}));
  EXPECT_TRUE(accepts(m, agents, "c1", {"a1", "b1"}));
  // Every rack has one: any may take the fourth.
  EXPECT_TRUE(accepts(m, agents, "a2", {"a1", "b1", "c1"}));
  EXPECT_TRUE(accepts(m, agents, "b1", {"a1", "b1", "c1"}));
  // r1 has two: r2 and r3 next.
  EXPECT_FALSE(accepts(m, agents, "a1", {"a1", "a2", "b1", "c1"}));
  EXPECT_TRUE(accepts(m, agents, "c1", {"a1", "a2", "b1", "c1"}));
  EXPECT_FALSE(accepts(m, agents, "bare"));

  auto refusal = m.check(agents.at("a2"), agents, {"a1"});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->detail,
            "rack:GROUP_BY: agent a2 has rack=r1, which already runs 1 instance(s); spreading "
            "over rack needs r2 (0) first");
}

TEST(ConstraintMatcher, GroupByCountsValuesOfPlacedInstancesAndTheCandidate) {
  // The candidate's rack is not among `agents` (a new agent): it is still a known value.
  auto agents = cluster({agent("a1", "rack:r1")});
  AgentRecord newcomer = agent("n1", "rack:r9");
  auto m = matcher({rule("rack", Op::kGroupBy)});
  EXPECT_FALSE(m.check(newcomer, agents, {}).has_value());
  EXPECT_FALSE(m.check(newcomer, agents, {"a1"}).has_value());
}

TEST(ConstraintMatcher, GroupByExpectedValueCountHoldsBackSecondRound) {
  auto agents = cluster({agent("a1", "zone:z1"), agent("b1", "zone:z2")});
  auto m = matcher({rule("zone", Op::kGroupBy, "3")});
  EXPECT_TRUE(accepts(m, agents, "a1"));
  EXPECT_TRUE(accepts(m, agents, "b1", {"a1"}));
  // Three zones expected and only two known: neither takes a second instance.
  EXPECT_FALSE(accepts(m, agents, "a1", {"a1", "b1"}));
  EXPECT_FALSE(accepts(m, agents, "b1", {"a1", "b1"}));
  auto refusal = m.check(agents.at("a1"), agents, {"a1", "b1"});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->detail.find("needs 3 values, only 2 known"), std::string::npos);

  // With the expected count met, it spreads as usual.
  auto enough = matcher({rule("zone", Op::kGroupBy, "2")});
  EXPECT_TRUE(accepts(enough, agents, "a1", {"a1", "b1"}));
}

TEST(ConstraintMatcher, TallyTakenOnceFollowsPlacementsInTheRound) {
  auto agents = cluster({agent("a1", "rack:r1"), agent("a2", "rack:r1"), agent("b1", "rack:r2"),
                         agent("b2", "rack:r2")});
  auto m = matcher({rule("rack", Op::kGroupBy), rule("hostname", Op::kMaxPer, "1")});
  auto tally = m.tally(agents, {"a1"});
  EXPECT_TRUE(m.check(agents.at("a2"), tally).has_value());
  EXPECT_FALSE(m.check(agents.at("b1"), tally).has_value());
  m.record_placement(agents.at("b1"), tally);
  EXPECT_TRUE(m.check(agents.at("b1"), tally).has_value());  // MAX_PER per host
  EXPECT_FALSE(m.check(agents.at("a2"), tally).has_value());
  EXPECT_FALSE(m.check(agents.at("b2"), tally).has_value());
  m.record_placement(agents.at("a2"), tally);
  EXPECT_TRUE(m.check(agents.at("a1"), tally).has_value());  // r1 has two now
  EXPECT_FALSE(m.check(agents.at("b2"), tally).has_value());

  // The same answers as the one-shot check, whichever way the counts were gathered.
  for (const auto& [id, candidate] : agents) {
    EXPECT_EQ(m.check(candidate, tally).has_value(),
              m.check(candidate, agents, {"a1", "b1", "a2"}).has_value())
        << id;
  }
  // A tally from nothing knows no instances.
  ConstraintMatcher::Tally empty;
  EXPECT_FALSE(m.check(agents.at("a1"), empty).has_value());
}

TEST(ConstraintMatcher, LikeFullMatch) {
  auto agents = cluster({agent("a1", "rack:rack-1"), agent("a2", "rack:rack-12"),
                         agent("a3", "rack:xrack-1"), agent("bare")});
  auto m = matcher({rule("rack", Op::kLike, "rack-[0-9]")});
  EXPECT_TRUE(accepts(m, agents, "a1"));
  EXPECT_FALSE(accepts(m, agents, "a2"));  // a prefix match is not enough
  EXPECT_FALSE(accepts(m, agents, "a3"));
  EXPECT_FALSE(accepts(m, agents, "bare"));

  auto hosts = matcher({rule("hostname", Op::kLike, "a[12]\\..*")});
  EXPECT_TRUE(accepts(hosts, agents, "a2"));
  EXPECT_FALSE(accepts(hosts, agents, "a3"));
}

TEST(ConstraintMatcher, UnlikeAcceptsAgentsLackingTheAttribute) {
  auto agents = cluster({agent("a1", "disk:ssd"), agent("a2", "disk:hdd"), agent("bare")});
  auto m = matcher({rule("disk", Op::kUnlike, "ss.")});
  EXPECT_FALSE(accepts(m, agents, "a1"));
  EXPECT_TRUE(accepts(m, agents, "a2"));
  EXPECT_TRUE(accepts(m, agents, "bare"));
  auto refusal = m.check(agents.at("a1"), agents, {});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->detail, "disk:UNLIKE:ss.: agent a1 has disk=ssd, which matches 'ss.'");
}

TEST(ConstraintMatcher, LikeMatchesCanonicalTextOfScalarsRangesSets) {
  auto agents = cluster({agent("a1", "cores:8.000;ports:[2-3,1-1];tags:{z,a}")});
  EXPECT_TRUE(accepts(matcher({rule("cores", Op::kLike, "8")}), agents, "a1"));
  EXPECT_TRUE(accepts(matcher({rule("ports", Op::kLike, "\\[1-3\\]")}), agents, "a1"));
  EXPECT_TRUE(accepts(matcher({rule("tags", Op::kLike, "\\{a,z\\}")}), agents, "a1"));
}

TEST(ConstraintMatcher, MaxPer) {
  auto agents = cluster(
      {agent("a1", "rack:r1"), agent("a2", "rack:r1"), agent("b1", "rack:r2"), agent("bare")});
  auto m = matcher({rule("rack", Op::kMaxPer, "2")});
  EXPECT_TRUE(accepts(m, agents, "a1"));
  EXPECT_TRUE(accepts(m, agents, "a2", {"a1"}));
  EXPECT_FALSE(accepts(m, agents, "a2", {"a1", "a1"}));
  EXPECT_FALSE(accepts(m, agents, "a1", {"a1", "a2"}));
  EXPECT_TRUE(accepts(m, agents, "b1", {"a1", "a2"}));
  EXPECT_FALSE(accepts(m, agents, "bare"));
  auto refusal = m.check(agents.at("a1"), agents, {"a1", "a2"});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->detail,
            "rack:MAX_PER:2: agent a1 has rack=r1, which already runs 2 instance(s), at most 2");
  EXPECT_FALSE(accepts(matcher({rule("rack", Op::kMaxPer, "0")}), agents, "b1"));
}

TEST(ConstraintMatcher, IsTextScalarRangeSet) {
  auto agents =
      cluster({agent("a1", "disk:ssd;cpu:2.5;ports:[1-2,3-5];tags:{b,a}"),
               agent("a2", "disk:ssd-fast;cpu:2.5006;ports:[1-4];tags:{a}"), agent("bare")});
  EXPECT_TRUE(accepts(matcher({rule("disk", Op::kIs, "ssd")}), agents, "a1"));
  EXPECT_FALSE(accepts(matcher({rule("disk", Op::kIs, "ssd")}), agents, "a2"));
  EXPECT_FALSE(accepts(matcher({rule("disk", Op::kIs, "ssd")}), agents, "bare"));
  // Scalars at 0.001 precision.
  EXPECT_TRUE(accepts(matcher({rule("cpu", Op::kIs, "2.500")}), agents, "a1"));
  EXPECT_TRUE(accepts(matcher({rule("cpu", Op::kIs, "2.5004")}), agents, "a1"));
  EXPECT_FALSE(accepts(matcher({rule("cpu", Op::kIs, "2.5")}), agents, "a2"));  // 2.501
  EXPECT_TRUE(accepts(matcher({rule("cpu", Op::kIs, "2.501")}), agents, "a2"));
  // Ranges and sets compare as sets, whatever order or spacing they are written in.
  EXPECT_TRUE(accepts(matcher({rule("ports", Op::kIs, "[1-5]")}), agents, "a1"));
  EXPECT_TRUE(accepts(matcher({rule("ports", Op::kIs, "[3-5, 1-2]")}), agents, "a1"));
  EXPECT_FALSE(accepts(matcher({rule("ports", Op::kIs, "[1-5]")}), agents, "a2"));
  EXPECT_TRUE(accepts(matcher({rule("tags", Op::kIs, "{a, b}")}), agents, "a1"));
  EXPECT_FALSE(accepts(matcher({rule("tags", Op::kIs, "{a,b}")}), agents, "a2"));
  // Hostname too.
  EXPECT_TRUE(accepts(matcher({rule("hostname", Op::kIs, "a1.example.com")}), agents, "a1"));
}

TEST(ConstraintMatcher, RegionAndZoneAreAttributesForNow) {
  auto agents = cluster({agent("a1", "zone:z1"), agent("a2", "zone:z2")});
  auto m = matcher({rule("@zone", Op::kUnique)});
  EXPECT_FALSE(accepts(m, agents, "a1", {"a1"}));
  EXPECT_TRUE(accepts(m, agents, "a2", {"a1"}));
  EXPECT_FALSE(accepts(matcher({rule("@region", Op::kIs, "eu")}), agents, "a1"));
}

TEST(ConstraintMatcher, InstancesOnUnknownAgentsAreNotCounted) {
  auto agents = cluster({agent("a1", "rack:r1")});
  EXPECT_TRUE(accepts(matcher({rule("rack", Op::kUnique)}), agents, "a1", {"gone"}));
}

TEST(ConstraintMatcher, SeveralConstraintsMustAllHold) {
  auto agents = cluster({agent("a1", "rack:r1;disk:ssd"), agent("a2", "rack:r1;disk:hdd"),
                         agent("b1", "rack:r2;disk:ssd")});
  auto m = matcher({rule("hostname", Op::kUnique), rule("disk", Op::kCluster, "ssd"),
                    rule("rack", Op::kMaxPer, "1")});
  EXPECT_TRUE(accepts(m, agents, "a1"));
  EXPECT_FALSE(accepts(m, agents, "a2"));
  EXPECT_TRUE(accepts(m, agents, "b1", {"a1"}));
  EXPECT_FALSE(accepts(m, agents, "b1", {"b1"}));
}

TEST(CheckConstraints, InvalidConstraintRefusesWithItsMessage) {
  auto agents = cluster({agent("a1", "rack:r1")});
  auto refusal = check_constraints({rule("hostname", Op::kUnique), rule("rack", Op::kLike, "(")},
                                   agents.at("a1"), agents, {});
  ASSERT_TRUE(refusal.has_value());
  EXPECT_EQ(refusal->reason, "UnfulfilledConstraint");
  EXPECT_EQ(refusal->constraint.op, Op::kLike);
  EXPECT_NE(refusal->detail.find("not a valid regular expression"), std::string::npos);
  EXPECT_FALSE(check_constraints({rule("rack", Op::kIs, "r1")}, agents.at("a1"), agents, {}));
}

// Scale-down selection.

WallTime at(int second) { return WallTime{} + seconds(second); }

TEST(SelectInstancesToKill, KillSelectionWithoutConstraints) {
  auto agents = cluster({agent("a1")});
  std::vector<PlacedInstance> instances = {
      {"i-old", "a1", at(10)}, {"i-new", "a1", at(30)}, {"i-mid", "a1", at(20)}};
  auto m = matcher({});
  EXPECT_EQ(m.select_instances_to_kill(instances, 2, KillSelection::kYoungestFirst, agents),
            (std::vector<std::string>{"i-new", "i-mid"}));
  EXPECT_EQ(m.select_instances_to_kill(instances, 2, KillSelection::kOldestFirst, agents),
            (std::vector<std::string>{"i-old", "i-mid"}));
  EXPECT_EQ(m.select_instances_to_kill(instances, 0, KillSelection::kOldestFirst, agents),
            std::vector<std::string>{});
  EXPECT_EQ(m.select_instances_to_kill(instances, 9, KillSelection::kOldestFirst, agents).size(),
            3u);
}

TEST(SelectInstancesToKill, SameStagedTimeFallsBackToInstanceId) {
  auto agents = cluster({agent("a1")});
  std::vector<PlacedInstance> instances = {{"i-b", "a1", at(1)}, {"i-a", "a1", at(1)}};
  EXPECT_EQ(
      matcher({}).select_instances_to_kill(instances, 1, KillSelection::kYoungestFirst, agents),
      std::vector<std::string>{"i-a"});
}

TEST(SelectInstancesToKill, GroupByKeepsTheSpreadEven) {
  auto agents = cluster({agent("a1", "rack:r1"), agent("a2", "rack:r1"), agent("a3", "rack:r1"),
                         agent("b1", "rack:r2"), agent("c1", "rack:r3")});
  // r1 holds three, r2 and r3 one each; the oldest instances sit in r1.
  std::vector<PlacedInstance> instances = {{"r1-x", "a1", at(1)},
                                           {"r1-y", "a2", at(2)},
                                           {"r1-z", "a3", at(3)},
                                           {"r2-x", "b1", at(50)},
                                           {"r3-x", "c1", at(60)}};
  auto m = matcher({rule("rack", Op::kGroupBy)});
  // Youngest-first alone would pick r3-x and r2-x; the spread wins, youngest within r1.
  EXPECT_EQ(m.select_instances_to_kill(instances, 2, KillSelection::kYoungestFirst, agents),
            (std::vector<std::string>{"r1-z", "r1-y"}));
  // Once every rack has one, kill selection decides again.
  EXPECT_EQ(m.select_instances_to_kill(instances, 3, KillSelection::kYoungestFirst, agents),
            (std::vector<std::string>{"r1-z", "r1-y", "r3-x"}));
  EXPECT_EQ(m.select_instances_to_kill(instances, 2, KillSelection::kOldestFirst, agents),
            (std::vector<std::string>{"r1-x", "r1-y"}));
}

TEST(SelectInstancesToKill, MaxPerAndUniqueOverflowGoesFirst) {
  auto agents = cluster({agent("a1", "rack:r1"), agent("b1", "rack:r2")});
  std::vector<PlacedInstance> instances = {
      {"one", "a1", at(1)}, {"two", "a1", at(2)}, {"three", "b1", at(3)}};
  EXPECT_EQ(matcher({rule("rack", Op::kMaxPer, "1")})
                .select_instances_to_kill(instances, 1, KillSelection::kYoungestFirst, agents),
            std::vector<std::string>{"two"});
  EXPECT_EQ(matcher({rule("hostname", Op::kUnique)})
                .select_instances_to_kill(instances, 1, KillSelection::kOldestFirst, agents),
            std::vector<std::string>{"one"});
}

TEST(SelectInstancesToKill, MisplacedInstancesGoFirst) {
  auto agents = cluster({agent("ssd1", "disk:ssd"), agent("hdd1", "disk:hdd"), agent("bare")});
  std::vector<PlacedInstance> instances = {{"good-young", "ssd1", at(90)},
                                           {"on-hdd", "hdd1", at(1)},
                                           {"lost", "gone", at(2)},
                                           {"no-attr", "bare", at(3)}};
  auto m = matcher({rule("disk", Op::kLike, "ssd")});
  EXPECT_EQ(m.select_instances_to_kill(instances, 3, KillSelection::kYoungestFirst, agents),
            (std::vector<std::string>{"no-attr", "lost", "on-hdd"}));
}

TEST(SelectInstancesToKill, ClusterMinorityGoesFirst) {
  auto agents = cluster({agent("a1", "rack:r1"), agent("a2", "rack:r1"), agent("b1", "rack:r2")});
  std::vector<PlacedInstance> instances = {
      {"x", "a1", at(1)}, {"y", "a2", at(2)}, {"stray", "b1", at(0)}};
  EXPECT_EQ(matcher({rule("rack", Op::kCluster)})
                .select_instances_to_kill(instances, 1, KillSelection::kYoungestFirst, agents),
            std::vector<std::string>{"stray"});
}

TEST(SelectInstancesToKill, FirstSpreadConstraintDecidesBeforeTheSecond) {
  auto agents = cluster({agent("a1", "rack:r1;zone:z1"), agent("a2", "rack:r1;zone:z2"),
                         agent("b1", "rack:r2;zone:z2")});
  std::vector<PlacedInstance> instances = {
      {"a1-i", "a1", at(1)}, {"a2-i", "a2", at(2)}, {"b1-i", "b1", at(3)}};
  // rack r1 is fullest; within it, zone z2 (shared with b1) is fuller.
  EXPECT_EQ(matcher({rule("rack", Op::kGroupBy), rule("zone", Op::kGroupBy)})
                .select_instances_to_kill(instances, 1, KillSelection::kOldestFirst, agents),
            std::vector<std::string>{"a2-i"});
}

// allows() is check() without the explanation: the scheduler filters every agent with it at
// every placement. They must agree for every operator, value type and count.
TEST(ConstraintMatcher, AllowsAgreesWithCheck) {
  auto agents = cluster({agent("a1", "rack:r1;disk:ssd;weight:2.5;ports:[1-5];zone:{b,a}"),
                         agent("a2", "rack:r1;disk:hdd;weight:2.50"), agent("a3", "rack:r2"),
                         agent("a4", "rack:r3;disk:ssd"), agent("a5")});
  const std::vector<std::vector<Constraint>> sets = {
      {rule("hostname", Op::kUnique)},
      {rule("rack", Op::kUnique)},
      {rule("rack", Op::kCluster)},
      {rule("rack", Op::kCluster, "r1")},
      {rule("rack", Op::kGroupBy)},
      {rule("rack", Op::kGroupBy, "4")},
      {rule("rack", Op::kMaxPer, "2")},
      {rule("disk", Op::kLike, "s.*")},
      {rule("disk", Op::kUnlike, "s.*")},
      {rule("weight", Op::kIs, "2.5")},
      {rule("ports", Op::kIs, "[1-2,3-5]")},
      {rule("zone", Op::kIs, "{a, b}")},
      {rule("rack", Op::kMaxPer, "1"), rule("disk", Op::kLike, "ssd")},
  };
  const std::vector<std::vector<std::string>> placements = {
      {}, {"a1"}, {"a1", "a2"}, {"a1", "a3", "a4"}, {"a1", "a1", "a3", "a4", "a5"}};
  for (const auto& constraints : sets) {
    const ConstraintMatcher m = matcher(constraints);
    for (const auto& placed : placements) {
      const auto tally = m.tally(agents, placed);
      for (const auto& [id, candidate] : agents) {
        EXPECT_EQ(m.allows(candidate, tally), !m.check(candidate, tally).has_value())
            << constraint_to_string(constraints.front()) << " on " << id << " after "
            << placed.size() << " placements";
      }
    }
  }
}

// The tally over a registry (its active agents, GROUP_BY's values from its index) equals the
// tally over a copy holding only the active agents.
TEST(ConstraintMatcher, TallyOverTheRegistryEqualsTallyOverItsActiveAgents) {
  auto agents = cluster({agent("a1", "rack:r1;weight:2.50"), agent("a2", "rack:r2;weight:3"),
                         agent("a3", "rack:r3"), agent("a4", "rack:r2;zone:{b,a}")});
  agents.at("a3").status = AgentRecord::Status::kUnreachable;
  AgentRegistry registry;
  for (const auto& [id, each] : agents) registry.upsert(each);
  auto active = agents;
  active.erase("a3");
  for (const auto& constraints :
       std::vector<std::vector<Constraint>>{{rule("rack", Op::kGroupBy)},
                                            {rule("weight", Op::kGroupBy)},
                                            {rule("hostname", Op::kGroupBy)},
                                            {rule("zone", Op::kGroupBy, "2")},
                                            {rule("rack", Op::kCluster)},
                                            {rule("rack", Op::kMaxPer, "1")}}) {
    const ConstraintMatcher m = matcher(constraints);
    for (const auto& placed :
         std::vector<std::vector<std::string>>{{}, {"a1"}, {"a1", "a3"}, {"a2", "a4", "a4"}}) {
      const auto indexed = m.tally(registry, placed);
      const auto copied = m.tally(active, placed);
      for (const auto& [id, candidate] : agents) {
        EXPECT_EQ(m.allows(candidate, indexed), m.allows(candidate, copied))
            << constraint_to_string(constraints.front()) << " on " << id;
      }
    }
  }
  const ConstraintMatcher by_rack = matcher({rule("rack", Op::kGroupBy)});
  const auto tally = by_rack.tally(registry, {"a1", "a3"});
  EXPECT_FALSE(by_rack.allows(agents.at("a1"), tally));  // r1 has one, r2 none: r3 does not count
  EXPECT_TRUE(by_rack.allows(agents.at("a2"), tally));
}

}  // namespace
}  // namespace berth::scheduler
