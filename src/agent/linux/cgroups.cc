// Cgroup v1 and v2 through their files: mkdir/rmdir for groups, small writes for limits and
// membership. Plain syscalls rather than iostreams: every launch and exit goes through here.
#include "agent/linux/cgroups.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <optional>
#include <set>
#include <string_view>
#include <thread>

#include "common/strings.h"

namespace berth {
namespace {

// From <linux/magic.h>, spelled out to keep kernel headers out.
constexpr long kCgroup2SuperMagic = 0x63677270;

// The controllers Berth uses: limits (cpu, memory) and a reliable process list (pids). Not
// cpuacct where it is a hierarchy of its own: nothing reads its figures yet, and each v1
// hierarchy costs every task a mkdir, a migration and an rmdir (about 1 ms of CPU per launch
// measured with cpuacct included; see linux_containerizer_bench).
constexpr const char* kControllers[] = {"cpu", "memory", "pids"};

// The kernel's CFS period; quotas are expressed per period.
constexpr long kCpuPeriodUs = 100000;

bool file_exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

std::optional<long> filesystem_type(const std::string& path) {
  struct statfs info {};
  if (::statfs(path.c_str(), &info) != 0) return std::nullopt;
  return static_cast<long>(info.f_type);
}

// The whole of a small kernel file; nullopt if it does not exist.
Result<std::optional<std::string>> read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return errno_error("open " + path, errno);
  }
  std::string contents;
  char buffer[4096];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      // A cgroup removed under our feet reads as ENODEV.
      if (err == ENODEV) return std::optional<std::string>();
      return errno_error("read " + path, err);
    }
    if (n == 0) break;
    contents.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return std::optional<std::string>(std::move(contents));
}

Status write_small_file(const std::string& path, std::string_view value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("write " + path, errno);
  ssize_t n;
  do {
    n = ::write(fd, value.data(), value.size());
  } while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  if (n < 0) return errno_error("write '" + std::string(value) + "' to " + path, err);
  return {};
}

// "key value" lines (memory.events, memory.oom_control): the value of `key`, if present.
std::optional<std::uint64_t> keyed_value(std::string_view text, std::string_view key) {
  for (std::string_view line : split(text, '\n')) {
    auto space = line.find(' ');
    if (space == std::string_view::npos || line.substr(0, space) != key) continue;
    std::string_view number = trim(line.substr(space + 1));
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec == std::errc()) return value;
  }
  return std::nullopt;
}

Status make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return errno_error("create cgroup " + path, errno);
  }
  return {};
}

}  // namespace

bool Cgroups::Hierarchy::has(const std::string& controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

Result<Cgroups> Cgroups::detect(const std::string& mount) {
  if (filesystem_type(mount) == kCgroup2SuperMagic) {
    auto available = read_small_file(mount + "/cgroup.controllers");
    if (!available.ok()) return available.error().context("detect cgroup v2");
    std::set<std::string> offered;
    const std::string offered_text = available->value_or("");
    for (std::string_view name : split(trim(offered_text), ' ')) {
      offered.insert(std::string(name));
    }
    Hierarchy unified{mount, {}};
    for (const char* controller : kControllers) {
      if (offered.count(controller) != 0) unified.controllers.push_back(controller);
    }
    return Cgroups(Version::kV2, {unified});
  }

  // v1: one mount per hierarchy, its controllers among the mount options ("rw,cpu,cpuacct").
  // The mount table says it reliably; the root cgroup of a hierarchy lacks most control files.
  auto mounts = read_small_file("/proc/self/mounts");
  if (!mounts.ok()) return mounts.error().context("detect cgroup v1");
  std::vector<Hierarchy> hierarchies;
  const std::string table = mounts->value_or("");
  for (std::string_view line : split(table, '\n')) {
    auto fields = split(line, ' ');
    if (fields.size() < 4 || fields[2] != "cgroup" || !starts_with(fields[1], mount + "/")) {
      continue;
    }
    Hierarchy hierarchy{std::string(fields[1]), {}};
    for (std::string_view option : split(fields[3], ',')) {
      for (const char* controller : kControllers) {
        if (option == controller) hierarchy.controllers.push_back(controller);
      }
    }
    if (!hierarchy.controllers.empty()) hierarchies.push_back(std::move(hierarchy));
  }
  if (hierarchies.empty()) {
    return internal_error("no cgroup hierarchy at " + mount +
                          ": neither a cgroup2 mount nor v1 cpu, memory or pids controllers");
  }
  return Cgroups(Version::kV1, std::move(hierarchies));
}

Cgroups Cgroups::with_layout(Version version,
                             std::vector<std::pair<std::string, std::vector<std::string>>> roots) {
  std::vector<Hierarchy> hierarchies;
  for (auto& [root, controllers] : roots) {
    hierarchies.push_back({std::move(root), std::move(controllers)});
  }
  return Cgroups(version, std::move(hierarchies));
}

bool Cgroups::has_controller(const std::string& controller) const {
  return hierarchy_with(controller) != nullptr;
}

const Cgroups::Hierarchy* Cgroups::hierarchy_with(const std::string& controller) const {
  for (const auto& hierarchy : hierarchies_) {
    if (hierarchy.has(controller)) return &hierarchy;
  }
  return nullptr;
}

std::string Cgroups::describe() const {
  std::string text = version_ == Version::kV1 ? "v1:" : "v2 at " + hierarchies_[0].root + ":";
  for (const auto& hierarchy : hierarchies_) {
    for (const auto& controller : hierarchy.controllers) text += " " + controller;
  }
  return text;
}

std::vector<std::string> Cgroups::paths(const std::string& name) const {
  std::vector<std::string> result;
  for (const auto& hierarchy : hierarchies_) result.push_back(hierarchy.root + "/" + name);
  return result;
}

bool Cgroups::exists(const std::string& name) const {
  for (const auto& path : paths(name)) {
    if (file_exists(path)) return true;
  }
  return false;
}

Status Cgroups::create(const std::string& name) const {
  for (const auto& hierarchy : hierarchies_) {
    std::string path = hierarchy.root;
    std::string relative;
    auto parts = split(name, '/');
    for (std::size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].empty()) continue;
      // v2 hands controllers down one level at a time: a level must enable them for its
      // children before a child can have, say, memory.max.
      if (version_ == Version::kV2) BERTH_RETURN_IF_ERROR(enable_controllers(relative));
      relative += (relative.empty() ? "" : "/") + std::string(parts[i]);
      path += "/" + std::string(parts[i]);
      BERTH_RETURN_IF_ERROR(make_directory(path));
    }
  }
  return {};
}

