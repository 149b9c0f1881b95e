// ConstraintMatcher: Marathon's placement constraints (marathon-api.md §5) decided against
// Berth's agents. Two questions: may this agent take one more instance of the app, and which
// instances should go when the app scales down so that the rest still spread as the
// constraints ask. Pure functions of their arguments: the scheduler passes the agents and the
// app's live instances in, nothing is remembered between calls.
//
// Field values are compared in one canonical text form per attribute type: text as given,
// scalars with at most three decimals ("3.5", "2"), ranges "[1-5,8-9]", sets "{a,b}" (sorted).
// "hostname" and "@hostname" name the agent's hostname; "@region" and "@zone" name the
// attributes "region" and "zone" until agents carry a fault domain.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/attribute_text.h"
#include "common/clock.h"
#include "common/resources.h"
#include "common/result.h"
#include "marathon/app_definition.h"
#include "master/agent_registry.h"

namespace berth::scheduler {

// Why an agent may not take the instance. `reason` is the queue's reject reason
// (marathon-api.md §14); `detail` is one line for an operator, naming the constraint.
struct PlacementRefusal {
  static constexpr std::string_view kReason = "UnfulfilledConstraint";

  std::string reason = std::string(kReason);
  marathon::Constraint constraint;  // the first constraint that refused
  std::string detail;               // "hostname:UNIQUE: host a1 already runs 1 instance(s)"
};

// One live instance of an app, as the scale-down selection sees it.
struct PlacedInstance {
  std::string instance_id;
  std::string agent_id;
  WallTime staged_at;
};

// The value `agent` has for constraint field `field`, canonical; nullopt when it lacks it.
std::optional<std::string> agent_field_value(const AgentRecord& agent, std::string_view field);

// "rack:GROUP_BY:3", "hostname:UNIQUE": how constraints are named in messages.
std::string constraint_to_string(const marathon::Constraint& constraint);

class ConstraintMatcher {
 public:
  // Checks every constraint's value for its operator (LIKE/UNLIKE regexes compile, MAX_PER and
  // GROUP_BY counts are integers, LIKE/UNLIKE/MAX_PER/IS have a value). Fails with
  // kInvalidArgument naming the first bad constraint.
  static Result<ConstraintMatcher> create(std::vector<marathon::Constraint> constraints);

  // Whether `candidate` may take one more instance. `agents`: the agents that count for spreading
  // (GROUP_BY spreads evenly over every value found among them, so pass the agents that could
  // take instances, normally the active ones); the candidate need not be among them.
  // `placed_agent_ids`: the agent of each live instance of the app, one entry per instance
  // (repeats expected). Instances on agents missing from `agents` are not counted.
  // Costs a pass over `agents` and `placed_agent_ids`: to try many candidates, build a Tally once.
  std::optional<PlacementRefusal> check(const AgentRecord& candidate,
                                        const std::map<std::string, AgentRecord>& agents,
                                        const std::vector<std::string>& placed_agent_ids) const;

  // The counts check() needs, taken once for many candidates: per constraint, the app's
  // instances per value of its field, and for GROUP_BY every value known among the agents.
  // Checking a candidate against a tally costs O(constraints · log values).
  class Tally {
   public:
    Tally() = default;

