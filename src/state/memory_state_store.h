// MemoryStateStore: a StateStore held in a std::map, for unit tests and the simulator. It keeps
// the exact semantics of the durable backends (versions, atomic batches, conflicts) and can be
// told to fail commits, so tests can show that a failed persist leaves nothing half-applied.
//
// It is "durable" for as long as the object lives: a simulated master crash keeps the store and
// builds a new master on top of it. Used from one thread at a time, like every StateStore.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "state/state_store.h"

namespace berth {

class MemoryStateStore final : public StateStore {
 public:
  MemoryStateStore() = default;

  Result<std::optional<StoredValue>> get(std::string_view key) override;
  Result<std::vector<StoredEntry>> list(std::string_view prefix) override;
  Status commit(const std::vector<Mutation>& mutations) override;

  // Fault injection: the next `count` commits fail with kUnavailable and apply nothing, as a
  // full or failing disk would. Reads keep working.
  void fail_next_commits(int count);

 private:
  // std::less<> lets get() and list() look up a string_view without building a std::string.
  std::map<std::string, StoredValue, std::less<>> entries_;
  int failing_commits_ = 0;
};

}  // namespace berth
