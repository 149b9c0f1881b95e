// AgentDisk: the agent core's access to its work directory: checkpoints (small documents written
// crash-safely, always before the side effect they record) and task sandboxes. FileAgentDisk is
// the real one; tests and the simulator use MemoryAgentDisk.
//
// Layout of the work directory (FileAgentDisk):
//
//   <work_dir>/
//     meta/
//       agent.json            agent id, registration facts
//       tasks/<task_id>.json  spec, state, next update seq, unacknowledged updates
//     sandboxes/<task_id>/    cwd of the task: stdout, stderr
//     containers/             owned by the containerizer (see linux/linux_containerizer.h)
//     volume_lease            the deadline of the node's volume lease, for the tasks'
//                             supervisors (written by the containerizer, read by supervisors)
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth {

class AgentDisk {
 public:
  virtual ~AgentDisk() = default;
  // Names are "agent" or "tasks/<id>".
  virtual Status write_checkpoint(const std::string& name, std::string_view data) = 0;
  virtual Result<std::optional<std::string>> read_checkpoint(const std::string& name) = 0;
  virtual Status remove_checkpoint(const std::string& name) = 0;
  // Ids of the task checkpoints.
  virtual Result<std::vector<std::string>> list_task_checkpoints() = 0;
  // Creates the task's sandbox directory if missing and returns its path.
  virtual Result<std::string> create_sandbox(const std::string& task_id) = 0;
};

class FileAgentDisk final : public AgentDisk {
 public:
  explicit FileAgentDisk(std::string work_dir);
  // Creates the directories; fails clearly when the work dir is not writable.
  Status init();

  Status write_checkpoint(const std::string& name, std::string_view data) override;
  Result<std::optional<std::string>> read_checkpoint(const std::string& name) override;
  Status remove_checkpoint(const std::string& name) override;
  Result<std::vector<std::string>> list_task_checkpoints() override;
  Result<std::string> create_sandbox(const std::string& task_id) override;

  std::string sandbox_path(const std::string& task_id) const;
  std::string sandboxes_path() const;  // the parent of every sandbox
  std::string containers_path() const;
  std::string volume_lease_path() const;

 private:
  std::string checkpoint_path(const std::string& name) const;
  std::string work_dir_;
};

class MemoryAgentDisk final : public AgentDisk {
 public:
  Status write_checkpoint(const std::string& name, std::string_view data) override;
  Result<std::optional<std::string>> read_checkpoint(const std::string& name) override;
  Status remove_checkpoint(const std::string& name) override;
  Result<std::vector<std::string>> list_task_checkpoints() override;
  Result<std::string> create_sandbox(const std::string& task_id) override;

  std::map<std::string, std::string> checkpoints;
};

}  // namespace berth
