// SimVolumeService: the agent's VolumeService in the simulator. Like the live service it runs
// the real NodeVolumeManager's calls one at a time, in order, off the agent's loop; here each call
// takes a latency drawn from the seed (sometimes seconds: a slow disk) and its driver calls may
// fail, as storage does. The manager's checkpoints and the drivers belong to the machine and
// survive the agent process; the manager itself (and any call in flight) dies with it.
#pragma once

#include <deque>
#include <functional>
#include <memory>

#include "agent/volume_service.h"
#include "common/clock.h"
#include "common/random.h"
#include "storage/node/node_volume_manager.h"

namespace berth::sim {

struct VolumeChaos {
  double failure = 0;  // probability that one driver call fails
  double slow = 0;     // probability that one service call takes up to `slow_latency`
  Duration min_latency = std::chrono::milliseconds(1);
  Duration max_latency = std::chrono::milliseconds(30);
  Duration slow_latency = std::chrono::seconds(4);
};

class SimVolumeService final : public VolumeService {
 public:
  SimVolumeService(Clock& clock, Random& random, const VolumeChaos& chaos,
                   NodeVolumeManagerOptions options, VolumeCheckpointStore& store,
                   std::vector<NodeDriver*> drivers);
  ~SimVolumeService() override = default;

  void recover(std::function<void(Status)> done) override;
  void publish(const std::string& task_id, const std::vector<TaskVolume>& volumes,
               const std::string& sandbox,
               std::function<void(Result<std::vector<ContainerMount>>)> done) override;
  void release(const std::string& task_id, std::function<void(Status)> done) override;
  void fence_all_external(std::function<void(Status)> done) override;
  std::string mounts_root() const override { return mounts_root_; }
  std::vector<MountedVolume> mounted() const override { return manager_.mounted(); }
  std::vector<std::string> drivers() const override { return manager_.driver_names(); }
  std::vector<std::string> claimed_tasks() const override { return manager_.claimed_tasks(); }

 private:
  // Queues `work`; it runs after the calls queued before it, once its latency has passed.
  void submit(std::function<void()> work);
  void run_next();
  Duration latency();

  Clock& clock_;
  Random& random_;
  const VolumeChaos& chaos_;
  std::string mounts_root_;
  NodeVolumeManager manager_;
  std::deque<std::function<void()>> queue_;
  bool busy_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace berth::sim
