// SqliteStateStore beyond the shared contract: durability across reopen, the master-restart path
// at scale, and refusing files it must not touch.
#include "state/sqlite_state_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "state/test_temp_dir.h"

namespace berth {
namespace {

// Runs `sql` on its own connection to `path`, as an operator's sqlite3 shell would.
void raw_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* message = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  std::string text = message != nullptr ? message : "";
  sqlite3_free(message);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << text;
}

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class SqliteStateStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStateStore> open_store() {
    auto store = SqliteStateStore::open(path_);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // The error of opening `path_`, which must fail.
  Error open_error() {
    auto store = SqliteStateStore::open(path_);
    EXPECT_FALSE(store.ok());
    return store.ok() ? Error{} : store.error();
  }

  TestTempDir dir_;
  std::string path_ = dir_.file("state.db");
};

TEST_F(SqliteStateStoreTest, DataSurvivesCloseAndReopen) {
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(
        store->commit({Mutation::put("agents/a1", "one", 0), Mutation::put("tmp", "x")}).ok());
    ASSERT_TRUE(
        store->commit({Mutation::put("agents/a1", "two", 1), Mutation::remove("tmp")}).ok());
  }
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto stored = store->get("agents/a1");
  ASSERT_TRUE(stored.ok());
  ASSERT_TRUE(stored->has_value());
  EXPECT_EQ((*stored)->value, "two");
  EXPECT_EQ((*stored)->version, 2u);
  EXPECT_FALSE(store->get("tmp")->has_value());
  // Versions carry on from the file, so compare-and-set keeps working across a restart.
  ASSERT_TRUE(store->commit({Mutation::put("agents/a1", "three", 2)}).ok());
}

TEST_F(SqliteStateStoreTest, NewFileIsInWalMode) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->path(), path_);
  EXPECT_TRUE(std::filesystem::exists(path_ + "-wal"));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");
  sqlite3_finalize(statement);
  sqlite3_close(db);
}

TEST_F(SqliteStateStoreTest, TenThousandKeysSurviveRestartInOrder) {
  constexpr int kKeys = 10000;
  constexpr int kBatch = 500;
  auto key_of = [](int i) {
    std::string number = std::to_string(i);
    return "tasks/" + std::string(5 - number.size(), '0') + number;
  };
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    for (int start = 0; start < kKeys; start += kBatch) {
      std::vector<Mutation> batch;
      for (int i = start; i < start + kBatch; ++i) {
        batch.push_back(Mutation::put(key_of(i), "task " + std::to_string(i), 0));
      }
      ASSERT_TRUE(store->commit(batch).ok());
    }
    ASSERT_TRUE(store->commit({Mutation::put("agents/a1", "agent")}).ok());
  }

  auto started = std::chrono::steady_clock::now();
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto tasks = store->list("tasks/");
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(tasks.ok()) << tasks.error().message;
  ASSERT_EQ(tasks->size(), static_cast<std::size_t>(kKeys));
  for (int i = 0; i < kKeys; ++i) {
    const StoredEntry& entry = (*tasks)[static_cast<std::size_t>(i)];
    ASSERT_EQ(entry.key, key_of(i));
    ASSERT_EQ(entry.stored.value, "task " + std::to_string(i));
    ASSERT_EQ(entry.stored.version, 1u);
  }
  EXPECT_EQ(store->list("agents/")->size(), 1u);
  RecordProperty(
      "reopen_and_list_ms",
      static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count()));
}

TEST_F(SqliteStateStoreTest, GarbageFileIsRefusedAndLeftAlone) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 131 + 7) % 256);
  write_file(path_, garbage);

  Error error = open_error();
  EXPECT_EQ(error.message, "open state store " + path_ + ": file is not a database");
  EXPECT_EQ(read_whole_file(path_), garbage);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(SqliteStateStoreTest, ShortTextFileIsRefused) {
  write_file(path_, "not a database\n");
  EXPECT_EQ(open_error().message, "open state store " + path_ + ": file is not a database");
  EXPECT_EQ(read_whole_file(path_), "not a database\n");
}

TEST_F(SqliteStateStoreTest, EmptyFileBecomesANewStore) {
  write_file(path_, "");
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->commit({Mutation::put("k", "v", 0)}).ok());
}

TEST_F(SqliteStateStoreTest, OtherSqliteDatabaseIsRefused) {
  raw_exec(path_, "CREATE TABLE photos(id INTEGER PRIMARY KEY, name TEXT)");
  Error error = open_error();
  EXPECT_EQ(error.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error.message, "open state store " + path_ +
                               ": the file is a SQLite database but not a Berth state store");
}

TEST_F(SqliteStateStoreTest, NewerSchemaIsRefused) {
  ASSERT_NE(open_store(), nullptr);
  raw_exec(path_, "PRAGMA user_version = 2");
  EXPECT_EQ(
      open_error().message,
      "open state store " + path_ + ": the file has schema version 2, this berth reads version 1");
}

TEST_F(SqliteStateStoreTest, MissingDirectoryNamesThePath) {
  path_ = dir_.file("no/such/dir/state.db");
  Error error = open_error();
  EXPECT_EQ(error.message, "open state store " + path_ + ": unable to open database file");
}

TEST_F(SqliteStateStoreTest, DirectoryIsNotAStore) {
  path_ = dir_.path();
  EXPECT_EQ(open_error().message, "open state store " + path_ + ": unable to open database file");
}

TEST_F(SqliteStateStoreTest, ReadOnlyFileIsRefused) {
  ASSERT_NE(open_store(), nullptr);
  ASSERT_EQ(::chmod(path_.c_str(), 0444), 0);
  if (::access(path_.c_str(), W_OK) == 0) GTEST_SKIP() << "running as root: files are writable";
  EXPECT_EQ(
      open_error().message,
      "open state store " + path_ + ": the file is read-only; the master must be able to write it");
}

TEST_F(SqliteStateStoreTest, ReadersDoNotBlockCommits) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->commit({Mutation::put("k", "v1")}).ok());

  // An operator's shell in the middle of a read transaction.
  sqlite3* reader = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &reader), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM entries;", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_TRUE(store->commit({Mutation::put("k", "v2", 1)}).ok());
  sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(reader);
}

TEST_F(SqliteStateStoreTest, SecondWriterMakesCommitUnavailableThenItRecovers) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);

  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  Status blocked = store->commit({Mutation::put("k", "v")});  // waits out the busy timeout
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(blocked.error().message, "state store " + path_ + ": begin commit: database is locked");
  sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(writer);

  ASSERT_TRUE(store->commit({Mutation::put("k", "v", 0)}).ok());
}

}  // namespace
}  // namespace berth
