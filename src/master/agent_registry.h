// AgentRegistry: the master's in-memory view of its agents: what each has, what its tasks use,
// whether it is reachable, and which session its current registration holds. MasterCore owns it
// and persists every change through the StateStore before applying it here.
//
// Agent status:
//
//   (registration) --> ACTIVE <----------- re-registration ------------+
//                        |                                              |
//                        | no heartbeat for max_missed beats            |
//                        v                                              |
//   (master restart) RECOVERED --reregister timeout--> UNREACHABLE -----+
//                        |                                              ^
//                        +----------------- re-registration --> ACTIVE  |
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/resources.h"
#include "common/result.h"

namespace berth {

struct AgentRecord {
  enum class Status { kActive, kRecovered, kUnreachable };

  std::string id;
  std::string hostname;
  std::uint16_t port = 0;
  Resources total;
  Resources used;  // sum of the resources of its non-terminal tasks
  std::vector<Attribute> attributes;
  std::string boot_id;
  std::string version;
  WallTime registered_time;
  Status status = Status::kActive;
  std::string session;             // empty unless ACTIVE
  Instant last_seen;               // last heartbeat (ACTIVE) or recovery time (RECOVERED)
  std::set<std::string> task_ids;  // its non-terminal tasks
  // The volume drivers it attaches volumes with, as it said when it registered (not persisted:
  // a recovered agent says it again). Absent: an agent from before the field; any.
  std::optional<std::vector<std::string>> volume_drivers;
  // The registry's: when this agent was last ranked (see AgentRank).
  std::uint64_t rank_sequence = 0;

  Resources available() const {
    Resources free = total;
    free -= used;
    return free;
  }
  std::string address() const { return hostname + ":" + std::to_string(port); }
};

std::string_view to_string(AgentRecord::Status status);

// Persisted form of an agent (the durable fields only).
std::string agent_to_json(const AgentRecord& agent);
Result<AgentRecord> agent_from_json(std::string_view json);

// Where placement looks, best first for spreading load: the most free cpus (counted in
// micro-cpus, so that sums of fractions that drift in their last bits still tie), then the most
// free mem, then the one whose resources changed least recently. That last rule rotates
// placements through equal agents, and keeps an app's UNIQUE placements from walking past the
// agents it took a moment ago: they sit at the end of their new tier. Only active agents are
// ranked.
struct AgentRank {
  std::int64_t free_micro_cpus = 0;
  double free_mem = 0;
  std::uint64_t sequence = 0;
  const AgentRecord* agent = nullptr;
  bool operator<(const AgentRank& other) const;
  bool operator==(const AgentRank& other) const = default;
};
using AgentRanking = std::set<AgentRank>;

// The rank `agent` has now.
AgentRank rank_of(const AgentRecord& agent);

// A constraint field ("hostname" or an attribute name) and one canonical value of it.
struct AgentFieldValue {
  std::string field;
  std::string value;
};

class AgentRegistry {
 public:
  // Records are changed in place only in fields no ranking depends on (last_seen, session):
  // status, resources and attributes change through upsert(), charge() and release().
  AgentRecord* find(const std::string& id);
  const AgentRecord* find(const std::string& id) const;
  AgentRecord* find_by_session(const std::string& agent_id, const std::string& session);
  AgentRecord& upsert(AgentRecord record);
  const std::map<std::string, AgentRecord>& all() const { return agents_; }
  std::size_t size() const { return agents_.size(); }

  // A live task's resources, counted on (charge) or off (release) its agent. Unknown agents are
  // ignored: a task may outlive its agent's record.
  void charge(const std::string& agent_id, const std::string& task_id, const Resources& resources);
  void release(const std::string& agent_id, const std::string& task_id, const Resources& resources);

  // The active agents, best first.
  const AgentRanking& ranking() const { return ranking_; }
  // The active agents whose constraint field `field` has the canonical value `value` (see
  // attribute_text.h; "hostname" is the agent's hostname), in the same order.
  const AgentRanking& ranking_where(std::string_view field, std::string_view value) const;
  // The active agents that have attribute `field`, by canonical value; nullptr when none has it.
  using ValueRankings = std::map<std::string, AgentRanking, std::less<>>;
  const ValueRankings* rankings_by(std::string_view field) const;
  // Whether every ranking agrees with the records (for tests and the simulator's invariants).
  bool rankings_consistent() const;

 private:
  void rank(AgentRecord& agent);
  void unrank(const AgentRecord& agent);
  // Calls `visit(field, value)` for each field an agent is indexed under.
  template <typename Visit>
  static void for_each_field(const AgentRecord& agent, Visit visit);

  std::map<std::string, AgentRecord> agents_;
  AgentRanking ranking_;
  std::uint64_t sequence_ = 0;
  std::map<std::string, ValueRankings, std::less<>> by_field_;
};

}  // namespace berth
