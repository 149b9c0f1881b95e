// AgentRegistry and the persisted form of agents.
#include "master/agent_registry.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <tuple>

#include "common/attribute_text.h"
#include "common/time_format.h"

namespace berth {

std::string_view to_string(AgentRecord::Status status) {
  switch (status) {
    case AgentRecord::Status::kActive:
      return "ACTIVE";
    case AgentRecord::Status::kRecovered:
      return "RECOVERED";
    case AgentRecord::Status::kUnreachable:
      return "UNREACHABLE";
  }
  return "UNKNOWN";
}

std::string agent_to_json(const AgentRecord& agent) {
  return nlohmann::json{{"id", agent.id},
                        {"hostname", agent.hostname},
                        {"port", agent.port},
                        {"resources", agent.total.to_string()},
                        {"attributes", attributes_to_string(agent.attributes)},
                        {"boot_id", agent.boot_id},
                        {"version", agent.version},
                        {"registered_time_ms", to_epoch_millis(agent.registered_time)},
                        {"unreachable", agent.status == AgentRecord::Status::kUnreachable}}
      .dump();
}

Result<AgentRecord> agent_from_json(std::string_view text) {
  try {
    auto doc = nlohmann::json::parse(text);
    AgentRecord agent;
    agent.id = doc.at("id").get<std::string>();
    agent.hostname = doc.at("hostname").get<std::string>();
    agent.port = doc.at("port").get<std::uint16_t>();
    auto resources = Resources::parse(doc.at("resources").get<std::string>());
    if (!resources.ok()) return resources.error().context("agent " + agent.id);
    agent.total = *resources;
    auto attributes = parse_attributes(doc.at("attributes").get<std::string>());
    if (!attributes.ok()) return attributes.error().context("agent " + agent.id);
    agent.attributes = *attributes;
    agent.boot_id = doc.value("boot_id", "");
    agent.version = doc.value("version", "");
    agent.registered_time = from_epoch_millis(doc.value("registered_time_ms", 0LL));
    agent.status = doc.value("unreachable", false) ? AgentRecord::Status::kUnreachable
                                                   : AgentRecord::Status::kRecovered;
    return agent;
  } catch (const nlohmann::json::exception& e) {
    return internal_error(std::string("corrupt agent record: ") + e.what());
  }
}

AgentRecord* AgentRegistry::find(const std::string& id) {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : &it->second;
}

const AgentRecord* AgentRegistry::find(const std::string& id) const {
  auto it = agents_.find(id);
  return it == agents_.end() ? nullptr : &it->second;
}

AgentRecord* AgentRegistry::find_by_session(const std::string& agent_id,
                                            const std::string& session) {
  AgentRecord* agent = find(agent_id);
  if (agent == nullptr || agent->status != AgentRecord::Status::kActive ||
      agent->session != session) {
    return nullptr;
  }
  return agent;
}

namespace {

// As Resources::operator-= leaves it: a difference within this of zero is zero.
constexpr double kEpsilon = 1e-6;

double free_scalar(const AgentRecord& agent, const std::string& name) {
  const double left = agent.total.scalar(name) - agent.used.scalar(name);
  return std::abs(left) < kEpsilon ? 0.0 : left;
}

}  // namespace

bool AgentRank::operator<(const AgentRank& other) const {
  if (free_micro_cpus != other.free_micro_cpus) return free_micro_cpus > other.free_micro_cpus;
  if (free_mem != other.free_mem) return free_mem > other.free_mem;
  return sequence < other.sequence;
}

AgentRank rank_of(const AgentRecord& agent) {
  return {std::llround(free_scalar(agent, "cpus") * 1e6), free_scalar(agent, "mem"),
          agent.rank_sequence, &agent};
}

template <typename Visit>
void AgentRegistry::for_each_field(const AgentRecord& agent, Visit visit) {
  visit(std::string_view("hostname"), std::string_view(agent.hostname));
  for (const Attribute& attribute : agent.attributes) {
    // Constraints on "hostname" name the agent's hostname, never an attribute of that name.
    if (attribute.name == "hostname") continue;
    if (attribute.type == Attribute::Type::kText) {
      visit(std::string_view(attribute.name), std::string_view(attribute.text));
    } else {
      const std::string value = attribute_value_text(attribute);
      visit(std::string_view(attribute.name), std::string_view(value));
    }
  }
}

void AgentRegistry::rank(AgentRecord& agent) {
  if (agent.status != AgentRecord::Status::kActive) return;
  agent.rank_sequence = ++sequence_;
  const AgentRank rank = rank_of(agent);
  ranking_.insert(rank);
  for_each_field(agent, [&](std::string_view field, std::string_view value) {
    auto values = by_field_.find(field);
    if (values == by_field_.end())
      values = by_field_.emplace(std::string(field), ValueRankings{}).first;
    auto ranking = values->second.find(value);
    if (ranking == values->second.end()) {
      ranking = values->second.emplace(std::string(value), AgentRanking{}).first;
    }
    ranking->second.insert(rank);
  });
}

void AgentRegistry::unrank(const AgentRecord& agent) {
  if (agent.status != AgentRecord::Status::kActive) return;
  const AgentRank rank = rank_of(agent);
  ranking_.erase(rank);
  for_each_field(agent, [&](std::string_view field, std::string_view value) {
    auto values = by_field_.find(field);
    if (values == by_field_.end()) return;
    auto ranking = values->second.find(value);
    if (ranking == values->second.end()) return;
    ranking->second.erase(rank);
    if (ranking->second.empty()) values->second.erase(ranking);
    if (values->second.empty()) by_field_.erase(values);
  });
}

AgentRecord& AgentRegistry::upsert(AgentRecord record) {
  auto it = agents_.find(record.id);
  if (it == agents_.end()) {
    std::string id = record.id;
    it = agents_.emplace(std::move(id), std::move(record)).first;
  } else {
    unrank(it->second);
    it->second = std::move(record);
  }
  rank(it->second);
  return it->second;
}

void AgentRegistry::charge(const std::string& agent_id, const std::string& task_id,
                           const Resources& resources) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return;
  unrank(it->second);
  it->second.used += resources;
  it->second.task_ids.insert(task_id);
  rank(it->second);
}

