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

#include <map>
#include <set>
#include <string>
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

class AgentRegistry {
 public:
  AgentRecord* find(const std::string& id);
  const AgentRecord* find(const std::string& id) const;
  AgentRecord* find_by_session(const std::string& agent_id, const std::string& session);
  AgentRecord& upsert(AgentRecord record);
  const std::map<std::string, AgentRecord>& all() const { return agents_; }
  std::map<std::string, AgentRecord>& all() { return agents_; }
  std::size_t size() const { return agents_.size(); }

 private:
  std::map<std::string, AgentRecord> agents_;
};

}  // namespace berth
