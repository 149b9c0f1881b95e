// VolumeCheckpointStore: where the NodeVolumeManager keeps one small document per volume. A
// write is durable when it returns (the file store fsyncs the file and its directory), so a
// state written before a driver call is on disk before the call starts. Used from the volume
// worker thread only.
//
// FileVolumeCheckpointStore layout:
//
//   <dir>/                      normally <work_dir>/meta/volumes
//     <volume name>.json        a NodeVolume (node_volume_state.h)
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth {

class VolumeCheckpointStore {
 public:
  virtual ~VolumeCheckpointStore() = default;
  virtual Status write(const std::string& volume, std::string_view data) = 0;
  virtual Result<std::optional<std::string>> read(const std::string& volume) = 0;
  // Removing a missing checkpoint succeeds. Not fsynced: a removal lost in a crash brings back
  // a record whose recovery repeats an idempotent unstage.
  virtual Status remove(const std::string& volume) = 0;
  virtual Result<std::vector<std::string>> list() = 0;
};

class FileVolumeCheckpointStore final : public VolumeCheckpointStore {
 public:
  explicit FileVolumeCheckpointStore(std::string dir);
  Status init();  // creates the directory

  Status write(const std::string& volume, std::string_view data) override;
  Result<std::optional<std::string>> read(const std::string& volume) override;
  Status remove(const std::string& volume) override;
  Result<std::vector<std::string>> list() override;

 private:
  std::string path(const std::string& volume) const;
  std::string dir_;
};

class MemoryVolumeCheckpointStore final : public VolumeCheckpointStore {
 public:
  Status write(const std::string& volume, std::string_view data) override;
  Result<std::optional<std::string>> read(const std::string& volume) override;
  Status remove(const std::string& volume) override;
  Result<std::vector<std::string>> list() override;

  std::map<std::string, std::string> documents;
};

}  // namespace berth