Status Cgroups::enable_controllers(const std::string& name) const {
  const Hierarchy& unified = hierarchies_[0];
  std::string dir = name.empty() ? unified.root : unified.root + "/" + name;
  auto enabled = read_small_file(dir + "/cgroup.subtree_control");
  if (!enabled.ok()) return enabled.error();
  std::set<std::string_view> present;
  std::string text = enabled->value_or("");
  for (std::string_view controller : split(trim(text), ' ')) present.insert(controller);
  std::string missing;
  for (const auto& controller : unified.controllers) {
    if (present.count(controller) == 0) missing += (missing.empty() ? "+" : " +") + controller;
  }
  if (missing.empty()) return {};
  return write_small_file(dir + "/cgroup.subtree_control", missing);
}

Status Cgroups::set_limits(const std::string& name, const CgroupLimits& limits) const {
  if (limits.cpus > 0) {
    if (const Hierarchy* cpu = hierarchy_with("cpu")) {
      std::string dir = cpu->root + "/" + name;
      // 1024 shares per cpu is the v1 convention (Mesos, Docker); v2's weight is derived from
      // the shares with the formula runc and systemd use, so both versions rank tasks alike.
      auto shares = std::max<long long>(2, std::llround(limits.cpus * 1024));
      auto quota = std::max<long long>(1000, std::llround(limits.cpus * kCpuPeriodUs));
      if (version_ == Version::kV1) {
        BERTH_RETURN_IF_ERROR(write_small_file(dir + "/cpu.shares", std::to_string(shares)));
        BERTH_RETURN_IF_ERROR(
            write_small_file(dir + "/cpu.cfs_period_us", std::to_string(kCpuPeriodUs)));
        BERTH_RETURN_IF_ERROR(write_small_file(dir + "/cpu.cfs_quota_us", std::to_string(quota)));
      } else {
        long long weight = std::clamp<long long>(1 + ((shares - 2) * 9999) / 262142, 1, 10000);
        BERTH_RETURN_IF_ERROR(write_small_file(dir + "/cpu.weight", std::to_string(weight)));
        BERTH_RETURN_IF_ERROR(write_small_file(
            dir + "/cpu.max", std::to_string(quota) + " " + std::to_string(kCpuPeriodUs)));
      }
    }
  }
  if (limits.mem_bytes > 0) {
    if (const Hierarchy* memory = hierarchy_with("memory")) {
      std::string dir = memory->root + "/" + name;
      std::string bytes = std::to_string(limits.mem_bytes);
      if (version_ == Version::kV1) {
        // memsw (memory + swap) must stay >= the memory limit, so it is set second. It exists
        // only with swap accounting on; without it the task may swap.
        BERTH_RETURN_IF_ERROR(write_small_file(dir + "/memory.limit_in_bytes", bytes));
        if (file_exists(dir + "/memory.memsw.limit_in_bytes")) {
          BERTH_RETURN_IF_ERROR(write_small_file(dir + "/memory.memsw.limit_in_bytes", bytes));
        } else {
          // Without swap accounting, keep the cgroup's reclaim from swapping at least.
          BERTH_RETURN_IF_ERROR(write_small_file(dir + "/memory.swappiness", "0"));
        }
      } else {
        BERTH_RETURN_IF_ERROR(write_small_file(dir + "/memory.max", bytes));
        if (file_exists(dir + "/memory.swap.max")) {
          BERTH_RETURN_IF_ERROR(write_small_file(dir + "/memory.swap.max", "0"));
        }
      }
    }
  }
  return {};
}

