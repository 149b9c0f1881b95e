// LocalDriver: local persistent volumes, the data of a resident task on its node's own disk.
// A volume is a directory <volumes_dir>/<name> (normally <work_dir>/volumes), or a btrfs
// subvolume when that directory is on btrfs (so that it can be snapshotted and sent later).
// Staging creates it on first use and binds it at the staging path; unstaging unbinds it and
// keeps the data: only an explicit destroy removes it. Sizes are not enforced (no quota), and
// epochs mean nothing here: a local volume never moves on its own.
#pragma once

#include <string>

#include "storage/node/node_driver.h"

namespace berth {

struct LocalDriverOptions {
  std::string volumes_dir;
};

class LocalDriver final : public NodeDriver {
 public:
  explicit LocalDriver(LocalDriverOptions options);

  std::string_view name() const override { return "local"; }
  Result<StagedDevice> stage(const VolumeSpec& volume, const std::string& staging_path) override;
  Status unstage(const VolumeSpec& volume, const std::string& staging_path,
                 const StagedDevice& device) override;
  Result<bool> still_staged(const VolumeSpec& volume, const std::string& staging_path,
                            const StagedDevice& device) override;
  Status publish(const VolumeSpec& volume, const std::string& staging_path,
                 const std::string& target_path, bool read_only) override;
  Status unpublish(const VolumeSpec& volume, const std::string& target_path) override;
  Result<VolumeStats> stats(const VolumeSpec& volume, const std::string& staging_path) override;

  // Removes the volume's data (Marathon's wipe); refused while it is staged anywhere here.
  Status destroy(const VolumeSpec& volume, const std::string& staging_path);

  std::string data_path(const std::string& volume) const;
  // Whether new volumes become btrfs subvolumes (the volumes dir is on btrfs).
  Result<bool> uses_subvolumes() const;

 private:
  Status create_data(const std::string& volume);
  LocalDriverOptions options_;
};

}  // namespace berth
