// AgentRegistry and the persisted form of agents.
#include "master/agent_registry.h"

#include <nlohmann/json.hpp>

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

AgentRecord& AgentRegistry::upsert(AgentRecord record) {
  std::string id = record.id;
  auto [it, inserted] = agents_.insert_or_assign(id, std::move(record));
  (void)inserted;
  return it->second;
}

}  // namespace berth
