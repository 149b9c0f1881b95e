// The Mesos-style read endpoints' documents: /master/state, /master/slaves and /master/tasks,
// with Mesos' field names (slaves, used_resources, registered_time, ...), so that tools written
// for Mesos can read a Berth master.
#pragma once

#include <map>
#include <string>

namespace berth {

class MasterCore;

struct MasterIdentity {
  std::string hostname;
  std::uint16_t port = 5050;
  std::string version;
  // The master's settings as Mesos' /master/state shows its flags: name -> value as text
  // ("heartbeat_interval": "200ms"), for operators and the UI's About page.
  std::map<std::string, std::string> flags;
};

std::string master_state_json(const MasterCore& core, const MasterIdentity& identity);
std::string master_slaves_json(const MasterCore& core);
std::string master_tasks_json(const MasterCore& core);
std::string task_json(const MasterCore& core, const std::string& task_id);

}  // namespace berth
