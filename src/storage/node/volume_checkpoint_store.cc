// Volume checkpoints as crash-safe files, and their in-memory stand-in for tests.
#include "storage/node/volume_checkpoint_store.h"

#include <unistd.h>

#include <cerrno>

#include "common/atomic_file.h"

namespace berth {
namespace {
constexpr std::string_view kSuffix = ".json";
}  // namespace

FileVolumeCheckpointStore::FileVolumeCheckpointStore(std::string dir) : dir_(std::move(dir)) {}

Status FileVolumeCheckpointStore::init() { return make_directories(dir_); }

std::string FileVolumeCheckpointStore::path(const std::string& volume) const {
  return dir_ + "/" + volume + std::string(kSuffix);
}

Status FileVolumeCheckpointStore::write(const std::string& volume, std::string_view data) {
  auto written = write_file_atomically(path(volume), data);
  if (!written.ok()) return written.error().context("checkpoint volume " + volume);
  return {};
}

Result<std::optional<std::string>> FileVolumeCheckpointStore::read(const std::string& volume) {
  return read_file(path(volume));
}

Status FileVolumeCheckpointStore::remove(const std::string& volume) {
  if (::unlink(path(volume).c_str()) != 0 && errno != ENOENT) {
    return errno_error("remove checkpoint of volume " + volume, errno);
  }
  return {};
}

Result<std::vector<std::string>> FileVolumeCheckpointStore::list() {
  auto names = list_directory(dir_);
  if (!names.ok()) return names.error();
  std::vector<std::string> volumes;
  for (const auto& name : *names) {
    // Leftover ".json.tmp" files of an interrupted write are not checkpoints.
    if (name.size() > kSuffix.size() && name.ends_with(kSuffix)) {
      volumes.push_back(name.substr(0, name.size() - kSuffix.size()));
    }
  }
  return volumes;
}

Status MemoryVolumeCheckpointStore::write(const std::string& volume, std::string_view data) {
  documents[volume] = std::string(data);
  return {};
}

Result<std::optional<std::string>> MemoryVolumeCheckpointStore::read(const std::string& volume) {
  auto it = documents.find(volume);
  if (it == documents.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryVolumeCheckpointStore::remove(const std::string& volume) {
  documents.erase(volume);
  return {};
}

Result<std::vector<std::string>> MemoryVolumeCheckpointStore::list() {
  std::vector<std::string> volumes;
  for (const auto& [name, data] : documents) volumes.push_back(name);
  return volumes;
}

}  // namespace berth
