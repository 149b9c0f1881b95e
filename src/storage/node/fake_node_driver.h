// FakeNodeDriver: a NodeDriver over an in-memory "machine" (what is staged and published where)
// and an in-memory "pool" (the newest epoch per volume), for tests and the simulator. It keeps
// the real drivers' promises: idempotent calls, stale epochs refused, unstage refused while a
// publish of the volume remains. `before` and `after` run around each call's side effect, so a
// test can fail a call or crash (throw) on either side of it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "storage/node/node_driver.h"

namespace berth {

class FakeNodeDriver final : public NodeDriver {
 public:
  explicit FakeNodeDriver(std::string name = "fake") : name_(std::move(name)) {}

  std::string_view name() const override { return name_; }
  Result<StagedDevice> stage(const VolumeSpec& volume, const std::string& staging_path) override;
  Status unstage(const VolumeSpec& volume, const std::string& staging_path,
                 const StagedDevice& device) override;
  Result<bool> still_staged(const VolumeSpec& volume, const std::string& staging_path,
                            const StagedDevice& device) override;
  Status publish(const VolumeSpec& volume, const std::string& staging_path,
                 const std::string& target_path, bool read_only) override;
  Status unpublish(const VolumeSpec& volume, const std::string& target_path) override;
  Result<VolumeStats> stats(const VolumeSpec& volume, const std::string& staging_path) override;

  struct Staged {
    std::string volume;
    std::uint64_t epoch = 0;
    std::int64_t size_mib = 0;
    StagedDevice device;  // "/dev/fake-<volume>", a new diskseq at every attach
  };
  struct Published {
    std::string staging_path;
    bool read_only = false;
  };
  std::map<std::string, Staged> staged;        // by staging path
  std::map<std::string, Published> published;  // by target path
  std::map<std::string, std::uint64_t> pool_epochs;
  // Nodes that reach one storage backend see one pool: the simulator points every node's
  // external driver at the same map. Without it, `pool_epochs` is the pool.
  void share_pool(std::map<std::string, std::uint64_t>* pool) { shared_pool_ = pool; }
  std::map<std::string, std::uint64_t>& pool() {
    return shared_pool_ != nullptr ? *shared_pool_ : pool_epochs;
  }
  std::vector<std::string> calls;              // "stage v1", "publish v1 /mounts/v1/tasks/t1", ...
  std::vector<StagedDevice> unstaged_devices;  // what each unstage was given

  // Run before the side effect (an error fails the call) and after it; either may throw.
  std::function<Status(const std::string& call)> before;
  std::function<void(const std::string& call)> after;

  // Forgets every mount, as a reboot does, or a node that comes back in a new mount namespace
  // on the same kernel; the pool stays.
  void reboot() {
    staged.clear();
    published.clear();
  }

 private:
  Status begin(const std::string& call);
  void end(const std::string& call);
  std::string name_;
  std::map<std::string, std::uint64_t>* shared_pool_ = nullptr;
  std::uint64_t diskseq_ = 0;
};

}  // namespace berth
