// The in-memory node driver.
#include "storage/node/fake_node_driver.h"

#include <algorithm>

namespace berth {

Status FakeNodeDriver::begin(const std::string& call) {
  calls.push_back(call);
  return before ? before(call) : Status{};
}

void FakeNodeDriver::end(const std::string& call) {
  if (after) after(call);
}

Result<StagedDevice> FakeNodeDriver::stage(const VolumeSpec& volume,
                                           const std::string& staging_path) {
  const std::string call = "stage " + volume.name;
  BERTH_RETURN_IF_ERROR(begin(call));
  auto& pool_epoch = pool()[volume.name];
  if (pool_epoch > volume.epoch) {
    return conflict("stage " + volume.name + ": epoch " + std::to_string(volume.epoch) +
                    " is older than the pool's " + std::to_string(pool_epoch));
  }
  pool_epoch = volume.epoch;
  Staged& entry = staged[staging_path];
  entry.volume = volume.name;
  entry.epoch = volume.epoch;
  entry.size_mib = std::max(entry.size_mib, volume.size_mib);
  if (entry.device.empty()) entry.device = {"/dev/fake-" + volume.name, 1, ++diskseq_, 1, 1};
  end(call);
  return entry.device;
}

Status FakeNodeDriver::unstage(const VolumeSpec& volume, const std::string& staging_path,
                               const StagedDevice& device) {
  const std::string call = "unstage " + volume.name;
  BERTH_RETURN_IF_ERROR(begin(call));
  unstaged_devices.push_back(device);
  for (const auto& [target, entry] : published) {
    if (entry.staging_path == staging_path) {
      return unavailable("unstage " + volume.name + ": still published at " + target);
    }
  }
  staged.erase(staging_path);
  end(call);
  return {};
}

Result<bool> FakeNodeDriver::still_staged(const VolumeSpec& /*volume*/,
                                          const std::string& staging_path,
                                          const StagedDevice& /*device*/) {
  return staged.contains(staging_path);
}

Status FakeNodeDriver::publish(const VolumeSpec& volume, const std::string& staging_path,
                               const std::string& target_path, bool read_only) {
  const std::string call = "publish " + volume.name + " " + target_path;
  BERTH_RETURN_IF_ERROR(begin(call));
  if (!staged.contains(staging_path)) {
    return internal_error("publish " + volume.name + ": not staged at " + staging_path);
  }
  published[target_path] = {staging_path, read_only};
  end(call);
  return {};
}

Status FakeNodeDriver::unpublish(const VolumeSpec& volume, const std::string& target_path) {
  const std::string call = "unpublish " + volume.name + " " + target_path;
  BERTH_RETURN_IF_ERROR(begin(call));
  published.erase(target_path);
  end(call);
  return {};
}

Result<VolumeStats> FakeNodeDriver::stats(const VolumeSpec& volume,
                                          const std::string& staging_path) {
  auto it = staged.find(staging_path);
  if (it == staged.end()) return not_found("volume " + volume.name + " is not staged");
  VolumeStats stats;
  stats.total_bytes = static_cast<std::uint64_t>(it->second.size_mib) << 20;
  stats.available_bytes = stats.total_bytes;
  return stats;
}

}  // namespace berth