Status Cgroups::add_process(const std::string& name, pid_t pid) const {
  for (const auto& path : paths(name)) {
    auto status = write_small_file(path + "/cgroup.procs", std::to_string(pid));
    if (!status.ok()) return status.error().context("add pid " + std::to_string(pid));
  }
  return {};
}

Result<std::vector<pid_t>> Cgroups::processes(const std::string& name) const {
  std::set<pid_t> found;
  for (const auto& path : paths(name)) {
    auto text = read_small_file(path + "/cgroup.procs");
    if (!text.ok()) return text.error();
    if (!text->has_value()) continue;
    for (std::string_view line : split(**text, '\n')) {
      pid_t pid = 0;
      auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), pid);
      if (ec == std::errc() && pid > 0) found.insert(pid);
    }
  }
  return std::vector<pid_t>(found.begin(), found.end());
}

Result<std::size_t> Cgroups::kill_all(const std::string& name,
                                      std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::set<pid_t> killed;
  // v2's cgroup.kill kills atomically, even processes forking as we go; v1 needs a loop that
  // kills what it sees until nothing is left. A pid may in theory be reused between reading
  // cgroup.procs and kill(); the window is microseconds and the pid space is large.
  std::string kill_file = version_ == Version::kV2 ? paths(name)[0] + "/cgroup.kill" : "";
  bool use_kill_file = !kill_file.empty() && file_exists(kill_file);
  while (true) {
    auto pids = processes(name);
    if (!pids.ok()) return pids.error().context("kill cgroup " + name);
    if (pids->empty()) break;
    if (use_kill_file) {
      auto status = write_small_file(kill_file, "1");
      if (!status.ok() && file_exists(kill_file)) return status.error();
    }
    for (pid_t pid : *pids) {
      if (!use_kill_file) ::kill(pid, SIGKILL);
      killed.insert(pid);
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return killed.size();
}

Result<std::uint64_t> Cgroups::oom_kills(const std::string& name) const {
  const Hierarchy* memory = hierarchy_with("memory");
  if (memory == nullptr) return std::uint64_t{0};
  std::string dir = memory->root + "/" + name;
  if (version_ == Version::kV2) {
    auto events = read_small_file(dir + "/memory.events");
    if (!events.ok()) return events.error();
    return keyed_value(events->value_or(""), "oom_kill").value_or(0);
  }
  auto control = read_small_file(dir + "/memory.oom_control");
  if (!control.ok()) return control.error();
  if (auto kills = keyed_value(control->value_or(""), "oom_kill")) return *kills;
  // Kernels before 4.13 have no oom_kill line; failcnt counts hits of the limit, which with a
  // task that died by SIGKILL is the best sign left.
  auto failcnt = read_small_file(dir + "/memory.failcnt");
  if (!failcnt.ok()) return failcnt.error();
  std::uint64_t count = 0;
  std::string text(trim(failcnt->value_or("0")));
  std::from_chars(text.data(), text.data() + text.size(), count);
  return count;
}

Status Cgroups::remove(const std::string& name) const {
  for (const auto& path : paths(name)) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (::rmdir(path.c_str()) != 0) {
      if (errno == ENOENT) break;
      if (errno != EBUSY || std::chrono::steady_clock::now() >= deadline) {
        return errno_error("remove cgroup " + path, errno);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  return {};
}

Result<std::vector<std::string>> Cgroups::children(const std::string& name) const {
  std::set<std::string> found;
  for (const auto& path : paths(name)) {
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      if (errno == ENOENT) continue;
      return errno_error("list cgroup " + path, errno);
    }
    while (dirent* entry = ::readdir(dir)) {
      std::string_view child = entry->d_name;
      if (entry->d_type == DT_DIR && child != "." && child != "..") found.emplace(child);
    }
    ::closedir(dir);
  }
  return std::vector<std::string>(found.begin(), found.end());
}

}  // namespace berth
