// Reading a chunk of a sandbox file without ever following a path out of the sandbox.
#include "agent/sandbox_files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace berth {
namespace {

// Closes a descriptor on every return path.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Refuses what could name something outside one task's sandbox before touching the disk, so
// that the kernel check below is a second line and the error says what was wrong.
Status check_path(std::string_view path) {
  if (path.empty() || path.front() == '/') {
    return malformed("path '" + std::string(path) + "' must be <task-id>/<file>");
  }
  if (path.find('\0') != std::string_view::npos) return malformed("path contains a NUL byte");
  std::size_t parts = 0;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == "..") {
      return malformed("path '" + std::string(path) + "' may not contain '', '.' or '..' parts");
    }
    ++parts;
    start = end + 1;
  }
  if (parts < 2) return malformed("path '" + std::string(path) + "' must be <task-id>/<file>");
  return {};
}

Error open_error(std::string_view path, int err) {
  if (err == ENOENT || err == ENOTDIR) return not_found("No such file: " + std::string(path));
  // openat2 answers EXDEV when resolution would leave the sandbox; the fallback for old kernels
  // answers ELOOP for a link.
  if (err == EXDEV || err == ELOOP) {
    return malformed("path '" + std::string(path) + "' leads out of the task's sandbox");
  }
  return errno_error("open " + std::string(path), err);
}

// Opens `rest` below the directory `dir` with the kernel refusing any escape (symbolic links
// included). Kernels before 5.6 lack openat2; there only files directly in the sandbox, and no
// links, can be read.
int open_beneath(int dir, const std::string& rest) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, dir, rest.c_str(), &how, sizeof(how));
  if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  if (rest.find('/') != std::string::npos) {
    errno = EXDEV;
    return -1;
  }
  return ::openat(dir, rest.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
}

}  // namespace

Result<FileChunk> read_sandbox_file(const std::string& sandboxes_dir, std::string_view path,
                                    std::int64_t offset, std::int64_t length) {
  BERTH_RETURN_IF_ERROR(check_path(path));
  if (offset < -1) return malformed("offset must be -1 or more, not " + std::to_string(offset));
  const std::size_t slash = path.find('/');
  const std::string task_id(path.substr(0, slash));
  const std::string rest(path.substr(slash + 1));

  Fd root(::open(sandboxes_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (root.get() < 0) return errno_error("open " + sandboxes_dir, errno);
  // The task's directory itself must not be a link: its name is the fence.
  Fd sandbox(::openat(root.get(), task_id.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (sandbox.get() < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) {
      return not_found("No sandbox for task '" + task_id + "'");
    }
    return errno_error("open sandbox of " + task_id, errno);
  }
  Fd file(open_beneath(sandbox.get(), rest));
  if (file.get() < 0) return open_error(path, errno);
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) return errno_error("stat " + std::string(path), errno);
  if (!S_ISREG(info.st_mode)) return malformed("'" + std::string(path) + "' is not a file");

  const std::int64_t size = info.st_size;
  if (offset == -1) return FileChunk{"", size};
  if (length < 0 || length > kMaxFileChunk) length = kMaxFileChunk;
  const std::int64_t wanted = std::max<std::int64_t>(0, std::min(length, size - offset));
  FileChunk chunk{std::string(static_cast<std::size_t>(wanted), '\0'), offset};
  std::size_t got = 0;
  while (got < chunk.data.size()) {
    ssize_t n = ::pread(file.get(), chunk.data.data() + got, chunk.data.size() - got,
                        static_cast<off_t>(offset) + static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error("read " + std::string(path), errno);
    if (n == 0) break;  // the file shrank since fstat
    got += static_cast<std::size_t>(n);
  }
  chunk.data.resize(got);
  return chunk;
}

}  // namespace berth
