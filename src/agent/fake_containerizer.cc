// FakeContainerizer: recorded launches, test-driven exits.
#include "agent/fake_containerizer.h"

#include <signal.h>

namespace berth {

Status FakeContainerizer::launch(const ContainerSpec& spec) {
  if (fail_launches) return internal_error("launch task " + spec.task_id + ": injected failure");
  if (running_.count(spec.task_id) != 0) return conflict("task " + spec.task_id + " runs already");
  launched[spec.task_id] = spec;
  running_.insert(spec.task_id);
  return {};
}

void FakeContainerizer::signal(const std::string& task_id, int sig) {
  signals.emplace_back(task_id, sig);
  if (running_.count(task_id) == 0) return;
  if (sig == SIGKILL || (sig == SIGTERM && exit_on_sigterm)) {
    finish(task_id, {task_id, ContainerExit::Kind::kSignaled, 0, sig, ""});
  }
}

void FakeContainerizer::recover(const std::vector<std::string>& task_ids) {
  for (const auto& id : task_ids) {
    if (running_.count(id) != 0) continue;
    auto ended = ended_while_away.find(id);
    if (ended != ended_while_away.end()) {
      callback_(ended->second);
    } else {
      callback_({id, ContainerExit::Kind::kGone, 0, 0, ""});
    }
  }
  ended_while_away.clear();
}

std::vector<std::string> FakeContainerizer::running() const {
  return {running_.begin(), running_.end()};
}

Status FakeContainerizer::publish_volume_lease(Instant deadline) {
  if (fail_lease_publication) return internal_error("publish volume lease: injected failure");
  lease_deadlines.push_back(deadline);
  return {};
}

void FakeContainerizer::finish(const std::string& task_id, ContainerExit exit) {
  running_.erase(task_id);
  exit.task_id = task_id;
  callback_(exit);
}

}  // namespace berth
