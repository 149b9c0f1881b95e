// The agent's work directory on disk, and its in-memory stand-in.
#include "agent/agent_disk.h"

#include <unistd.h>

#include <cerrno>

#include "common/atomic_file.h"
#include "common/strings.h"

namespace berth {
namespace {

constexpr char kTasksPrefix[] = "tasks/";
constexpr char kJson[] = ".json";

}  // namespace

FileAgentDisk::FileAgentDisk(std::string work_dir) : work_dir_(std::move(work_dir)) {}

Status FileAgentDisk::init() {
  for (const std::string& dir : {work_dir_ + "/meta/tasks", sandboxes_path(), containers_path()}) {
    auto status = make_directories(dir);
    if (!status.ok()) return status.error().context("work dir " + work_dir_);
  }
  if (::access(work_dir_.c_str(), W_OK) != 0) {
    return errno_error("work dir " + work_dir_ + " is not writable", errno);
  }
  return {};
}

std::string FileAgentDisk::checkpoint_path(const std::string& name) const {
  return work_dir_ + "/meta/" + name + kJson;
}

std::string FileAgentDisk::sandbox_path(const std::string& task_id) const {
  return sandboxes_path() + "/" + task_id;
}

std::string FileAgentDisk::sandboxes_path() const { return work_dir_ + "/sandboxes"; }

std::string FileAgentDisk::containers_path() const { return work_dir_ + "/containers"; }

std::string FileAgentDisk::volume_lease_path() const { return work_dir_ + "/volume_lease"; }

Status FileAgentDisk::write_checkpoint(const std::string& name, std::string_view data) {
  return write_file_atomically(checkpoint_path(name), data);
}

Result<std::optional<std::string>> FileAgentDisk::read_checkpoint(const std::string& name) {
  return read_file(checkpoint_path(name));
}

Status FileAgentDisk::remove_checkpoint(const std::string& name) {
  if (::unlink(checkpoint_path(name).c_str()) != 0 && errno != ENOENT) {
    return errno_error("remove checkpoint " + name, errno);
  }
  return {};
}

Result<std::vector<std::string>> FileAgentDisk::list_task_checkpoints() {
  auto names = list_directory(work_dir_ + "/meta/tasks");
  if (!names.ok()) return names.error();
  std::vector<std::string> ids;
  for (const auto& name : *names) {
    std::string_view view(name);
    if (view.size() > 5 && view.substr(view.size() - 5) == kJson) {
      ids.emplace_back(view.substr(0, view.size() - 5));
    }
  }
  return ids;
}

Result<std::string> FileAgentDisk::create_sandbox(const std::string& task_id) {
  std::string path = sandbox_path(task_id);
  BERTH_RETURN_IF_ERROR(make_directories(path));
  return path;
}

Status MemoryAgentDisk::write_checkpoint(const std::string& name, std::string_view data) {
  checkpoints[name] = std::string(data);
  return {};
}

Result<std::optional<std::string>> MemoryAgentDisk::read_checkpoint(const std::string& name) {
  auto it = checkpoints.find(name);
  if (it == checkpoints.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status MemoryAgentDisk::remove_checkpoint(const std::string& name) {
  checkpoints.erase(name);
  return {};
}

Result<std::vector<std::string>> MemoryAgentDisk::list_task_checkpoints() {
  std::vector<std::string> ids;
  for (const auto& [name, data] : checkpoints) {
    if (starts_with(name, kTasksPrefix)) ids.push_back(name.substr(sizeof(kTasksPrefix) - 1));
  }
  return ids;
}

Result<std::string> MemoryAgentDisk::create_sandbox(const std::string& task_id) {
  return "/sandboxes/" + task_id;
}

}  // namespace berth
