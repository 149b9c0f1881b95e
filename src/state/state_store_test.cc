// The StateStore contract, run against every backend: versions, compare-and-set, atomic batches,
// removal, prefix listing and byte-exact values. A new backend joins by adding one line to
// `Backends`.
#include "state/state_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "state/memory_state_store.h"
#include "state/sqlite_state_store.h"
#include "state/store_rules.h"
#include "state/test_temp_dir.h"

namespace berth {
namespace {

struct MemoryBackend {
  std::unique_ptr<StateStore> open() { return std::make_unique<MemoryStateStore>(); }
};

struct SqliteBackend {
  std::unique_ptr<StateStore> open() {
    auto store = SqliteStateStore::open(dir.file("state.db"));
    if (!store.ok()) {
      ADD_FAILURE() << store.error().message;
      return nullptr;
    }
    return std::move(store).value();
  }
  TestTempDir dir;
};

using Backends = ::testing::Types<MemoryBackend, SqliteBackend>;

struct BackendNames {
  template <typename Backend>
  static std::string GetName(int) {
    return std::is_same_v<Backend, MemoryBackend> ? "Memory" : "Sqlite";
  }
};

template <typename Backend>
class StateStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = backend_.open();
    ASSERT_NE(store_, nullptr);
  }

  std::optional<StoredValue> get(std::string_view key) {
    auto value = store_->get(key);
    EXPECT_TRUE(value.ok()) << value.error().message;
    return value.ok() ? *value : std::nullopt;
  }

  std::uint64_t version_of(std::string_view key) {
    auto value = get(key);
    return value.has_value() ? value->version : 0;
  }

  std::vector<std::string> keys(std::string_view prefix) {
    auto entries = store_->list(prefix);
    EXPECT_TRUE(entries.ok()) << entries.error().message;
    std::vector<std::string> out;
    if (entries.ok()) {
      for (const auto& entry : *entries) out.push_back(entry.key);
    }
    return out;
  }

  void put(const std::string& key, const std::string& value) {
    Status status = store_->commit({Mutation::put(key, value)});
    ASSERT_TRUE(status.ok()) << status.error().message;
  }

  Backend backend_;
  std::unique_ptr<StateStore> store_;
};

TYPED_TEST_SUITE(StateStoreTest, Backends, BackendNames);

TYPED_TEST(StateStoreTest, MissingKeyIsNulloptNotError) {
  EXPECT_FALSE(this->get("agents/a1").has_value());
  EXPECT_TRUE(this->keys("").empty());
}

TYPED_TEST(StateStoreTest, VersionStartsAtOneAndEachPutAddsOne) {
  this->put("agents/a1", "one");
  EXPECT_EQ(this->get("agents/a1")->version, 1u);
  this->put("agents/a1", "two");
  this->put("agents/a1", "three");
  auto stored = this->get("agents/a1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, "three");
  EXPECT_EQ(stored->version, 3u);
}

TYPED_TEST(StateStoreTest, ExpectedVersionZeroMeansTheKeyMustNotExist) {
  ASSERT_TRUE(this->store_->commit({Mutation::put("meta/id", "first", 0)}).ok());

  Status again = this->store_->commit({Mutation::put("meta/id", "second", 0)});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message,
            "version conflict on key \"meta/id\": expected no key, found version 1");
  EXPECT_EQ(this->get("meta/id")->value, "first");
}

TYPED_TEST(StateStoreTest, ExpectedVersionMustMatchTheStoredOne) {
  this->put("k", "v1");
  ASSERT_TRUE(this->store_->commit({Mutation::put("k", "v2", 1)}).ok());
  EXPECT_EQ(this->version_of("k"), 2u);

  Status stale = this->store_->commit({Mutation::put("k", "v3", 1)});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.error().message,
            "version conflict on key \"k\": expected version 1, found version 2");

  Status missing = this->store_->commit({Mutation::put("nope", "x", 4)});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "version conflict on key \"nope\": expected version 4, found no key");
  EXPECT_FALSE(this->get("nope").has_value());
  EXPECT_EQ(this->get("k")->value, "v2");
}