void AgentRegistry::release(const std::string& agent_id, const std::string& task_id,
                            const Resources& resources) {
  auto it = agents_.find(agent_id);
  if (it == agents_.end()) return;
  unrank(it->second);
  it->second.used -= resources;
  it->second.task_ids.erase(task_id);
  rank(it->second);
}

const AgentRanking& AgentRegistry::ranking_where(std::string_view field,
                                                 std::string_view value) const {
  static const AgentRanking kNone;
  auto values = by_field_.find(field);
  if (values == by_field_.end()) return kNone;
  auto ranking = values->second.find(value);
  return ranking == values->second.end() ? kNone : ranking->second;
}

const AgentRegistry::ValueRankings* AgentRegistry::rankings_by(std::string_view field) const {
  auto values = by_field_.find(field);
  return values == by_field_.end() ? nullptr : &values->second;
}

bool AgentRegistry::rankings_consistent() const {
  // What the index should hold, from the records: (field, value, agent) and the agent's rank.
  std::set<std::tuple<std::string, std::string, const AgentRecord*>> expected;
  std::size_t active = 0;
  for (const auto& [id, agent] : agents_) {
    if (agent.status != AgentRecord::Status::kActive) continue;
    ++active;
    if (!ranking_.contains(rank_of(agent))) return false;
    for_each_field(agent, [&](std::string_view field, std::string_view value) {
      expected.emplace(std::string(field), std::string(value), &agent);
    });
  }
  if (ranking_.size() != active) return false;
  std::size_t indexed = 0;
  for (const auto& [field, values] : by_field_) {
    for (const auto& [value, ranking] : values) {
      for (const AgentRank& rank : ranking) {
        if (!(rank == rank_of(*rank.agent)) || !expected.contains({field, value, rank.agent})) {
          return false;
        }
        ++indexed;
      }
    }
  }
  return indexed == expected.size();
}

}  // namespace berth
