// SimVolumeService: the real NodeVolumeManager behind a queue with simulated latency.
#include "sim/sim_volume_service.h"

namespace berth::sim {

SimVolumeService::SimVolumeService(Clock& clock, Random& random, const VolumeChaos& chaos,
                                   NodeVolumeManagerOptions options, VolumeCheckpointStore& store,
                                   std::vector<NodeDriver*> drivers)
    : clock_(clock),
      random_(random),
      chaos_(chaos),
      mounts_root_(options.mounts_root),
      manager_(std::move(options), store, std::move(drivers)) {}

Duration SimVolumeService::latency() {
  const bool slow = chaos_.slow > 0 && random_.unit() < chaos_.slow;
  const Duration high = slow ? chaos_.slow_latency : chaos_.max_latency;
  const auto span = static_cast<std::uint64_t>((high - chaos_.min_latency).count());
  return chaos_.min_latency + Duration(static_cast<Duration::rep>(random_.below(span + 1)));
}

void SimVolumeService::submit(std::function<void()> work) {
  queue_.push_back(std::move(work));
  if (!busy_) run_next();
}

void SimVolumeService::run_next() {
  if (queue_.empty()) {
    busy_ = false;
    return;
  }
  busy_ = true;
  std::weak_ptr<bool> alive = alive_;
  clock_.schedule(latency(), [this, alive] {
    if (alive.expired()) return;  // the agent process died with the call in flight
    auto work = std::move(queue_.front());
    queue_.pop_front();
    work();
    if (!alive.expired()) run_next();
  });
}

void SimVolumeService::recover(std::function<void(Status)> done) {
  submit([this, done] { done(manager_.recover()); });
}

void SimVolumeService::publish(const std::string& task_id, const std::vector<TaskVolume>& volumes,
                               const std::string& sandbox,
                               std::function<void(Result<std::vector<ContainerMount>>)> done) {
  submit([this, task_id, volumes, sandbox, done] {
    std::vector<ContainerMount> mounts;
    for (const auto& volume : volumes) {
      auto mount = manager_.publish_for_task(task_id, volume, sandbox);
      if (!mount.ok()) return done(mount.error());
      mounts.push_back({mount->source, mount->target, mount->read_only});
    }
    done(std::move(mounts));
  });
}

void SimVolumeService::release(const std::string& task_id, std::function<void(Status)> done) {
  submit([this, task_id, done] { done(manager_.release_task(task_id)); });
}

void SimVolumeService::fence_all_external(std::function<void(Status)> done) {
  submit([this, done] { done(manager_.fence_all_external()); });
}

}  // namespace berth::sim