TYPED_TEST(StateStoreTest, ConflictAnywhereInABatchAppliesNothing) {
  this->put("tasks/t1", "running");
  Status status = this->store_->commit({
      Mutation::put("tasks/t2", "staging", 0), Mutation::remove("tasks/t1"),
      Mutation::put("agents/a1", "registered", 7),  // the conflict, last in the batch
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kConflict);
  EXPECT_NE(status.error().message.find("\"agents/a1\""), std::string::npos);

  EXPECT_FALSE(this->get("tasks/t2").has_value());
  ASSERT_TRUE(this->get("tasks/t1").has_value());
  EXPECT_EQ(this->get("tasks/t1")->version, 1u);
  EXPECT_EQ(this->keys(""), std::vector<std::string>{"tasks/t1"});

  // The failed batch left no transaction or lock behind: the next one goes through.
  ASSERT_TRUE(this->store_->commit({Mutation::put("tasks/t2", "staging", 0)}).ok());
  EXPECT_EQ(this->keys("tasks/"), (std::vector<std::string>{"tasks/t1", "tasks/t2"}));
}

TYPED_TEST(StateStoreTest, ABatchAppliesEveryMutation) {
  this->put("agents/a1", "old");
  ASSERT_TRUE(this->store_
                  ->commit({Mutation::put("agents/a1", "new", 1), Mutation::put("tasks/t1", "x", 0),
                            Mutation::put("tasks/t2", "y")})
                  .ok());
  EXPECT_EQ(this->get("agents/a1")->version, 2u);
  EXPECT_EQ(this->keys(""), (std::vector<std::string>{"agents/a1", "tasks/t1", "tasks/t2"}));
}

TYPED_TEST(StateStoreTest, LaterMutationsInABatchSeeEarlierOnes) {
  ASSERT_TRUE(this->store_->commit({Mutation::put("k", "a", 0), Mutation::put("k", "b", 1)}).ok());
  EXPECT_EQ(this->get("k")->value, "b");
  EXPECT_EQ(this->get("k")->version, 2u);

  // Removed then re-created within one batch: a new key again.
  ASSERT_TRUE(this->store_->commit({Mutation::remove("k", 2), Mutation::put("k", "c", 0)}).ok());
  EXPECT_EQ(this->get("k")->version, 1u);

  Status twice = this->store_->commit({Mutation::put("n", "a", 0), Mutation::put("n", "b", 0)});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, ErrorCode::kConflict);
  EXPECT_FALSE(this->get("n").has_value());
}

TYPED_TEST(StateStoreTest, RemoveSemantics) {
  // A missing key: removing it unconditionally, or on the condition that it is absent, is fine.
  EXPECT_TRUE(this->store_->commit({Mutation::remove("gone")}).ok());
  EXPECT_TRUE(this->store_->commit({Mutation::remove("gone", 0)}).ok());
  Status expected_present = this->store_->commit({Mutation::remove("gone", 3)});
  ASSERT_FALSE(expected_present.ok());
  EXPECT_EQ(expected_present.error().code, ErrorCode::kConflict);

  this->put("k", "v");
  this->put("k", "v");
  Status stale = this->store_->commit({Mutation::remove("k", 1)});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_TRUE(this->get("k").has_value());

  ASSERT_TRUE(this->store_->commit({Mutation::remove("k", 2)}).ok());
  EXPECT_FALSE(this->get("k").has_value());
  EXPECT_TRUE(this->keys("").empty());

  // A re-created key starts over: a version is only comparable within one life of a key.
  this->put("k", "again");
  EXPECT_EQ(this->get("k")->version, 1u);
}

TYPED_TEST(StateStoreTest, EmptyBatchSucceeds) { EXPECT_TRUE(this->store_->commit({}).ok()); }

TYPED_TEST(StateStoreTest, EmptyKeyIsInvalidAndNothingIsApplied) {
  Status status = this->store_->commit({Mutation::put("ok", "v"), Mutation::put("", "v")});
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(status.error().message, "mutation 1 of the batch has an empty key");
  EXPECT_FALSE(this->get("ok").has_value());
}

TYPED_TEST(StateStoreTest, ListReturnsOnlyThePrefixInKeyOrder) {
  // Written out of order; '.' < '/' < '0' surround the "a/" range on both sides.
  for (const char* key : {"b", "a/c/d", "a0", "a", "a/", "a.", "a/b"}) this->put(key, key);

  EXPECT_EQ(this->keys("a/"), (std::vector<std::string>{"a/", "a/b", "a/c/d"}));
  EXPECT_EQ(this->keys("a"), (std::vector<std::string>{"a", "a.", "a/", "a/b", "a/c/d", "a0"}));
  EXPECT_EQ(this->keys(""), (std::vector<std::string>{"a", "a.", "a/", "a/b", "a/c/d", "a0", "b"}));
  EXPECT_EQ(this->keys("a/c/d"), std::vector<std::string>{"a/c/d"});
  EXPECT_TRUE(this->keys("a/c/d/").empty());
  EXPECT_TRUE(this->keys("c").empty());
}