   private:
    friend class ConstraintMatcher;
    struct Rule {
      // per value; GROUP_BY: every known value. Transparent, for lookups by string_view.
      std::map<std::string, std::int64_t, std::less<>> instances;
      std::map<std::int64_t, std::int64_t> histogram;  // GROUP_BY: count -> values having it
    };
    std::vector<Rule> rules_;
  };
  Tally tally(const std::map<std::string, AgentRecord>& agents,
              const std::vector<std::string>& placed_agent_ids) const;
  // The same over the registry's active agents, taking GROUP_BY's values from its index: the
  // cost does not grow with the number of agents.
  Tally tally(const AgentRegistry& agents, const std::vector<std::string>& placed_agent_ids) const;
  std::optional<PlacementRefusal> check(const AgentRecord& candidate, const Tally& tally) const;
  // Whether check() would find nothing to refuse, without building its explanation: what the
  // allocator asks of every agent at every placement.
  bool allows(const AgentRecord& candidate, const Tally& tally) const;
  // When some constraint admits only agents with one value of a field (IS, CLUSTER with a value
  // or with instances placed already): that field and value, so that the allocator looks at
  // those agents alone. Not for values that are numbers: scalar attributes compare as numbers.
  std::optional<AgentFieldValue> narrowing(const Tally& tally) const;
  // The first UNIQUE, MAX_PER or GROUP_BY constraint on an attribute (not the hostname): its
  // field, and whether an agent with a given value of it may take one more instance as far as
  // that constraint goes. Agents without the field are refused by it. The allocator uses this to
  // skip whole values (a full rack) instead of every agent in them. The returned function reads
  // `tally`, which must outlive it.
  struct Spread {
    std::string field;
    std::function<bool(std::string_view value)> allows_value;
  };
  std::optional<Spread> spread(const Tally& tally) const;
  // Counts one more instance on `agent` (a placement made since the tally was taken).
  void record_placement(const AgentRecord& agent, Tally& tally) const;

  // Which `count` of `instances` to kill so that the rest satisfy the constraints as well as
  // possible. Instances on agents that break a constraint outright (unknown agent, missing or
  // non-matching attribute, a CLUSTER minority) go first; then, each time, one from the fullest
  // value of the first UNIQUE/MAX_PER/GROUP_BY constraint where the candidates differ; ties go
  // by `selection` (YOUNGEST_FIRST: latest staged_at first), then by instance id. Returns
  // instance ids in kill order; all of them when count >= instances.size().
  std::vector<std::string> select_instances_to_kill(
      const std::vector<PlacedInstance>& instances, std::size_t count,
      marathon::KillSelection selection, const std::map<std::string, AgentRecord>& agents) const;

  const std::vector<marathon::Constraint>& constraints() const { return constraints_; }

 private:
  struct Pattern;     // a compiled LIKE/UNLIKE regex; <regex> stays in the .cc
  struct FieldValue;  // an agent's value for a field: canonical text, and the scalar if any
  struct Compiled {
    marathon::Constraint constraint;
    std::shared_ptr<const Pattern> pattern;  // LIKE / UNLIKE
    std::int64_t count = 0;                  // MAX_PER limit, GROUP_BY expected values
    // IS and CLUSTER with a value: the value as a number, if it is one, and canonical.
    std::optional<double> expected_number;
    std::string expected_text;
  };
  static bool passes(const Compiled& rule, const Tally::Rule& counts, const AgentRecord& candidate);
  // What both tallies do: `bucket_values(field, add)` names each GROUP_BY field's values, and
  // `counted(agent_id)` finds the agents whose instances count (nullptr: not counted).
  template <typename BucketValues, typename Counted>
  Tally tally_with(BucketValues bucket_values, Counted counted,
                   const std::vector<std::string>& placed_agent_ids) const;
  // UNIQUE, MAX_PER and GROUP_BY: whether the value `text` may take one more instance.
  static bool count_allows(const Compiled& rule, const Tally::Rule& counts, std::string_view text);

  explicit ConstraintMatcher(std::vector<Compiled> compiled,
                             std::vector<marathon::Constraint> constraints)
      : compiled_(std::move(compiled)), constraints_(std::move(constraints)) {}

  static std::optional<std::string> check_one(const Compiled& rule, const Tally::Rule& counts,
                                              const AgentRecord& candidate);
  // Whether an agent with this value (nullopt: lacking the field) passes `rule` on its own,
  // before counting other instances: false for a LIKE/UNLIKE/IS/CLUSTER-with-value mismatch and
  // for a missing field under every operator but UNLIKE.
  static bool value_allowed(const Compiled& rule, const std::optional<FieldValue>& value);

  std::vector<Compiled> compiled_;
  std::vector<marathon::Constraint> constraints_;
};

// One-shot form: builds the matcher and checks. An invalid constraint refuses every agent, with
// the validation message as detail.
std::optional<PlacementRefusal> check_constraints(
    const std::vector<marathon::Constraint>& constraints, const AgentRecord& candidate,
    const std::map<std::string, AgentRecord>& agents,
    const std::vector<std::string>& placed_agent_ids);

}  // namespace berth::scheduler
