// LocalFetcher: the Fetcher of a live agent. It copies file:// URIs and absolute local paths into
// the sandbox (at dest_path, or under the URI's basename), unpacks archives with `tar` (.tar,
// .tar.gz, .tgz, .tar.bz2, .tbz2, .tar.xz, .txz) or `unzip` (.zip, when installed) next to the
// copy, which stays, and makes executables executable. Other schemes (http://, hdfs://, ...)
// fail: this agent downloads nothing. The copying runs on the event loop's worker pool.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "agent/fetcher.h"

namespace berth {

// Does the work, blocking; for a worker thread (and tests). The error names the URI:
// "Failed to fetch 'file:///srv/app.tgz': /srv/app.tgz: No such file or directory".
Status fetch_uris(const std::vector<FetchSpec>& uris, const std::string& sandbox_dir);

class LocalFetcher final : public Fetcher {
 public:
  // EventLoop::run_blocking: `work` on a worker thread, then `done` on the loop.
  using RunBlocking = std::function<void(std::function<void()> work, std::function<void()> done)>;

  explicit LocalFetcher(RunBlocking run_blocking) : run_blocking_(std::move(run_blocking)) {}

  void fetch(const std::vector<FetchSpec>& uris, const std::string& sandbox_dir,
             std::function<void(Status)> done) override;

 private:
  RunBlocking run_blocking_;
};

}  // namespace berth
