// LocalFetcher: copy, unpack and chmod, each failure naming the URI it was for.
#include "agent/local_fetcher.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

extern char** environ;

namespace berth {
namespace {

namespace fs = std::filesystem;

enum class Archive { kNone, kTar, kZip };

bool ends_with(const std::string& text, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

Archive archive_kind(const std::string& name) {
  for (const char* suffix : {".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz"}) {
    if (ends_with(name, suffix)) return Archive::kTar;
  }
  if (ends_with(name, ".zip")) return Archive::kZip;
  return Archive::kNone;
}

// The local path a URI names, or why it cannot be fetched here.
Result<std::string> local_path(const std::string& uri) {
  constexpr std::string_view kFile = "file://";
  if (uri.starts_with(kFile)) {
    std::string path = uri.substr(kFile.size());
    if (!path.starts_with("/")) {
      return invalid_argument("only file:///absolute/path URIs name a file on this host");
    }
    return path;
  }
  if (uri.starts_with("/")) return uri;
  auto scheme_end = uri.find("://");
  if (scheme_end != std::string::npos) {
    return invalid_argument("scheme '" + uri.substr(0, scheme_end) +
                            "' is not supported: this agent fetches only file:// URIs and "
                            "absolute local paths (it downloads nothing)");
  }
  return invalid_argument("a relative path cannot be fetched; use an absolute path or file://");
}

// Where in the sandbox the file goes; dest_path may not leave the sandbox.
Result<fs::path> destination(const FetchSpec& spec, const std::string& source,
                             const std::string& sandbox_dir) {
  fs::path relative =
      spec.dest_path.empty() ? fs::path(source).filename() : fs::path(spec.dest_path);
  if (relative.empty() || relative.is_absolute()) {
    return invalid_argument("destPath '" + spec.dest_path + "' must be relative to the sandbox");
  }
  for (const auto& part : relative) {
    if (part == "..") {
      return invalid_argument("destPath '" + spec.dest_path + "' leaves the sandbox");
    }
  }
  return fs::path(sandbox_dir) / relative;
}

bool executable_exists(const char* name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return true;
    start = end + 1;
  }
  return false;
}

// Runs argv (looked up in PATH) to completion; its stderr (the first KiB) is the error.
Status run(const std::vector<std::string>& args) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return errno_error("pipe", errno);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  ::posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(err_pipe[1]);
  if (spawned != 0) {
    ::close(err_pipe[0]);
    return errno_error("run " + args[0], spawned);
  }
  std::string errors;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(err_pipe[0], buffer, sizeof buffer)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (errors.size() < 1024) errors.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  while (!errors.empty() && (errors.back() == '\n' || errors.back() == ' ')) errors.pop_back();
  std::string how = WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                      : "was killed by a signal";
  return internal_error(args[0] + " " + how + (errors.empty() ? "" : ": " + errors));
}

Status fetch_one(const FetchSpec& spec, const std::string& sandbox_dir) {
  auto source = local_path(spec.uri);
  if (!source.ok()) return source.error();
  struct stat info {};
  if (::stat(source->c_str(), &info) != 0) return errno_error(*source, errno);
  if (!S_ISREG(info.st_mode)) return invalid_argument(*source + " is not a regular file");
  auto dest = destination(spec, *source, sandbox_dir);
  if (!dest.ok()) return dest.error();

  std::error_code error;
  fs::create_directories(dest->parent_path(), error);
  if (error)
    return internal_error("create " + dest->parent_path().string() + ": " + error.message());
  fs::copy_file(*source, *dest, fs::copy_options::overwrite_existing, error);
  if (error) return internal_error("copy to " + dest->string() + ": " + error.message());

  if (spec.executable) {
    fs::permissions(*dest, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add, error);
    if (error) return internal_error("chmod +x " + dest->string() + ": " + error.message());
    return {};
  }
  if (!spec.extract) return {};
  const std::string into = dest->parent_path().string();
  switch (archive_kind(dest->filename().string())) {
    case Archive::kNone:
      return {};
    case Archive::kTar:
      // GNU tar recognises gzip, bzip2 and xz compression by itself when reading a file.
      return run({"tar", "-C", into, "-xf", dest->string()});
    case Archive::kZip:
      if (!executable_exists("unzip")) {
        return unavailable("cannot extract a .zip: unzip is not installed on this agent");
      }
      return run({"unzip", "-q", "-o", dest->string(), "-d", into});
  }
  return {};
}

}  // namespace

Status fetch_uris(const std::vector<FetchSpec>& uris, const std::string& sandbox_dir) {
  for (const auto& spec : uris) {
    auto fetched = fetch_one(spec, sandbox_dir);
    if (!fetched.ok()) return fetched.error().context("Failed to fetch '" + spec.uri + "'");
  }
  return {};
}

void LocalFetcher::fetch(const std::vector<FetchSpec>& uris, const std::string& sandbox_dir,
                         std::function<void(Status)> done) {
  auto result = std::make_shared<Status>();
  run_blocking_([result, uris, sandbox_dir] { *result = fetch_uris(uris, sandbox_dir); },
                [result, done = std::move(done)] { done(*result); });
}

}  // namespace berth
