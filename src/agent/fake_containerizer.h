// FakeContainerizer: a Containerizer for tests and the simulator. It starts nothing; it records
// launches and signals, and the test decides when and how each container ends. SIGKILL ends a
// container at once, as the kernel would; other signals are only recorded unless
// `exit_on_sigterm` is set.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "agent/containerizer.h"

namespace berth {

class FakeContainerizer final : public Containerizer {
 public:
  void set_exit_callback(ExitCallback callback) override { callback_ = std::move(callback); }
  Status launch(const ContainerSpec& spec) override;
  void signal(const std::string& task_id, int signal) override;
  void recover(const std::vector<std::string>& task_ids) override;
  void destroy(const std::string& task_id) override { destroyed.insert(task_id); }
  std::vector<std::string> running() const override;
  Status publish_volume_lease(Instant deadline) override;

  // Ends a running container as `exit` says and reports it.
  void finish(const std::string& task_id, ContainerExit exit);
  // Forgets every container, as if the machine rebooted.
  void wipe() { running_.clear(); }

  std::map<std::string, ContainerSpec> launched;
  std::vector<std::pair<std::string, int>> signals;
  std::set<std::string> destroyed;
  std::map<std::string, ContainerExit> ended_while_away;  // reported by the next recover()
  std::vector<Instant> lease_deadlines;                   // every publish_volume_lease(), in order
  bool fail_lease_publication = false;
  bool fail_launches = false;
  bool exit_on_sigterm = false;

 private:
  ExitCallback callback_;
  std::set<std::string> running_;
};

}  // namespace berth
