// Placement constraints: validation, the per-agent check and the scale-down choice.
#include "scheduler/constraint_matcher.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <regex>

#include "common/attribute_text.h"
#include "common/strings.h"

namespace berth::scheduler {

using marathon::Constraint;
using Op = marathon::Constraint::Operator;

struct ConstraintMatcher::Pattern {
  std::regex regex;
};

struct ConstraintMatcher::FieldValue {
  std::string text;
  std::optional<double> scalar;
};

namespace {

std::string_view operator_name(Op op) {
  switch (op) {
    case Op::kUnique:
      return "UNIQUE";
    case Op::kCluster:
      return "CLUSTER";
    case Op::kGroupBy:
      return "GROUP_BY";
    case Op::kLike:
      return "LIKE";
    case Op::kUnlike:
      return "UNLIKE";
    case Op::kMaxPer:
      return "MAX_PER";
    case Op::kIs:
      return "IS";
  }
  return "UNKNOWN";
}

// A constraint value written in the same canonical form as attribute values, so that
// ["ports", "IS", "[1-2, 3-5]"] equals the attribute ports:[1-5].
std::string canonical_constraint_value(std::string_view text) {
  std::string_view trimmed = trim(text);
  if (!trimmed.empty() && trimmed.front() == '[') return canonical_ranges_text(trimmed);
  if (!trimmed.empty() && trimmed.front() == '{') return canonical_set_text(trimmed);
  return std::string(text);
}

std::optional<std::int64_t> parse_count(std::string_view text) {
  text = trim(text);
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return value;
}

bool has_value(const Constraint& constraint) {
  return constraint.value.has_value() && !constraint.value->empty();
}

std::string quoted_value(const std::optional<std::string>& value) {
  return value ? "'" + *value + "'" : std::string("no value");
}

}  // namespace

namespace {

// The attribute a field names, or nullptr for the hostname.
std::optional<std::string_view> attribute_name(std::string_view field) {
  if (field == "hostname" || field == "@hostname") return std::nullopt;
  if (field == "@region") return "region";
  if (field == "@zone") return "zone";
  return field;
}

const Attribute* find_attribute(const AgentRecord& agent, std::string_view name) {
  for (const Attribute& attribute : agent.attributes) {
    if (attribute.name == name) return &attribute;
  }
  return nullptr;
}

}  // namespace

std::optional<std::string> agent_field_value(const AgentRecord& agent, std::string_view field) {
  auto name = attribute_name(field);
  if (!name) return agent.hostname;
  const Attribute* attribute = find_attribute(agent, *name);
  if (attribute == nullptr) return std::nullopt;
  return attribute_value_text(*attribute);
}

std::string constraint_to_string(const Constraint& constraint) {
  std::string text = constraint.field + ":" + std::string(operator_name(constraint.op));
  if (constraint.value) text += ":" + *constraint.value;
  return text;
}

namespace {

// The same as agent_field_value, keeping the scalar for IS and CLUSTER comparisons.
template <typename FieldValue>
std::optional<FieldValue> field_value(const AgentRecord& agent, std::string_view field) {
  auto name = attribute_name(field);
  if (!name) return FieldValue{agent.hostname, std::nullopt};
  const Attribute* attribute = find_attribute(agent, *name);
  if (attribute == nullptr) return std::nullopt;
  std::optional<double> scalar;
  if (attribute->type == Attribute::Type::kScalar) scalar = attribute->scalar;
  return FieldValue{attribute_value_text(*attribute), scalar};
}

template <typename FieldValue>
bool value_equals(const FieldValue& value, const std::string& expected) {
  if (value.scalar) {
    if (auto number = parse_double(expected); number.ok()) {
      return scalar_thousandths(*value.scalar) == scalar_thousandths(*number);
    }
  }
  return value.text == canonical_constraint_value(expected);
}

}  // namespace

Result<ConstraintMatcher> ConstraintMatcher::create(std::vector<Constraint> constraints) {
  std::vector<Compiled> compiled;
  compiled.reserve(constraints.size());
  for (const Constraint& constraint : constraints) {
    Compiled rule{constraint, nullptr, 0};
    auto fail = [&](const std::string& why) {
      return invalid_argument("illegal constraint specification " +
                              constraint_to_string(constraint) + ": " + why);
    };
    if (constraint.field.empty()) return fail("the field must not be empty");
    switch (constraint.op) {
      case Op::kUnique:
      case Op::kCluster:
        break;
      case Op::kGroupBy:
        if (has_value(constraint)) {
          auto count = parse_count(*constraint.value);
          if (!count) return fail("GROUP_BY takes no value or a non-negative integer");
          rule.count = *count;
        }
        break;
      case Op::kMaxPer: {
        auto count = constraint.value ? parse_count(*constraint.value) : std::nullopt;
        if (!count) return fail("MAX_PER needs a non-negative integer value");
        rule.count = *count;
        break;
      }
      case Op::kLike:
      case Op::kUnlike: {
        if (!constraint.value) return fail("a regular expression value is required");
        try {
          rule.pattern = std::make_shared<const Pattern>(
              Pattern{std::regex(*constraint.value, std::regex::ECMAScript)});
        } catch (const std::regex_error&) {
          return fail("'" + *constraint.value + "' is not a valid regular expression");
        }
        break;
      }
      case Op::kIs:
        if (!has_value(constraint)) return fail("IS needs a value");
        break;
    }
    if (has_value(constraint)) {
      if (auto number = parse_double(*constraint.value); number.ok()) {
        rule.expected_number = *number;
      }
      rule.expected_text = canonical_constraint_value(*constraint.value);
    }
    compiled.push_back(std::move(rule));
  }
  return ConstraintMatcher(std::move(compiled), std::move(constraints));
}

bool ConstraintMatcher::value_allowed(const Compiled& rule,
                                      const std::optional<FieldValue>& value) {
  const Constraint& constraint = rule.constraint;
  if (!value) return constraint.op == Op::kUnlike;
  switch (constraint.op) {
    case Op::kLike:
      return std::regex_match(value->text, rule.pattern->regex);
    case Op::kUnlike:
      return !std::regex_match(value->text, rule.pattern->regex);
    case Op::kIs:
      return value_equals(*value, *constraint.value);
    case Op::kCluster:
      return !has_value(constraint) || value_equals(*value, *constraint.value);
    case Op::kUnique:
    case Op::kGroupBy:
    case Op::kMaxPer:
      return true;
  }
  return false;
}

template <typename BucketValues, typename Counted>
ConstraintMatcher::Tally ConstraintMatcher::tally_with(
    BucketValues bucket_values, Counted counted,
    const std::vector<std::string>& placed_agent_ids) const {
  Tally result;
  result.rules_.resize(compiled_.size());
  for (std::size_t r = 0; r < compiled_.size(); ++r) {
    if (compiled_[r].constraint.op != Op::kGroupBy) continue;
    // Every value among the agents is a bucket to fill, even before it has an instance.
    Tally::Rule& rule = result.rules_[r];
    bucket_values(compiled_[r].constraint.field,
                  [&rule](std::string_view value) { rule.instances.emplace(value, 0); });
    rule.histogram[0] = static_cast<std::int64_t>(rule.instances.size());
  }
  for (const std::string& agent_id : placed_agent_ids) {
    if (const AgentRecord* agent = counted(agent_id)) record_placement(*agent, result);
  }
  return result;
}

ConstraintMatcher::Tally ConstraintMatcher::tally(
    const std::map<std::string, AgentRecord>& agents,
    const std::vector<std::string>& placed_agent_ids) const {
  return tally_with(
      [&agents](const std::string& field, const auto& add) {
        for (const auto& [id, agent] : agents) {
          if (auto value = agent_field_value(agent, field)) add(*value);
        }
      },
      [&agents](const std::string& id) -> const AgentRecord* {
        auto agent = agents.find(id);
        return agent == agents.end() ? nullptr : &agent->second;
      },
      placed_agent_ids);
}

ConstraintMatcher::Tally ConstraintMatcher::tally(
    const AgentRegistry& agents, const std::vector<std::string>& placed_agent_ids) const {
  return tally_with(
      [&agents](const std::string& field, const auto& add) {
        const std::string name(attribute_name(field).value_or("hostname"));
        if (const auto* values = agents.rankings_by(name)) {
          for (const auto& [value, ranking] : *values) add(value);
        }
      },
      [&agents](const std::string& id) -> const AgentRecord* {
        const AgentRecord* agent = agents.find(id);
        return agent != nullptr && agent->status == AgentRecord::Status::kActive ? agent : nullptr;
      },
      placed_agent_ids);
}

std::optional<AgentFieldValue> ConstraintMatcher::narrowing(const Tally& tally) const {
  for (std::size_t r = 0; r < compiled_.size(); ++r) {
    const Compiled& rule = compiled_[r];
    const Constraint& constraint = rule.constraint;
    if (constraint.op != Op::kIs && constraint.op != Op::kCluster) continue;
    std::string field(attribute_name(constraint.field).value_or("hostname"));
    if (has_value(constraint)) {
      if (rule.expected_number) continue;
      return AgentFieldValue{std::move(field), rule.expected_text};
    }
    if (r < tally.rules_.size() && tally.rules_[r].instances.size() == 1) {
      return AgentFieldValue{std::move(field), tally.rules_[r].instances.begin()->first};
    }
  }
  return std::nullopt;
}

void ConstraintMatcher::record_placement(const AgentRecord& agent, Tally& tally) const {
  tally.rules_.resize(compiled_.size());
  for (std::size_t r = 0; r < compiled_.size(); ++r) {
    auto value = agent_field_value(agent, compiled_[r].constraint.field);
    if (!value) continue;
    Tally::Rule& rule = tally.rules_[r];
    auto [entry, inserted] = rule.instances.emplace(*value, 0);
    if (compiled_[r].constraint.op == Op::kGroupBy) {
      if (!inserted && --rule.histogram[entry->second] == 0) rule.histogram.erase(entry->second);
      ++rule.histogram[entry->second + 1];
    }
    ++entry->second;
  }
}

std::optional<std::string> ConstraintMatcher::check_one(const Compiled& rule,
                                                        const Tally::Rule& counts,
                                                        const AgentRecord& candidate) {
  const Constraint& constraint = rule.constraint;
  const std::string& field = constraint.field;
  auto value = field_value<FieldValue>(candidate, field);
  if (!value) {
    if (constraint.op == Op::kUnlike) return std::nullopt;
    return "agent " + candidate.id + " has no attribute '" + field + "'";
  }
  const std::string where = "agent " + candidate.id + " has " + field + "=" + value->text;
  if (!value_allowed(rule, value)) {
    switch (constraint.op) {
      case Op::kLike:
        return where + ", which does not match '" + *constraint.value + "'";
      case Op::kUnlike:
        return where + ", which matches '" + *constraint.value + "'";
      default:
        return where + ", not " + quoted_value(constraint.value);
    }
  }
  auto here_entry = counts.instances.find(value->text);
  const std::int64_t here = here_entry == counts.instances.end() ? 0 : here_entry->second;

  switch (constraint.op) {
    case Op::kLike:
    case Op::kUnlike:
    case Op::kIs:
      return std::nullopt;
    case Op::kCluster: {
      if (has_value(constraint)) return std::nullopt;
      // Without a value, the first placement chooses the value for all the others.
      if (counts.instances.empty() ||
          (counts.instances.size() == 1 && counts.instances.begin()->first == value->text)) {
        return std::nullopt;
      }
      const std::string& first = counts.instances.begin()->first == value->text
                                     ? std::next(counts.instances.begin())->first
                                     : counts.instances.begin()->first;
      return where + ", but the app's instances run on " + field + "=" + first;
    }
    case Op::kUnique:
      if (here == 0) return std::nullopt;
      return where + ", which already runs " + std::to_string(here) + " instance(s)";
    case Op::kMaxPer:
      if (here < rule.count) return std::nullopt;
      return where + ", which already runs " + std::to_string(here) + " instance(s), at most " +
             std::to_string(rule.count);
    case Op::kGroupBy: {
      // Even spread over every known value: the candidate's value must be one of the least
      // used. Known values are those of the agents and of the placed instances; when the
      // constraint names how many values to expect and fewer are known, the missing ones count
      // as empty, so no value takes a second round before they appear.
      const auto known = static_cast<std::int64_t>(counts.instances.size());
      if (here == 0) return std::nullopt;  // a known value without instances, or a new one
      const bool missing_values = known < rule.count;
      const std::int64_t least = missing_values ? 0 : counts.histogram.begin()->first;
      if (here <= least) return std::nullopt;
      std::string detail = where + ", which already runs " + std::to_string(here) +
                           " instance(s); spreading over " + field + " needs ";
      if (missing_values) {
        return detail + std::to_string(rule.count) + " values, only " + std::to_string(known) +
               " known";
      }
      for (const auto& [other, n] : counts.instances) {
        if (n == least) return detail + other + " (" + std::to_string(least) + ") first";
      }
      return detail + "other values first";
    }
  }
  return std::nullopt;
}

bool ConstraintMatcher::passes(const Compiled& rule, const Tally::Rule& counts,
                               const AgentRecord& candidate) {
  // check_one's decisions, on a view of the agent's value instead of copies and messages.
  const Constraint& constraint = rule.constraint;
  std::string canonical;
  std::string_view text;
  std::optional<double> scalar;
  if (auto name = attribute_name(constraint.field); !name) {
    text = candidate.hostname;
  } else {
    const Attribute* attribute = find_attribute(candidate, *name);
    if (attribute == nullptr) return constraint.op == Op::kUnlike;
    if (attribute->type == Attribute::Type::kText) {
      text = attribute->text;
    } else {
      canonical = attribute_value_text(*attribute);
      text = canonical;
      if (attribute->type == Attribute::Type::kScalar) scalar = attribute->scalar;
    }
  }
  auto equals_expected = [&] {
    if (scalar && rule.expected_number) {
      return scalar_thousandths(*scalar) == scalar_thousandths(*rule.expected_number);
    }
    return text == rule.expected_text;
  };
  switch (constraint.op) {
    case Op::kLike:
      return std::regex_match(text.begin(), text.end(), rule.pattern->regex);
    case Op::kUnlike:
      return !std::regex_match(text.begin(), text.end(), rule.pattern->regex);
    case Op::kIs:
      return equals_expected();
    case Op::kCluster:
      if (has_value(constraint)) return equals_expected();
      return counts.instances.empty() ||
             (counts.instances.size() == 1 && counts.instances.begin()->first == text);
    case Op::kUnique:
    case Op::kMaxPer:
    case Op::kGroupBy:
      break;
  }
  return count_allows(rule, counts, text);
}

bool ConstraintMatcher::count_allows(const Compiled& rule, const Tally::Rule& counts,
                                     std::string_view text) {
  auto here_entry = counts.instances.find(text);
  const std::int64_t here = here_entry == counts.instances.end() ? 0 : here_entry->second;
  if (rule.constraint.op == Op::kUnique) return here == 0;
  if (rule.constraint.op == Op::kMaxPer) return here < rule.count;
  if (here == 0) return true;
  const auto known = static_cast<std::int64_t>(counts.instances.size());
  const std::int64_t least = known < rule.count ? 0 : counts.histogram.begin()->first;
  return here <= least;
}

std::optional<ConstraintMatcher::Spread> ConstraintMatcher::spread(const Tally& tally) const {
  static const Tally::Rule kEmpty;
  for (std::size_t r = 0; r < compiled_.size(); ++r) {
    const Compiled& rule = compiled_[r];
    const Op op = rule.constraint.op;
    if (op != Op::kUnique && op != Op::kMaxPer && op != Op::kGroupBy) continue;
    auto name = attribute_name(rule.constraint.field);
    if (!name) continue;  // one agent per hostname: nothing to skip at once
    const Tally::Rule& counts = r < tally.rules_.size() ? tally.rules_[r] : kEmpty;
    return Spread{std::string(*name), [&rule, &counts](std::string_view value) {
                    return count_allows(rule, counts, value);
                  }};
  }
  return std::nullopt;
}

bool ConstraintMatcher::allows(const AgentRecord& candidate, const Tally& tally) const {
  static const Tally::Rule kEmpty;
  for (std::size_t r = 0; r < compiled_.size(); ++r) {
    const Tally::Rule& counts = r < tally.rules_.size() ? tally.rules_[r] : kEmpty;
    if (!passes(compiled_[r], counts, candidate)) return false;
  }
  return true;
}

std::optional<PlacementRefusal> ConstraintMatcher::check(const AgentRecord& candidate,
                                                         const Tally& tally) const {
  static const Tally::Rule kEmpty;
  for (std::size_t r = 0; r < compiled_.size(); ++r) {
    const Tally::Rule& counts = r < tally.rules_.size() ? tally.rules_[r] : kEmpty;
    if (auto why = check_one(compiled_[r], counts, candidate)) {
      PlacementRefusal refusal;
      refusal.constraint = compiled_[r].constraint;
      refusal.detail = constraint_to_string(compiled_[r].constraint) + ": " + *why;
      return refusal;
    }
  }
  return std::nullopt;
}

std::optional<PlacementRefusal> ConstraintMatcher::check(
    const AgentRecord& candidate, const std::map<std::string, AgentRecord>& agents,
    const std::vector<std::string>& placed_agent_ids) const {
  return check(candidate, tally(agents, placed_agent_ids));
}

std::vector<std::string> ConstraintMatcher::select_instances_to_kill(
    const std::vector<PlacedInstance>& instances, std::size_t count,
    marathon::KillSelection selection, const std::map<std::string, AgentRecord>& agents) const {
  // Per instance and rule: the agent's value for the rule's field (nullopt: missing, or the
  // agent is unknown) and whether the agent passes the rule on its own.
  struct Candidate {
    const PlacedInstance* instance;
    std::vector<std::optional<std::string>> values;
    std::int64_t static_violations = 0;
  };
  std::vector<Candidate> remaining;
  remaining.reserve(instances.size());
  for (const PlacedInstance& instance : instances) {
    Candidate candidate{&instance, {}, 0};
    auto agent = agents.find(instance.agent_id);
    for (const Compiled& rule : compiled_) {
      std::optional<FieldValue> value;
      if (agent != agents.end())
        value = field_value<FieldValue>(agent->second, rule.constraint.field);
      bool allowed = agent != agents.end() && value_allowed(rule, value);
      if (!allowed) ++candidate.static_violations;
      candidate.values.push_back(value ? std::optional<std::string>(value->text) : std::nullopt);
    }
    remaining.push_back(std::move(candidate));
  }

  auto is_spread = [](Op op) {
    return op == Op::kUnique || op == Op::kMaxPer || op == Op::kGroupBy;
  };
  auto is_sticky_cluster = [](const Constraint& c) {
    return c.op == Op::kCluster && !has_value(c);
  };

  std::vector<std::string> chosen;
  count = std::min(count, remaining.size());
  while (chosen.size() < count) {
    // Recount over the instances that stay, since every kill changes the spread.
    std::vector<std::map<std::string, std::int64_t>> counts(compiled_.size());
    for (const Candidate& candidate : remaining) {
      for (std::size_t r = 0; r < compiled_.size(); ++r) {
        if (candidate.values[r]) ++counts[r][*candidate.values[r]];
      }
    }
    // CLUSTER without a value keeps the value most instances share (ties: the smallest).
    std::vector<std::optional<std::string>> majority(compiled_.size());
    for (std::size_t r = 0; r < compiled_.size(); ++r) {
      if (!is_sticky_cluster(compiled_[r].constraint)) continue;
      std::int64_t best = 0;
      for (const auto& [value, n] : counts[r]) {
        if (n > best) {
          best = n;
          majority[r] = value;
        }
      }
    }

    auto key = [&](const Candidate& candidate) {
      std::int64_t violations = candidate.static_violations;
      std::vector<std::int64_t> crowding;
      for (std::size_t r = 0; r < compiled_.size(); ++r) {
        const auto& value = candidate.values[r];
        if (majority[r] && value && *value != *majority[r]) ++violations;
        if (is_spread(compiled_[r].constraint.op)) {
          crowding.push_back(value ? counts[r][*value] : 0);
        }
      }
      return std::make_pair(violations, crowding);
    };
    // True when `a` should be killed before `b`.
    auto before = [&](const Candidate& a, const Candidate& b) {
      auto key_a = key(a);
      auto key_b = key(b);
      if (key_a != key_b) return key_a > key_b;
      if (a.instance->staged_at != b.instance->staged_at) {
        bool a_younger = a.instance->staged_at > b.instance->staged_at;
        return selection == marathon::KillSelection::kYoungestFirst ? a_younger : !a_younger;
      }
      return a.instance->instance_id < b.instance->instance_id;
    };
    auto victim = remaining.begin();
    for (auto it = std::next(remaining.begin()); it != remaining.end(); ++it) {
      if (before(*it, *victim)) victim = it;
    }
    chosen.push_back(victim->instance->instance_id);
    remaining.erase(victim);
  }
  return chosen;
}

std::optional<PlacementRefusal> check_constraints(
    const std::vector<Constraint>& constraints, const AgentRecord& candidate,
    const std::map<std::string, AgentRecord>& agents,
    const std::vector<std::string>& placed_agent_ids) {
  auto matcher = ConstraintMatcher::create(constraints);
  if (!matcher.ok()) {
    PlacementRefusal refusal;
    for (const Constraint& constraint : constraints) {
      if (!ConstraintMatcher::create({constraint}).ok()) {
        refusal.constraint = constraint;
        break;
      }
    }
    refusal.detail = matcher.error().message;
    return refusal;
  }
  return matcher->check(candidate, agents, placed_agent_ids);
}

}  // namespace berth::scheduler
