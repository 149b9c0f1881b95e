// The allocator's choice and the registry's rankings that make it cheap: whatever the rankings
// and hints let it skip, it must pick the agent a look at every agent would pick.
#include "master/allocator.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace berth {
namespace {

AgentRecord agent(const std::string& id, const std::string& resources,
                  const std::string& attributes = "") {
  AgentRecord record;
  record.id = id;
  record.hostname = "host-" + id;
  record.total = *Resources::parse(resources);
  record.attributes = *parse_attributes(attributes);
  record.session = "s-" + id;
  return record;
}

Resources scalars(double cpus, double mem) {
  Resources resources;
  resources.set_scalar("cpus", cpus);
  resources.set_scalar("mem", mem);
  return resources;
}

std::string rack_of(const AgentRecord& record) {
  for (const Attribute& attribute : record.attributes) {
    if (attribute.name == "rack") return attribute.text;
  }
  return "";
}

std::string placed_on(const AgentRegistry& agents, const PlacementRequest& request) {
  auto placement = Allocator().place(agents, request);
  return placement.ok() ? placement->agent_id : "";
}

TEST(AllocatorTest, PrefersMostFreeCpusThenMemThenLeastRecentlyChanged) {
  AgentRegistry agents;
  agents.upsert(agent("a", "cpus:4;mem:1024"));
  agents.upsert(agent("b", "cpus:8;mem:512"));
  agents.upsert(agent("c", "cpus:8;mem:2048"));
  PlacementRequest request;
  request.resources = scalars(1, 64);
  EXPECT_EQ(placed_on(agents, request), "c");

  agents.charge("c", "t1", scalars(0.5, 0));
  EXPECT_EQ(placed_on(agents, request), "b");

  // Equal again: the one whose resources changed longest ago goes first.
  agents.upsert(agent("d", "cpus:8;mem:512"));
  EXPECT_EQ(placed_on(agents, request), "b");
  agents.charge("b", "t2", scalars(0, 0));
  EXPECT_EQ(placed_on(agents, request), "d");
  EXPECT_TRUE(agents.rankings_consistent());
}

TEST(AllocatorTest, CpusThatDriftInTheirLastBitsStillTie) {
  AgentRegistry agents;
  agents.upsert(agent("a", "cpus:1;mem:100"));
  agents.upsert(agent("b", "cpus:1;mem:200"));
  // 1 - 0.1 - 0.2 and 1 - 0.3 differ in their last bits; b has more mem, so it must win.
  agents.charge("a", "t1", scalars(0.1, 0));
  agents.charge("a", "t2", scalars(0.2, 0));
  agents.charge("b", "t3", scalars(0.3, 0));
  PlacementRequest request;
  request.resources = scalars(0.1, 1);
  EXPECT_EQ(placed_on(agents, request), "b");
}

TEST(AllocatorTest, OnlyActiveAgentsAreRankedAndFieldsAreIndexedCanonically) {
  AgentRegistry agents;
  agents.upsert(agent("a", "cpus:4;mem:1024", "rack:r1;weight:2.50;zones:{b,a}"));
  AgentRecord gone = agent("b", "cpus:8;mem:1024", "rack:r1");
  gone.status = AgentRecord::Status::kUnreachable;
  agents.upsert(gone);
  EXPECT_EQ(agents.ranking().size(), 1u);
  EXPECT_EQ(agents.ranking_where("rack", "r1").size(), 1u);
  EXPECT_EQ(agents.ranking_where("weight", "2.5").size(), 1u);
  EXPECT_EQ(agents.ranking_where("zones", "{a,b}").size(), 1u);
  EXPECT_EQ(agents.ranking_where("hostname", "host-a").size(), 1u);
  EXPECT_TRUE(agents.ranking_where("rack", "r2").empty());

  gone.status = AgentRecord::Status::kActive;
  agents.upsert(gone);
  EXPECT_EQ(agents.ranking_where("rack", "r1").size(), 2u);
  agents.upsert(agent("a", "cpus:4;mem:1024", "rack:r2"));
  EXPECT_EQ(agents.ranking_where("rack", "r1").size(), 1u);
  EXPECT_EQ(agents.ranking_where("rack", "r2").size(), 1u);
  EXPECT_TRUE(agents.ranking_where("weight", "2.5").empty());
  EXPECT_TRUE(agents.rankings_consistent());
}

TEST(AllocatorTest, ExplainsRefusalsOfEveryAgentWhenNoneFits) {
  AgentRegistry agents;
  agents.upsert(agent("a", "cpus:1;mem:100", "rack:r1"));
  agents.upsert(agent("b", "cpus:1;mem:100", "rack:r2"));
  std::map<std::string, int> refusals;
  PlacementRequest request;
  request.resources = scalars(2, 1);
  request.refusals = &refusals;
  request.filter = [](const AgentRecord& a) { return a.id == "a"; };
  request.hints.only_where = AgentFieldValue{"rack", "r1"};
  auto placement = Allocator().place(agents, request);
  ASSERT_FALSE(placement.ok());
  EXPECT_EQ(refusals["not enough cpus"], 1);
  EXPECT_EQ(refusals["does not match the placement constraints"], 1);
}

TEST(AllocatorTest, SkipsRefusedValuesWholeWhenTheBestAgentsDoNotFit) {
  AgentRegistry agents;
  for (int i = 0; i < 100; ++i) {
    agents.upsert(agent("busy-" + std::to_string(i), "cpus:8;mem:1024", "rack:r1"));
  }
  agents.upsert(agent("far", "cpus:2;mem:1024", "rack:r2"));
  agents.upsert(agent("near", "cpus:3;mem:1024", "rack:r3"));
  std::map<std::string, int> asked;
  PlacementRequest request;
  request.resources = scalars(1, 1);
  request.filter = [&](const AgentRecord& a) {
    ++asked[a.id];
    return rack_of(a) != "r1";
  };
  request.hints.spread_field = "rack";
  request.hints.allows_value = [](std::string_view rack) { return rack != "r1"; };
  EXPECT_EQ(placed_on(agents, request), "near");
  // The first few of rack r1 were asked, not all hundred.
  EXPECT_LT(asked.size(), 50u);
}

// The reference: every agent looked at, the best by rank among those that fit.
std::string best_by_scan(const AgentRegistry& agents, const PlacementRequest& request) {
  const AgentRecord* best = nullptr;
  for (const auto& [id, record] : agents.all()) {
    if (record.status != AgentRecord::Status::kActive) continue;
    if (request.filter && !request.filter(record)) continue;
    if (!record.available().contains(request.resources)) continue;
    if (best == nullptr || rank_of(record) < rank_of(*best)) best = &record;
  }
  return best == nullptr ? "" : best->id;
}

// Random clusters, random changes, random requests whose hints keep their promises: the walk
// with hints picks what the scan picks, and the rankings stay in step with the records.
TEST(AllocatorTest, PicksWhatAScanOfEveryAgentPicks) {
  std::mt19937 random(7);
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  AgentRegistry agents;
  for (int i = 0; i < 200; ++i) {
    std::string attributes = pick(10) == 0 ? "" : "rack:r" + std::to_string(pick(12));
    agents.upsert(
        agent("agent-" + std::to_string(i),
              "cpus:" + std::to_string(1 + pick(8)) + ";mem:" + std::to_string(256 * (1 + pick(8))),
              attributes));
  }
  int task = 0;
  for (int step = 0; step < 3000; ++step) {
    const std::string id = "agent-" + std::to_string(pick(200));
    const AgentRecord& record = *agents.find(id);
    switch (pick(6)) {
      case 0:
      case 1:
        agents.charge(id, "t" + std::to_string(++task), scalars(0.25 * pick(3), 32 * pick(3)));
        break;
      case 2:
        if (record.used.scalar("cpus") >= 0.25) {
          agents.release(id, "t", scalars(0.25, 0));
        }
        break;
      case 3: {
        AgentRecord next = record;
        next.status =
            pick(3) == 0 ? AgentRecord::Status::kUnreachable : AgentRecord::Status::kActive;
        agents.upsert(next);
        break;
      }
      default:
        break;
    }
    ASSERT_TRUE(agents.rankings_consistent()) << "step " << step;

    PlacementRequest request;
    request.resources = scalars(0.25 * (1 + pick(8)), 64 * pick(6));
    std::set<std::string> allowed;
    for (int r = 0; r < 12; ++r) {
      if (pick(4) == 0) allowed.insert("r" + std::to_string(r));
    }
    // One rack of twelve: the best agents often do not fit, and values are looked at one by one.
    if (pick(2) == 0) allowed = {"r" + std::to_string(pick(12))};
    const std::string cluster = "r" + std::to_string(pick(12));
    switch (pick(3)) {
      case 0:
        request.filter = [cluster](const AgentRecord& a) { return rack_of(a) == cluster; };
        request.hints.only_where = AgentFieldValue{"rack", cluster};
        break;
      case 1:
        request.filter = [&allowed](const AgentRecord& a) {
          return allowed.contains(rack_of(a)) && a.id.back() != '7';
        };
        request.hints.spread_field = "rack";
        request.hints.allows_value = [&allowed](std::string_view v) {
          return allowed.contains(std::string(v));
        };
        break;
      default:
        break;
    }
    ASSERT_EQ(placed_on(agents, request), best_by_scan(agents, request)) << "step " << step;
  }
}

}  // namespace
}  // namespace berth
