// JSON formats of the runtime directory's files, and /proc/<pid>/stat parsing.
#include "agent/linux/runtime_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <nlohmann/json.hpp>

namespace berth {
namespace {

using nlohmann::json;

// Runs `fn` on a parsed document and turns any JSON exception (syntax, missing field, wrong
// type) into an error value naming `what`.
template <typename T, typename Fn>
Result<T> parse_json(std::string_view text, const std::string& what, Fn fn) {
  try {
    return fn(json::parse(text));
  } catch (const json::exception& e) {
    return invalid_argument("parse " + what + ": " + e.what());
  }
}

}  // namespace

std::string encode_spec(const ContainerSpec& spec) {
  json doc{{"task_id", spec.task_id},         {"shell", spec.shell},
           {"command", spec.command},         {"arguments", spec.arguments},
           {"environment", spec.environment}, {"cpus", spec.cpus},
           {"mem_mb", spec.mem_mb},           {"sandbox_dir", spec.sandbox_dir}};
  if (!spec.hide_mounts.empty()) doc["hide_mounts"] = spec.hide_mounts;
  if (!spec.lease_volumes.empty()) doc["lease_volumes"] = spec.lease_volumes;
  if (!spec.lease_file.empty()) doc["lease_file"] = spec.lease_file;
  if (!spec.mounts.empty()) {
    json mounts = json::array();
    for (const auto& mount : spec.mounts) {
      mounts.push_back(
          {{"source", mount.source}, {"target", mount.target}, {"read_only", mount.read_only}});
    }
    doc["mounts"] = std::move(mounts);
  }
  return doc.dump();
}

Result<ContainerSpec> decode_spec(std::string_view text) {
  return parse_json<ContainerSpec>(text, "spec.json", [](const json& doc) {
    ContainerSpec spec;
    doc.at("task_id").get_to(spec.task_id);
    doc.at("shell").get_to(spec.shell);
    doc.at("command").get_to(spec.command);
    doc.at("arguments").get_to(spec.arguments);
    doc.at("environment").get_to(spec.environment);
    doc.at("cpus").get_to(spec.cpus);
    doc.at("mem_mb").get_to(spec.mem_mb);
    doc.at("sandbox_dir").get_to(spec.sandbox_dir);
    spec.hide_mounts = doc.value("hide_mounts", std::vector<std::string>{});
    spec.lease_volumes = doc.value("lease_volumes", std::vector<std::string>{});
    spec.lease_file = doc.value("lease_file", "");
    for (const auto& item : doc.value("mounts", json::array())) {
      ContainerMount mount;
      item.at("source").get_to(mount.source);
      item.at("target").get_to(mount.target);
      mount.read_only = item.value("read_only", false);
      spec.mounts.push_back(std::move(mount));
    }
    return spec;
  });
}

std::string encode_supervisor_pid(const SupervisorPid& pid) {
  return json{{"pid", pid.pid}, {"start_time", pid.start_time}}.dump();
}

Result<SupervisorPid> decode_supervisor_pid(std::string_view text) {
  return parse_json<SupervisorPid>(text, "pid", [](const json& doc) {
    SupervisorPid pid;
    doc.at("pid").get_to(pid.pid);
    doc.at("start_time").get_to(pid.start_time);
    return pid;
  });
}

std::string encode_exit_status(const ContainerExit& exit) {
  json doc;
  switch (exit.kind) {
    case ContainerExit::Kind::kSignaled:
      doc = {{"signaled", true}, {"signal", exit.signal}};
      break;
    case ContainerExit::Kind::kLaunchFailed:
      doc = {{"launch_failed", true}, {"code", exit.code}};
      break;
    case ContainerExit::Kind::kLeaseExpired:
      doc = {{"lease_expired", true}, {"signal", exit.signal}};
      break;
    default:
      doc = {{"exited", true}, {"code", exit.code}};
      break;
  }
  if (!exit.message.empty()) doc["message"] = exit.message;
  return doc.dump();
}

Result<ContainerExit> decode_exit_status(std::string_view text) {
  return parse_json<ContainerExit>(text, "exit_status", [](const json& doc) {
    ContainerExit exit;
    if (doc.value("signaled", false)) {
      exit.kind = ContainerExit::Kind::kSignaled;
      doc.at("signal").get_to(exit.signal);
    } else if (doc.value("lease_expired", false)) {
      exit.kind = ContainerExit::Kind::kLeaseExpired;
      exit.signal = doc.value("signal", SIGKILL);
    } else if (doc.value("launch_failed", false)) {
      exit.kind = ContainerExit::Kind::kLaunchFailed;
      exit.code = doc.value("code", 127);
    } else {
      exit.kind = ContainerExit::Kind::kExited;
      doc.at("code").get_to(exit.code);
    }
    exit.message = doc.value("message", "");
    return exit;
  });
}

std::string encode_volume_lease(std::int64_t deadline_boottime_ns) {
  return json{{"deadline_boottime_ns", deadline_boottime_ns}}.dump();
}

Result<std::int64_t> decode_volume_lease(std::string_view text) {
  return parse_json<std::int64_t>(text, "volume lease", [](const json& doc) {
    return doc.at("deadline_boottime_ns").get<std::int64_t>();
  });
}

std::int64_t boottime_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_BOOTTIME, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

Status replace_file(const std::string& path, std::string_view contents) {
  const std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_error("open " + temp, errno);
  std::size_t written = 0;
  while (written < contents.size()) {
    ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return errno_error("write " + temp, err);
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) return errno_error("rename " + temp, errno);
  return {};
}

Status validate_task_id(std::string_view task_id) {
  if (task_id.empty() || task_id == "." || task_id == ".." || task_id.size() > 200 ||
      task_id.find_first_of(std::string_view("/\0\n", 3)) != std::string_view::npos) {
    return invalid_argument("task id '" + std::string(task_id) +
                            "' cannot name a directory (empty, '.', '..', '/' or too long)");
  }
  return {};
}

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  // Fields after the command name, counted from 3 as in proc(5): state(3) ppid(4) ... start(22).
  std::string_view rest = text.substr(close + 1);
  ProcStat stat;
  int field = 2;
  std::size_t pos = 0;
  while (pos < rest.size() && field < 22) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    std::size_t end = rest.find(' ', pos);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view value = rest.substr(pos, end - pos);
    ++field;
    if (field == 3 && !value.empty()) {
      stat.state = value[0];
    } else if (field == 4) {
      std::from_chars(value.data(), value.data() + value.size(), stat.parent);
    } else if (field == 22) {
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), stat.start_time);
      if (ec != std::errc()) return std::nullopt;
      return stat;
    }
    pos = end;
  }
  return std::nullopt;
}

