// LiveVolumeService: NodeVolumeManager calls in order on worker threads.
#include "agent/live_volume_service.h"

#include <spdlog/spdlog.h>
#include <sys/mount.h>

#include <cerrno>
#include <deque>
#include <filesystem>

#include "storage/node/blockpool_driver.h"
#include "storage/node/local_driver.h"
#include "storage/node/node_mounts.h"
#include "storage/node/node_volume_manager.h"
#include "storage/node/volume_checkpoint_store.h"

namespace berth {

struct LiveVolumeService::Node {
  explicit Node(const LiveVolumeOptions& options)
      : store(options.work_dir + "/meta/volumes"),
        local(LocalDriverOptions{options.work_dir + "/volumes"}) {
    std::vector<NodeDriver*> drivers{&local};
    if (!options.pool_dir.empty()) {
      BlockpoolOptions pool;
      pool.pool_dir = options.pool_dir;
      blockpool = std::make_unique<BlockpoolDriver>(pool);
      drivers.push_back(blockpool.get());
    }
    manager = std::make_unique<NodeVolumeManager>(
        NodeVolumeManagerOptions{options.work_dir + "/volume_mounts", options.boot_id}, store,
        drivers);
  }

  FileVolumeCheckpointStore store;
  LocalDriver local;
  std::unique_ptr<BlockpoolDriver> blockpool;
  std::unique_ptr<NodeVolumeManager> manager;
};

struct LiveVolumeService::State {
  RunBlocking run_blocking;
  LiveVolumeOptions options;
  // Touched only by the job running on a worker; jobs never overlap (busy).
  Node node;
  // On the loop only.
  struct Job {
    std::function<void(Node&)> work;
    std::function<void()> done;
  };
  std::deque<Job> queue;
  bool busy = false;
  std::vector<MountedVolume> mounted;
  std::vector<std::string> claimed;
  std::vector<std::string> drivers;  // fixed at construction

  State(RunBlocking run, LiveVolumeOptions opts)
      : run_blocking(std::move(run)),
        options(std::move(opts)),
        node(options),
        drivers(node.manager->driver_names()) {}
};

LiveVolumeService::LiveVolumeService(RunBlocking run_blocking, LiveVolumeOptions options)
    : state_(std::make_shared<State>(std::move(run_blocking), std::move(options))) {}

LiveVolumeService::~LiveVolumeService() = default;

Status LiveVolumeService::init() {
  const auto& options = state_->options;
  std::error_code error;
  for (const auto& dir : {options.work_dir + "/volumes", options.work_dir + "/volume_mounts"}) {
    std::filesystem::create_directories(dir, error);
    if (error) return internal_error("create " + dir + ": " + error.message());
  }
  if (!options.pool_dir.empty()) {
    std::filesystem::create_directories(options.pool_dir, error);
    if (error)
      return internal_error("create --volume_pool " + options.pool_dir + ": " + error.message());
  }
  BERTH_RETURN_IF_ERROR(state_->node.store.init());
  auto private_root = make_private_mount_root(options.work_dir + "/volume_mounts");
  if (!private_root.ok()) return private_root.error().context("volume mount root");
  spdlog::info("volumes: mounts under {}/volume_mounts, pool {}", options.work_dir,
               options.pool_dir.empty() ? "(none: no blockpool volumes)" : options.pool_dir);
  return {};
}

Status LiveVolumeService::release_all_and_unmount_root() {
  if (state_->busy) return unavailable("a volume operation is still running");
  NodeVolumeManager& manager = *state_->node.manager;
  for (const std::string& task_id : manager.claimed_tasks()) {
    BERTH_RETURN_IF_ERROR(manager.release_task(task_id));
  }
  return unmount_root_if_unused();
}

Status LiveVolumeService::unmount_root_if_unused() {
  if (state_->busy) return unavailable("a volume operation is still running");
  if (!state_->node.manager->mounted().empty()) return {};  // kept for the next agent
  const std::string root = state_->options.work_dir + "/volume_mounts";
  if (::umount2(root.c_str(), 0) != 0 && errno != EINVAL) {
    return errno_error("unmount " + root, errno);
  }
  return {};
}

void LiveVolumeService::submit(std::function<void(Node&)> work, std::function<void()> done) {
  state_->queue.push_back({std::move(work), std::move(done)});
  if (!state_->busy) run_next(state_);
}

void LiveVolumeService::run_next(const std::shared_ptr<State>& state) {
  if (state->queue.empty()) {
    state->busy = false;
    return;
  }
  state->busy = true;
  auto job = std::make_shared<State::Job>(std::move(state->queue.front()));
  state->queue.pop_front();
  // The snapshot is taken on the worker, right after the job, while nothing else runs.
  auto mounted = std::make_shared<std::vector<MountedVolume>>();
  auto claimed = std::make_shared<std::vector<std::string>>();
  // The worker holds the state (a job may outlive the service); the loop's half runs only while
  // the service is alive.
  std::weak_ptr<State> weak = state;
  state->run_blocking(
      [state, job, mounted, claimed] {
        job->work(state->node);
        *mounted = state->node.manager->mounted();
        *claimed = state->node.manager->claimed_tasks();
      },
      [weak, job, mounted, claimed] {
        auto alive = weak.lock();
        if (!alive) return;
        alive->mounted = std::move(*mounted);
        alive->claimed = std::move(*claimed);
        job->done();
        run_next(alive);
      });
}

void LiveVolumeService::recover(std::function<void(Status)> done) {
  auto result = std::make_shared<Status>();
  submit([result](Node& node) { *result = node.manager->recover(); },
         [result, done = std::move(done)] { done(*result); });
}

void LiveVolumeService::publish(const std::string& task_id, const std::vector<TaskVolume>& volumes,
                                const std::string& sandbox,
                                std::function<void(Result<std::vector<ContainerMount>>)> done) {
  auto result =
      std::make_shared<Result<std::vector<ContainerMount>>>(std::vector<ContainerMount>{});
  submit(
      [result, task_id, volumes, sandbox](Node& node) {
        std::vector<ContainerMount> mounts;
        for (const auto& volume : volumes) {
          auto mount = node.manager->publish_for_task(task_id, volume, sandbox);
          if (!mount.ok()) {
            *result = mount.error().context("volume " + volume.volume.name + " (" +
                                            volume.volume.driver + ") at " + volume.container_path);
            return;
          }
          mounts.push_back({mount->source, mount->target, mount->read_only});
        }
        *result = std::move(mounts);
      },
      [result, done = std::move(done)] { done(std::move(*result)); });
}

void LiveVolumeService::release(const std::string& task_id, std::function<void(Status)> done) {
  auto result = std::make_shared<Status>();
  submit([result, task_id](Node& node) { *result = node.manager->release_task(task_id); },
         [result, done = std::move(done)] { done(*result); });
}

void LiveVolumeService::fence_all_external(std::function<void(Status)> done) {
  auto result = std::make_shared<Status>();
  submit([result](Node& node) { *result = node.manager->fence_all_external(); },
         [result, done = std::move(done)] { done(*result); });
}

std::string LiveVolumeService::mounts_root() const {
  return state_->options.work_dir + "/volume_mounts";
}

std::vector<MountedVolume> LiveVolumeService::mounted() const { return state_->mounted; }
std::vector<std::string> LiveVolumeService::drivers() const { return state_->drivers; }

std::vector<std::string> LiveVolumeService::claimed_tasks() const { return state_->claimed; }

}  // namespace berth
