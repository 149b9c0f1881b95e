// LeaseWatch: reads the published volume lease with plain syscalls, a few times a second.
#include "agent/linux/lease_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "agent/linux/runtime_dir.h"

namespace berth {
namespace {

std::string names_text(const std::vector<std::string>& volumes) {
  std::string text = volumes.size() == 1 ? "volume " : "volumes ";
  for (std::size_t i = 0; i < volumes.size(); ++i) text += (i == 0 ? "" : ", ") + volumes[i];
  return text;
}

}  // namespace

Result<LeaseWatch> LeaseWatch::open(const std::string& lease_file,
                                    std::vector<std::string> volumes) {
  const auto slash = lease_file.rfind('/');
  if (lease_file.empty() || lease_file.front() != '/' || slash + 1 == lease_file.size()) {
    return invalid_argument("volume lease file '" + lease_file + "' is not an absolute file path");
  }
  const std::string dir = slash == 0 ? "/" : lease_file.substr(0, slash);
  int fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_error("open the volume lease's directory " + dir, errno);
  return LeaseWatch(fd, lease_file, lease_file.substr(slash + 1), std::move(volumes));
}

LeaseWatch::LeaseWatch(int dir_fd, std::string path, std::string name,
                       std::vector<std::string> volumes)
    : dir_fd_(dir_fd),
      path_(std::move(path)),
      name_(std::move(name)),
      volumes_(std::move(volumes)) {}

LeaseWatch::LeaseWatch(LeaseWatch&& other) noexcept
    : dir_fd_(other.dir_fd_),
      path_(std::move(other.path_)),
      name_(std::move(other.name_)),
      volumes_(std::move(other.volumes_)) {
  other.dir_fd_ = -1;
}

LeaseWatch::~LeaseWatch() {
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::optional<std::string> LeaseWatch::check(std::int64_t now_ns) const {
  const std::string lease = "this node's lease on " + names_text(volumes_);
  auto unreadable = [&](const std::string& why) {
    return lease + " cannot be read from " + path_ + " (" + why + "): nothing says it still holds";
  };
  // Opened anew each time: the agent replaces the file by renaming a new one over it.
  int fd = ::openat(dir_fd_, name_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return unreadable(std::strerror(errno));
  char buffer[256];
  ssize_t n;
  do {
    n = ::read(fd, buffer, sizeof(buffer));
  } while (n < 0 && errno == EINTR);
  const int read_errno = errno;
  ::close(fd);
  if (n < 0) return unreadable(std::strerror(read_errno));
  auto deadline = decode_volume_lease(std::string_view(buffer, static_cast<std::size_t>(n)));
  if (!deadline.ok()) return unreadable(deadline.error().message);
  if (now_ns < *deadline) return std::nullopt;
  return lease + " expired " + std::to_string((now_ns - *deadline) / 1'000'000) +
         " ms ago and no agent renewed it (is the agent running?)";
}

}  // namespace berth
