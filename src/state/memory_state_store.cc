// MemoryStateStore: a batch is checked and staged against an overlay first, then applied in one
// go, so a conflict anywhere in the batch leaves the map untouched.
#include "state/memory_state_store.h"

#include "state/store_rules.h"

namespace berth {

Result<std::optional<StoredValue>> MemoryStateStore::get(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::optional<StoredValue>();
  return std::optional<StoredValue>(it->second);
}

Result<std::vector<StoredEntry>> MemoryStateStore::list(std::string_view prefix) {
  std::vector<StoredEntry> out;
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && std::string_view(it->first).starts_with(prefix); ++it) {
    out.push_back({it->first, it->second});
  }
  return out;
}

Status MemoryStateStore::commit(const std::vector<Mutation>& mutations) {
  BERTH_RETURN_IF_ERROR(validate_mutations(mutations));
  if (failing_commits_ > 0) {
    --failing_commits_;
    return unavailable("memory state store: injected commit failure");
  }

  // Mutations apply in order, so a later one in the batch sees the earlier ones: the overlay
  // holds each touched key's staged value (nullopt: staged for removal).
  std::map<std::string, std::optional<StoredValue>, std::less<>> staged;
  auto current_version = [&](const std::string& key) -> std::optional<std::uint64_t> {
    if (auto it = staged.find(key); it != staged.end()) {
      if (!it->second.has_value()) return std::nullopt;
      return it->second->version;
    }
    if (auto it = entries_.find(key); it != entries_.end()) return it->second.version;
    return std::nullopt;
  };

  for (const Mutation& mutation : mutations) {
    std::optional<std::uint64_t> current = current_version(mutation.key);
    BERTH_RETURN_IF_ERROR(check_expected_version(mutation, current));
    if (mutation.kind == Mutation::Kind::kPut) {
      staged[mutation.key] = StoredValue{mutation.value, next_version(current)};
    } else {
      staged[mutation.key] = std::nullopt;
    }
  }

  for (auto& [key, value] : staged) {
    if (value.has_value()) {
      entries_.insert_or_assign(key, std::move(*value));
    } else {
      entries_.erase(key);
    }
  }
  return {};
}

void MemoryStateStore::fail_next_commits(int count) { failing_commits_ = count; }

}  // namespace berth
