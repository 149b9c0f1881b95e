// Fetcher: puts a task's URIs (TaskSpec::fetch) into its sandbox before the task starts, as
// Mesos' fetcher does. LocalFetcher (local_fetcher.h) copies file:// URIs and local paths and
// unpacks archives on a worker thread; unit tests use a fake that answers when told.
//
// Threading: fetch() is called on the agent's event loop; `done` runs on it, never inside
// fetch() itself.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "api/agent_protocol.h"
#include "common/result.h"

namespace berth {

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Fetches every URI in order into `sandbox_dir`; `done` gets the first failure, whose
  // message names the URI ("Failed to fetch 'file:///x.tgz': ...").
  virtual void fetch(const std::vector<FetchSpec>& uris, const std::string& sandbox_dir,
                     std::function<void(Status)> done) = 0;
};

}  // namespace berth
