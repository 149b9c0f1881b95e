// SqliteStateStore: the StateStore contract on libsqlite3's C API, with statements prepared once
// at open and reused for every call.
#include "state/sqlite_state_store.h"

#include <sqlite3.h>

#include <string>
#include <utility>

#include "state/store_rules.h"

namespace berth {
namespace {

// "BRTH": marks the file as a Berth state store, so a stray SQLite file is refused, not adopted.
constexpr int kApplicationId = 0x42525448;
constexpr int kSchemaVersion = 1;
// Only a second writer (another master on the same work dir, a manual `sqlite3` write) takes
// the write lock from us, and while we wait the master's event loop is stalled: keep it short.
constexpr int kBusyTimeoutMs = 2000;

ErrorCode code_for(int rc) {
  switch (rc & 0xFF) {  // the primary code of an extended result code
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
      return ErrorCode::kUnavailable;
    case SQLITE_TOOBIG:
      return ErrorCode::kInvalidArgument;
    default:
      return ErrorCode::kInternal;
  }
}

// The error of the last failed call on `db`: "what: SQLite's message".
Error sqlite_error(sqlite3* db, int rc, const std::string& what) {
  return {code_for(rc), what + ": " + sqlite3_errmsg(db)};
}

// Resets a statement when a call is done with it, whichever way it returns, so that it holds no
// read snapshot (an unfinished SELECT would pin the WAL and keep checkpoints from finishing) and
// no pointers into the caller's strings.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* statement_;
};

// Binds bytes without copying them (the statement is reset before they go away). An empty
// string_view may have a null data pointer, which SQLite would bind as NULL rather than "".
int bind_text(sqlite3_stmt* statement, int index, std::string_view text) {
  const char* data = text.data() != nullptr ? text.data() : "";
  return sqlite3_bind_text64(statement, index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

int bind_blob(sqlite3_stmt* statement, int index, std::string_view bytes) {
  const char* data = bytes.data() != nullptr ? bytes.data() : "";
  return sqlite3_bind_blob64(statement, index, data, bytes.size(), SQLITE_STATIC);
}

// A column's bytes as stored; no text conversion happens since the database is UTF-8.
std::string column_bytes(sqlite3_stmt* statement, int column) {
  const void* data = sqlite3_column_blob(statement, column);
  auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
  if (data == nullptr) return {};
  return std::string(static_cast<const char*>(data), size);
}

std::uint64_t column_version(sqlite3_stmt* statement, int column) {
  return static_cast<std::uint64_t>(sqlite3_column_int64(statement, column));
}

}  // namespace

void SqliteStateStore::CloseDatabase::operator()(sqlite3* db) const { sqlite3_close_v2(db); }

void SqliteStateStore::FinalizeStatement::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

SqliteStateStore::SqliteStateStore(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db) {}

SqliteStateStore::~SqliteStateStore() = default;

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: a store is used from one thread at a time, so SQLite's own locking buys nothing.
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // SQLite returns a handle even when opening fails; the store owns it either way so that it is
  // closed on every path.
  std::unique_ptr<SqliteStateStore> store(new SqliteStateStore(path, db));
  if (rc != SQLITE_OK) {
    const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return Error{code_for(rc), "open state store " + path + ": " + message};
  }
  Status initialized = store->initialize();
  if (!initialized.ok()) return initialized.error().context("open state store " + path);
  return store;
}

Status SqliteStateStore::initialize() {
  if (sqlite3_db_readonly(db_.get(), "main") == 1) {
    return invalid_argument("the file is read-only; the master must be able to write it");
  }
  sqlite3_busy_timeout(db_.get(), kBusyTimeoutMs);

  auto is_new = check_file_is_ours();
  if (!is_new.ok()) return is_new.error();
  BERTH_RETURN_IF_ERROR(make_commits_durable());
  if (*is_new) BERTH_RETURN_IF_ERROR(create_schema());
  return prepare_statements();
}

Result<bool> SqliteStateStore::check_file_is_ours() {
  // The first reads of the file: this is where a file that is not a database is refused, before
  // anything is written to it.
  auto application_id = query_int("PRAGMA application_id");
  if (!application_id.ok()) return application_id.error();
  auto schema_version = query_int("PRAGMA user_version");
  if (!schema_version.ok()) return schema_version.error();
  auto tables = query_int("SELECT count(*) FROM sqlite_master");
  if (!tables.ok()) return tables.error();

  bool is_new = *application_id == 0 && *schema_version == 0 && *tables == 0;
  if (is_new) return true;
  if (*application_id != kApplicationId) {
    return invalid_argument("the file is a SQLite database but not a Berth state store");
  }
  if (*schema_version != kSchemaVersion) {
    return invalid_argument("the file has schema version " + std::to_string(*schema_version) +
                            ", this berth reads version " + std::to_string(kSchemaVersion));
  }
  return false;
}

Status SqliteStateStore::make_commits_durable() {
  // WAL: a commit appends to one file and fsyncs it once, and readers never block the writer.
  // The answer is the mode in force, which is not WAL on filesystems without shared memory.
  auto statement = prepare("PRAGMA journal_mode=WAL");
  if (!statement.ok()) return statement.error();
  {
    StatementUse use(statement->get());
    int rc = sqlite3_step(statement->get());
    if (rc != SQLITE_ROW) return sqlite_error(db_.get(), rc, "set journal_mode=WAL");
    std::string mode = column_bytes(statement->get(), 0);
    if (mode != "wal") return internal_error("could not enable WAL (journal_mode is " + mode + ")");
  }
  // FULL, not WAL's usual NORMAL: NORMAL may lose the last commits on power loss, and the master
  // acknowledges a client as soon as commit() returns.
  if (int rc = sqlite3_exec(db_.get(), "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
      rc != SQLITE_OK) {
    return sqlite_error(db_.get(), rc, "set synchronous=FULL");
  }
  return {};
}

Status SqliteStateStore::create_schema() {
  // One transaction, so that a crash half-way leaves a file that is still new. Its commit is the
  // first write to a new WAL, and SQLite fsyncs the directory then, which makes the names of the
  // new files durable too.
  std::string schema =
      "BEGIN IMMEDIATE;"
      "CREATE TABLE IF NOT EXISTS entries("
      "  key TEXT PRIMARY KEY NOT NULL,"
      "  value BLOB NOT NULL,"
      "  version INTEGER NOT NULL);"
      "PRAGMA application_id=" +
      std::to_string(kApplicationId) + ";PRAGMA user_version=" + std::to_string(kSchemaVersion) +
      ";COMMIT;";
  if (int rc = sqlite3_exec(db_.get(), schema.c_str(), nullptr, nullptr, nullptr);
      rc != SQLITE_OK) {
    return roll_back(sqlite_error(db_.get(), rc, "create schema"));
  }
  return {};
}

Status SqliteStateStore::prepare_statements() {
  struct {
    Statement* statement;
    const char* sql;
  } statements[] = {
      {&get_, "SELECT value, version FROM entries WHERE key = ?1"},
      {&version_, "SELECT version FROM entries WHERE key = ?1"},
      {&list_range_,
       "SELECT key, value, version FROM entries WHERE key >= ?1 AND key < ?2 ORDER BY key"},
      {&list_from_, "SELECT key, value, version FROM entries WHERE key >= ?1 ORDER BY key"},
      {&upsert_,
       "INSERT INTO entries(key, value, version) VALUES(?1, ?2, ?3) "
       "ON CONFLICT(key) DO UPDATE SET value = excluded.value, version = excluded.version"},
      {&delete_, "DELETE FROM entries WHERE key = ?1"},
      // IMMEDIATE takes the write lock up front, so a second writer shows up as a busy BEGIN
      // rather than as a failure half-way through a batch.
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
  };
  for (auto& [statement, sql] : statements) {
    auto prepared = prepare(sql);
    if (!prepared.ok()) return prepared.error().context("prepare statements");
    *statement = std::move(prepared).value();
  }
  return {};
}

Result<std::int64_t> SqliteStateStore::query_int(const char* sql) {
  auto statement = prepare(sql);
  if (!statement.ok()) return statement.error();
  StatementUse use(statement->get());
  int rc = sqlite3_step(statement->get());
  if (rc != SQLITE_ROW) return Error{code_for(rc), sqlite3_errmsg(db_.get())};
  return sqlite3_column_int64(statement->get(), 0);
}

Result<SqliteStateStore::Statement> SqliteStateStore::prepare(const char* sql) {
  sqlite3_stmt* statement = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
  Statement owned(statement);
  if (rc != SQLITE_OK) return Error{code_for(rc), sqlite3_errmsg(db_.get())};
  return owned;
}

Result<std::optional<StoredValue>> SqliteStateStore::get(std::string_view key) {
  sqlite3_stmt* statement = get_.get();
  StatementUse use(statement);
  if (int rc = bind_text(statement, 1, key); rc != SQLITE_OK) {
    return error_at(rc, "get " + quoted_key(key));
  }
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_DONE) return std::optional<StoredValue>();
  if (rc != SQLITE_ROW) return error_at(rc, "get " + quoted_key(key));
  return std::optional<StoredValue>(
      StoredValue{column_bytes(statement, 0), column_version(statement, 1)});
}

Result<std::vector<StoredEntry>> SqliteStateStore::list(std::string_view prefix) {
  // A range scan on the primary key instead of LIKE or substr(), which would read every row.
  std::optional<std::string> end = prefix_successor(prefix);
  sqlite3_stmt* statement = end.has_value() ? list_range_.get() : list_from_.get();
  StatementUse use(statement);
  int rc = bind_text(statement, 1, prefix);
  if (rc == SQLITE_OK && end.has_value()) rc = bind_text(statement, 2, *end);
  if (rc != SQLITE_OK) return error_at(rc, "list " + quoted_key(prefix));

  std::vector<StoredEntry> entries;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    entries.push_back(
        {column_bytes(statement, 0), {column_bytes(statement, 1), column_version(statement, 2)}});
  }
  if (rc != SQLITE_DONE) return error_at(rc, "list " + quoted_key(prefix));
  return entries;
}