namespace {

// One read of a small /proc file, with plain syscalls: this runs on every launch.
std::optional<std::string> read_proc_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char buffer[1024];
  ssize_t n;
  do {
    n = ::read(fd, buffer, sizeof(buffer));
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  return std::string(buffer, static_cast<std::size_t>(n));
}

// P_PIDFD of <linux/wait.h>, which clashes with <sys/wait.h>.
constexpr int kIdTypePidfd = 3;

}  // namespace

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  auto text = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  if (!text) return std::nullopt;
  return parse_proc_stat(*text);
}

std::optional<ProcStat> read_proc_stat_of(int pidfd) {
  auto info = read_proc_file("/proc/self/fdinfo/" + std::to_string(pidfd));
  if (!info) return std::nullopt;
  auto at = info->find("\nPid:");
  if (at == std::string::npos) return std::nullopt;
  std::string_view rest = std::string_view(*info).substr(at + 5);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  pid_t pid = 0;
  std::from_chars(rest.data(), rest.data() + rest.size(), pid);
  // -1: the process has exited; 0: /proc's pid namespace cannot see it.
  if (pid <= 0) return std::nullopt;
  return read_proc_stat(pid);
}

bool is_our_child(int pidfd) {
  siginfo_t info{};
  return ::waitid(static_cast<idtype_t>(kIdTypePidfd), static_cast<id_t>(pidfd), &info,
                  WEXITED | WNOHANG | WNOWAIT) == 0;
}

}  // namespace berth