TYPED_TEST(StateStoreTest, ListCarriesValuesAndVersions) {
  this->put("tasks/t1", "one");
  this->put("tasks/t1", "uno");
  this->put("tasks/t2", "two");
  auto entries = this->store_->list("tasks/");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].key, "tasks/t1");
  EXPECT_EQ((*entries)[0].stored.value, "uno");
  EXPECT_EQ((*entries)[0].stored.version, 2u);
  EXPECT_EQ((*entries)[1].stored.value, "two");
  EXPECT_EQ((*entries)[1].stored.version, 1u);
}

TYPED_TEST(StateStoreTest, ListBoundariesWithPrefixesEndingIn0xFF) {
  using namespace std::string_literals;
  std::vector<std::string> all = {"x\xfe"s, "x\xff"s, "x\xff\x00"s,    "x\xff\xff"s,
                                  "y"s,     "\xff"s,  "\xff\xff\x01"s, "\xff\xff\xff\xff"s};
  for (const auto& key : all) this->put(key, "v");

  // Bytes order as unsigned: 0xFE < 0xFF, and 0xFF sorts after every ASCII key.
  EXPECT_EQ(this->keys("x\xff"), (std::vector<std::string>{"x\xff"s, "x\xff\x00"s, "x\xff\xff"s}));
  EXPECT_EQ(this->keys("x"),
            (std::vector<std::string>{"x\xfe"s, "x\xff"s, "x\xff\x00"s, "x\xff\xff"s}));
  EXPECT_EQ(this->keys("\xff"),
            (std::vector<std::string>{"\xff"s, "\xff\xff\x01"s, "\xff\xff\xff\xff"s}));
  EXPECT_EQ(this->keys("\xff\xff"),
            (std::vector<std::string>{"\xff\xff\x01"s, "\xff\xff\xff\xff"s}));
  EXPECT_EQ(this->keys("\xff\xff\xff"), std::vector<std::string>{"\xff\xff\xff\xff"s});
  EXPECT_EQ(this->keys("").size(), all.size());
  EXPECT_EQ(this->keys("").front(), "x\xfe"s);
  EXPECT_EQ(this->keys("").back(), "\xff\xff\xff\xff"s);
}

TYPED_TEST(StateStoreTest, KeysAndValuesAreBytesNulIncluded) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  std::string key = std::string("bin/k\0ey", 8);
  this->put(key, every_byte);
  this->put("bin/empty", "");

  auto stored = this->get(key);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->value, every_byte);
  EXPECT_FALSE(this->get("bin/k").has_value());  // the NUL does not end the key

  auto empty = this->get("bin/empty");
  ASSERT_TRUE(empty.has_value());
  EXPECT_EQ(empty->value, "");

  EXPECT_EQ(this->keys("bin/k"), std::vector<std::string>{key});
  auto entries = this->store_->list("bin/");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].stored.value, every_byte);
}

TYPED_TEST(StateStoreTest, OneMegabyteValues) {
  std::string big(1 << 20, '\0');
  std::uint32_t x = 12345;
  for (char& c : big) {
    x = x * 1664525u + 1013904223u;  // any bytes will do; these do not compress
    c = static_cast<char>(x >> 24);
  }
  this->put("blobs/big", big);
  EXPECT_EQ(this->get("blobs/big")->value, big);

  std::reverse(big.begin(), big.end());
  ASSERT_TRUE(this->store_->commit({Mutation::put("blobs/big", big, 1)}).ok());
  auto stored = this->get("blobs/big");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->version, 2u);
  EXPECT_EQ(stored->value, big);
}

TEST(StoreRulesTest, PrefixSuccessor) {
  using namespace std::string_literals;
  EXPECT_EQ(prefix_successor("a/"), "a0");
  EXPECT_EQ(prefix_successor("a\xff"), "b");
  EXPECT_EQ(prefix_successor("a\xfe\xff\xff"), "a\xff"s);
  EXPECT_EQ(prefix_successor("\x00"s), "\x01"s);
  EXPECT_EQ(prefix_successor(""), std::nullopt);
  EXPECT_EQ(prefix_successor("\xff\xff"), std::nullopt);
}

TEST(StoreRulesTest, QuotedKeyEscapesBytesAndCutsLongKeys) {
  using namespace std::string_literals;
  EXPECT_EQ(quoted_key("tasks/t1"), "\"tasks/t1\"");
  EXPECT_EQ(quoted_key("a\0\xff\"\\"s), R"("a\x00\xff\"\\")");
  std::string long_key(300, 'k');
  EXPECT_EQ(quoted_key(long_key), "\"" + std::string(200, 'k') + "\"... (300 bytes)");
}

}  // namespace
}  // namespace berth