Status SqliteStateStore::commit(const std::vector<Mutation>& mutations) {
  BERTH_RETURN_IF_ERROR(validate_mutations(mutations));
  if (mutations.empty()) return {};  // nothing to make durable; skip the fsync

  BERTH_RETURN_IF_ERROR(run(begin_.get(), "begin commit"));
  if (Status applied = apply(mutations); !applied.ok()) return roll_back(applied.error());
  // COMMIT is where the WAL is written and fsynced; when it succeeds the batch is durable.
  if (Status committed = run(commit_.get(), "commit"); !committed.ok()) {
    return roll_back(committed.error());
  }
  return {};
}

Status SqliteStateStore::apply(const std::vector<Mutation>& mutations) {
  // In order, inside the transaction, so that a later mutation of the batch sees the earlier
  // ones, as in every backend.
  for (const Mutation& mutation : mutations) {
    auto current = current_version(mutation.key);
    if (!current.ok()) return current.error();
    BERTH_RETURN_IF_ERROR(check_expected_version(mutation, *current));

    if (mutation.kind == Mutation::Kind::kPut) {
      sqlite3_stmt* statement = upsert_.get();
      StatementUse use(statement);
      int rc = bind_text(statement, 1, mutation.key);
      if (rc == SQLITE_OK) rc = bind_blob(statement, 2, mutation.value);
      if (rc == SQLITE_OK) {
        rc = sqlite3_bind_int64(statement, 3, static_cast<sqlite3_int64>(next_version(*current)));
      }
      if (rc != SQLITE_OK) return error_at(rc, "put " + quoted_key(mutation.key));
      BERTH_RETURN_IF_ERROR(run(statement, "put " + quoted_key(mutation.key)));
    } else if (current->has_value()) {
      sqlite3_stmt* statement = delete_.get();
      StatementUse use(statement);
      if (int rc = bind_text(statement, 1, mutation.key); rc != SQLITE_OK) {
        return error_at(rc, "remove " + quoted_key(mutation.key));
      }
      BERTH_RETURN_IF_ERROR(run(statement, "remove " + quoted_key(mutation.key)));
    }
  }
  return {};
}

