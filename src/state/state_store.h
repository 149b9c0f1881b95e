// StateStore: the master's durable memory. A versioned compare-and-set key/value store, the shape
// of Mesos' Storage: every key carries a version that starts at 1 when the key is created and
// grows by one with each put. A commit applies a batch of mutations atomically, or none of them
// when any expected version does not match, so the master's single writer can persist a command
// with all the keys it touches before acknowledging it to anyone.
//
// Backends: MemoryStateStore (tests, simulation), SqliteStateStore (the embedded default, one
// master, WAL mode, durable when commit() returns). A ZooKeeper backend for several masters comes
// later behind the same interface.
//
// Threading: a store is used from one thread at a time (the master's event loop). Calls are
// synchronous: an embedded store answers in microseconds to a few milliseconds (one fsync).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace berth {

struct StoredValue {
  std::string value;
  std::uint64_t version = 0;
};

struct StoredEntry {
  std::string key;
  StoredValue stored;
};

struct Mutation {
  enum class Kind { kPut, kRemove };

  Kind kind = Kind::kPut;
  std::string key;
  std::string value;  // kPut only
  // nullopt: unconditional. 0: the key must not exist. N: the key must be at version N.
  std::optional<std::uint64_t> expected_version;

  static Mutation put(std::string key, std::string value,
                      std::optional<std::uint64_t> expected = std::nullopt) {
    return {Kind::kPut, std::move(key), std::move(value), expected};
  }
  static Mutation remove(std::string key, std::optional<std::uint64_t> expected = std::nullopt) {
    return {Kind::kRemove, std::move(key), {}, expected};
  }
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // The value of `key`, or nullopt when it does not exist.
  virtual Result<std::optional<StoredValue>> get(std::string_view key) = 0;

  // Every entry whose key starts with `prefix`, in key order.
  virtual Result<std::vector<StoredEntry>> list(std::string_view prefix) = 0;

  // Applies every mutation or none. Fails with kConflict, naming the key, when an expected
  // version does not match; removing a missing key unconditionally is not an error. Durable
  // when it returns successfully.
  virtual Status commit(const std::vector<Mutation>& mutations) = 0;
};

}  // namespace berth
