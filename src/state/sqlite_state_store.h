// SqliteStateStore: the embedded StateStore of a single master, one SQLite file under its work
// dir. Each commit is one IMMEDIATE transaction in WAL mode with synchronous=FULL: when commit()
// returns, the batch is in the fsynced write-ahead log and survives a process crash or power loss.
//
// On disk (<work_dir> is the master's --work_dir):
//
//   <work_dir>/
//     state.db       the database; application_id 'BRTH', user_version = schema version (1)
//     state.db-wal   write-ahead log: committed batches not yet checkpointed into state.db.
//                    Never delete it while the master is down: it may hold acknowledged commits.
//     state.db-shm   index of the WAL for concurrent readers; rebuilt from the WAL if lost
//
//   entries                                     one row per key
//   +-----------------+----------------+---------------------------------------------+
//   | key     TEXT PK | value BLOB     | version INTEGER                             |
//   | bytes as given, | bytes as given | 1 when the key is created, +1 on every put; |
//   | memcmp order    | (NUL is fine)  | a removed and re-created key starts at 1    |
//   +-----------------+----------------+---------------------------------------------+
//
// Threading: one thread at a time, like every StateStore (the connection has no mutex of its
// own). Other processes may read the file meanwhile (`sqlite3 state.db`); WAL readers never block
// this writer. A second writer makes commit() wait up to the busy timeout, then fail with
// kUnavailable.
//
// A commit that fails with kInternal after reaching the disk (an I/O error during the WAL fsync)
// is in an unknown state: it may or may not be there after a restart, as with any fsync failure.
// Callers treat such an error as "not acknowledged" and rebuild their view from the store on
// recovery.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "state/state_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace berth {

class SqliteStateStore final : public StateStore {
 public:
  // Opens the store at `path`, creating the file and its schema if missing. Fails with a message
  // naming the path when the file cannot be opened, is read-only, is not a SQLite database, or
  // is a SQLite database of something other than Berth.
  static Result<std::unique_ptr<SqliteStateStore>> open(const std::string& path);

  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  Result<std::optional<StoredValue>> get(std::string_view key) override;
  Result<std::vector<StoredEntry>> list(std::string_view prefix) override;
  Status commit(const std::vector<Mutation>& mutations) override;

  const std::string& path() const { return path_; }

 private:
  struct CloseDatabase {
    void operator()(sqlite3* db) const;
  };
  struct FinalizeStatement {
    void operator()(sqlite3_stmt* statement) const;
  };
  using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

  SqliteStateStore(std::string path, sqlite3* db);

  // Checks that the file is a Berth store (or new and empty), then sets WAL, synchronous=FULL
  // and the schema, and prepares every statement.
  Status initialize();
  // True when the file is new and empty; an error when it is not a Berth store we can read.
  Result<bool> check_file_is_ours();
  Status make_commits_durable();
  Status create_schema();
  Status prepare_statements();
  // The first column of the first row of `sql`, for PRAGMAs and counts.
  Result<std::int64_t> query_int(const char* sql);
  Result<Statement> prepare(const char* sql);
  // Runs a statement that returns no rows (BEGIN, COMMIT, an insert...).
  Status run(sqlite3_stmt* statement, const std::string& what);
  // Applies the batch inside the open transaction; the caller commits or rolls back.
  Status apply(const std::vector<Mutation>& mutations);
  Result<std::optional<std::uint64_t>> current_version(const std::string& key);
  // Rolls back the open transaction, if SQLite has not already done so; `error` says why.
  Error roll_back(Error error);
  // An error from the last failed call on this connection, with the store's path and `what`.
  Error error_at(int rc, const std::string& what) const;

  std::string path_;
  // Declared before the statements so that it is closed after they are finalized.
  std::unique_ptr<sqlite3, CloseDatabase> db_;
  Statement get_;
  Statement version_;
  Statement list_range_;  // keys in [prefix, prefix_successor(prefix))
  Statement list_from_;   // keys >= prefix, when the prefix has no successor
  Statement upsert_;
  Statement delete_;
  Statement begin_;
  Statement commit_;
};

}  // namespace berth