Result<std::optional<std::uint64_t>> SqliteStateStore::current_version(const std::string& key) {
  // Reads only the version: the value may be a megabyte that the batch is about to replace.
  sqlite3_stmt* statement = version_.get();
  StatementUse use(statement);
  if (int rc = bind_text(statement, 1, key); rc != SQLITE_OK) {
    return error_at(rc, "read version of " + quoted_key(key));
  }
  int rc = sqlite3_step(statement);
  if (rc == SQLITE_DONE) return std::optional<std::uint64_t>();
  if (rc != SQLITE_ROW) return error_at(rc, "read version of " + quoted_key(key));
  return std::optional<std::uint64_t>(column_version(statement, 0));
}

Status SqliteStateStore::run(sqlite3_stmt* statement, const std::string& what) {
  StatementUse use(statement);
  int rc = sqlite3_step(statement);
  if (rc != SQLITE_DONE) return error_at(rc, what);
  return {};
}

Error SqliteStateStore::roll_back(Error error) {
  // After some errors (a full disk, an I/O error) SQLite has rolled back on its own already.
  if (sqlite3_get_autocommit(db_.get()) != 0) return error;
  // Not a prepared statement: this is the rare path, and it also serves schema creation.
  if (int rc = sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr); rc != SQLITE_OK) {
    error.message += "; roll back: " + std::string(sqlite3_errmsg(db_.get()));
  }
  return error;
}

Error SqliteStateStore::error_at(int rc, const std::string& what) const {
  return sqlite_error(db_.get(), rc, "state store " + path_ + ": " + what);
}

}  // namespace berth
