#include "catalog/catalog.hpp"

#include "catalog/cache_seal.hpp"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <fstream>
#include <set>

namespace cairn::catalog {

namespace fs = std::filesystem;

namespace {

constexpr int schema_version = 1;
constexpr int busy_timeout_ms = 10'000;

const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS targets(
  name TEXT PRIMARY KEY, description TEXT NOT NULL, repository_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints(
  id TEXT NOT NULL, target TEXT NOT NULL, plan TEXT NOT NULL, time_ns INTEGER NOT NULL,
  host TEXT NOT NULL, parent TEXT NOT NULL, tree TEXT NOT NULL, files INTEGER NOT NULL,
  bytes INTEGER NOT NULL, stats TEXT NOT NULL, sources TEXT NOT NULL,
  PRIMARY KEY(target, id));
CREATE INDEX IF NOT EXISTS checkpoints_by_plan ON checkpoints(plan, time_ns);
CREATE TABLE IF NOT EXISTS file_cache(
  plan TEXT NOT NULL, target TEXT NOT NULL, dir BLOB NOT NULL, name BLOB NOT NULL,
  size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL,
  inode INTEGER NOT NULL, chunks BLOB NOT NULL, xattrs BLOB NOT NULL,
  PRIMARY KEY(plan, target, dir, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sealed_file_cache(
  plan TEXT NOT NULL, target TEXT NOT NULL, source BLOB NOT NULL, name BLOB NOT NULL,
  entries BLOB NOT NULL, generation INTEGER NOT NULL,
  PRIMARY KEY(plan, target, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS vanished_checkpoints(
  target TEXT NOT NULL, id TEXT NOT NULL, seen_ns INTEGER NOT NULL, PRIMARY KEY(target, id));
CREATE TABLE IF NOT EXISTS runs(
  id INTEGER PRIMARY KEY, plan TEXT NOT NULL, started_ns INTEGER NOT NULL,
  finished_ns INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL, stats TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '');
)sql";

// True when the file system holding `file` has (nearly) no room left.
bool disk_full(const std::string& file) {
  struct statvfs v {};
  auto dir = fs::path(file).parent_path();
  if (dir.empty() || ::statvfs(dir.c_str(), &v) != 0) return false;
  return static_cast<uint64_t>(v.f_bavail) * v.f_frsize < (1u << 20);
}

error db_error(const std::exception& e, std::string_view what, const std::string& file) {
  std::string msg = e.what();
  // SQLite reports a full disk as "disk is full", or, when it cannot grow its
  // shared-memory file, as a "disk I/O error": say what it is.
  if (auto* se = dynamic_cast<const SQLite::Exception*>(&e);
      se && (se->getErrorCode() == SQLITE_FULL || se->getErrorCode() == SQLITE_IOERR) && disk_full(file))
    return error{errc::no_space, "catalog: " + std::string(what) + ": no space left on the disk of " +
                                   fs::path(file).parent_path().string() + " (" + msg + ")"};
  errc code = errc::io;
  if (msg.find("locked") != std::string::npos || msg.find("busy") != std::string::npos)
    code = errc::locked;
  if (msg.find("full") != std::string::npos) code = errc::no_space;
  if (msg.find("malformed") != std::string::npos || msg.find("not a database") != std::string::npos)
    code = errc::corrupt;
  return error{code, "catalog: " + std::string(what) + ": " + msg};
}

// Runs `fn`, turning SQLiteCpp's exceptions into errors.
template <class F>
auto guarded(std::string_view what, const std::string& file, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return fail(db_error(e, what, file));
  }
}

// Binds bytes as a BLOB. An empty vector has a null data() pointer, which
// SQLite would store as NULL rather than as an empty blob.
void bind_blob(SQLite::Statement& q, int index, const void* data, size_t size) {
  static const char empty = 0;
  q.bind(index, data ? data : &empty, static_cast<int>(size));
}

std::string blob_of(const std::vector<object_id>& ids) {
  std::string out;
  out.reserve(ids.size() * object_id::size);
  for (const auto& id : ids) out.append(reinterpret_cast<const char*>(id.bytes.data()), object_id::size);
  return out;
}

std::vector<object_id> ids_of(const void* data, int size) {
  std::vector<object_id> out;
  auto p = static_cast<const uint8_t*>(data);
  for (int i = 0; i + static_cast<int>(object_id::size) <= size; i += object_id::size)
    out.push_back(object_id::from_view(byte_view(p + i, object_id::size)));
  return out;
}

}  // namespace

struct catalog::impl {
  explicit impl(const fs::path& file, int flags) : db(file.string(), flags, busy_timeout_ms) {}
  SQLite::Database db;
  // Prepared once: the file cache is read and written once per directory.
  std::unique_ptr<SQLite::Statement> read_cache, delete_cache, insert_cache, read_sealed, write_sealed;
  std::shared_ptr<const cache_seal> seal;
  bool snapshot = false;  // begin_snapshot's transaction is open
  SQLite::Statement& prepared(std::unique_ptr<SQLite::Statement>& slot, const char* sql) {
    if (!slot) slot = std::make_unique<SQLite::Statement>(db, sql);
    slot->reset();
    slot->clearBindings();
    return *slot;
  }
};

catalog::catalog(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
catalog::~catalog() = default;

fs::path catalog::file_of(const fs::path& state_dir) { return state_dir / "catalog.db"; }

expected<std::unique_ptr<catalog>> catalog::open(const fs::path& state_dir, bool read_only) {
  std::error_code ec;
  if (!read_only) {
    fs::create_directories(state_dir, ec);
    if (ec) return fail(errc::io, "cannot create state_dir " + state_dir.string() + ": " + ec.message());
    ::chmod(state_dir.c_str(), 0700);
  }
  auto file = file_of(state_dir);
  if (read_only && !fs::exists(file, ec))
    return fail(errc::not_found, "no catalog at " + file.string() + " (run: cairn init)");
  return guarded("open " + file.string(), file.string(), [&]() -> expected<std::unique_ptr<catalog>> {
    int flags = read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
    auto p = std::make_unique<impl>(file, flags);
    if (!read_only) {
      p->db.exec("PRAGMA journal_mode=WAL");
      p->db.exec("PRAGMA synchronous=NORMAL");
      // Deleted rows are overwritten: a write-only machine's dropped file-cache
      // rows must not linger in free pages.
      p->db.exec("PRAGMA secure_delete=ON");
      p->db.exec(schema);
      SQLite::Statement v(p->db, "INSERT OR IGNORE INTO settings VALUES('schema_version', ?)");
      v.bind(1, std::to_string(schema_version));
      v.exec();
      ::chmod(file.c_str(), 0600);
    }
    SQLite::Statement check(p->db, "SELECT value FROM settings WHERE key='schema_version'");
    if (check.executeStep() && std::stoi(check.getColumn(0).getString()) > schema_version)
      return fail(errc::unsupported, "the catalog " + file.string() + " was written by a newer Cairn");
    return std::unique_ptr<catalog>(new catalog(std::move(p)));
  });
}

expected<std::optional<std::string>> catalog::setting(const std::string& key) {
  return guarded("read setting", impl_->db.getFilename(), [&]() -> expected<std::optional<std::string>> {
    SQLite::Statement q(impl_->db, "SELECT value FROM settings WHERE key=?");
    q.bind(1, key);
    if (!q.executeStep()) return std::optional<std::string>{};
    return std::optional<std::string>{q.getColumn(0).getString()};
  });
}

status catalog::set_setting(const std::string& key, const std::string& value) {
  return guarded("write setting", impl_->db.getFilename(), [&]() -> status {
    SQLite::Statement q(impl_->db, "INSERT OR REPLACE INTO settings VALUES(?, ?)");
    q.bind(1, key);
    q.bind(2, value);
    q.exec();
    return {};
  });
}

status catalog::record_target(const std::string& name, const std::string& description,
                              const std::string& repository_id) {
  return guarded("record target", impl_->db.getFilename(), [&]() -> status {
    SQLite::Statement q(impl_->db, "INSERT OR REPLACE INTO targets VALUES(?, ?, ?)");
    q.bind(1, name);
    q.bind(2, description);
    q.bind(3, repository_id);
    q.exec();
    return {};
  });
}

expected<std::optional<std::string>> catalog::target_repository(const std::string& name) {
  return guarded("read target", impl_->db.getFilename(), [&]() -> expected<std::optional<std::string>> {
    SQLite::Statement q(impl_->db, "SELECT repository_id FROM targets WHERE name=?");
    q.bind(1, name);
    if (!q.executeStep()) return std::optional<std::string>{};
    return std::optional<std::string>{q.getColumn(0).getString()};
  });
}

status catalog::record_checkpoint(const checkpoint_row& r) {
  return guarded("record checkpoint", impl_->db.getFilename(), [&]() -> status {
    SQLite::Statement q(impl_->db,
                        "INSERT OR REPLACE INTO checkpoints VALUES(?,?,?,?,?,?,?,?,?,?,?)");
    q.bind(1, r.id);
    q.bind(2, r.target);
    q.bind(3, r.plan);
    q.bind(4, static_cast<int64_t>(r.time_ns));
    q.bind(5, r.host);
    q.bind(6, r.parent);
    q.bind(7, r.tree);
    q.bind(8, static_cast<int64_t>(r.files));
    q.bind(9, static_cast<int64_t>(r.bytes));
    q.bind(10, r.stats_json);
    q.bind(11, r.sources_json);
    q.exec();
    return {};
  });
}

expected<std::vector<checkpoint_row>> catalog::checkpoints(const std::string& plan,
                                                           const std::string& target) {
  return guarded("list checkpoints", impl_->db.getFilename(), [&]() -> expected<std::vector<checkpoint_row>> {
    SQLite::Statement q(impl_->db,
                        "SELECT id,target,plan,time_ns,host,parent,tree,files,bytes,stats,sources "
                        "FROM checkpoints WHERE (?1='' OR plan=?1) AND (?2='' OR target=?2) "
                        "ORDER BY time_ns DESC, target");
    q.bind(1, plan);
    q.bind(2, target);
    std::vector<checkpoint_row> rows;
    while (q.executeStep()) {
      checkpoint_row r;
      r.id = q.getColumn(0).getString();
      r.target = q.getColumn(1).getString();
      r.plan = q.getColumn(2).getString();
      r.time_ns = q.getColumn(3).getInt64();
      r.host = q.getColumn(4).getString();
      r.parent = q.getColumn(5).getString();
      r.tree = q.getColumn(6).getString();
      r.files = static_cast<uint64_t>(q.getColumn(7).getInt64());
      r.bytes = static_cast<uint64_t>(q.getColumn(8).getInt64());
      r.stats_json = q.getColumn(9).getString();
      r.sources_json = q.getColumn(10).getString();
      rows.push_back(std::move(r));
    }
    // A catalog opened read-only may predate the table (check creates it).
    SQLite::Statement has(impl_->db, "SELECT 1 FROM sqlite_master WHERE type='table' AND name='vanished_checkpoints'");
    if (!has.executeStep()) return rows;
    std::set<std::pair<std::string, std::string>> gone;
    SQLite::Statement v(impl_->db, "SELECT target, id FROM vanished_checkpoints");
    while (v.executeStep()) gone.emplace(v.getColumn(0).getString(), v.getColumn(1).getString());
    for (auto& r : rows) r.vanished = gone.count({r.target, r.id}) != 0;
    return rows;
  });
}

status catalog::forget_checkpoint(const std::string& target, const std::string& id) {
  return guarded("forget checkpoint", impl_->db.getFilename(), [&]() -> status {
    SQLite::Statement q(impl_->db, "DELETE FROM checkpoints WHERE target=? AND id=?");
    q.bind(1, target);
    q.bind(2, id);
    q.exec();
    SQLite::Statement v(impl_->db, "DELETE FROM vanished_checkpoints WHERE target=? AND id=?");
    v.bind(1, target);
    v.bind(2, id);
    v.exec();
    return {};
  });
}

status catalog::set_vanished(const std::string& target, const std::string& id, bool vanished, int64_t now_ns) {
  return guarded("mark checkpoint", impl_->db.getFilename(), [&]() -> status {
    SQLite::Statement q(impl_->db, vanished ? "INSERT OR REPLACE INTO vanished_checkpoints VALUES(?1, ?2, ?3)"
                                            : "DELETE FROM vanished_checkpoints WHERE target=?1 AND id=?2");
    q.bind(1, target);
    q.bind(2, id);
    if (vanished) q.bind(3, static_cast<int64_t>(now_ns));
    q.exec();
    return {};
  });
}

void catalog::begin_snapshot() {
  if (impl_->snapshot) return;
  try {
    impl_->db.exec("BEGIN");
    impl_->snapshot = true;
  } catch (const std::exception&) {  // then each read is its own transaction, as without
  }
}

void catalog::end_snapshot() {
  if (!impl_->snapshot) return;
  impl_->snapshot = false;
  try {
    impl_->db.exec("COMMIT");
  } catch (const std::exception&) {  // a read-only transaction: nothing to lose; closing ends it
  }
}

expected<std::vector<cache_entry>> catalog::cached_directory(const std::string& plan,
                                                             const std::string& target,
                                                             const std::string& directory) {
  if (impl_->seal) return sealed_directory(plan, target, directory);
  return guarded("read file cache", impl_->db.getFilename(), [&]() -> expected<std::vector<cache_entry>> {
    auto& q = impl_->prepared(impl_->read_cache,
                              "SELECT name,size,mtime_ns,ctime_ns,inode,chunks,xattrs FROM file_cache "
                              "WHERE plan=? AND target=? AND dir=?");
    q.bind(1, plan);
    q.bind(2, target);
    bind_blob(q, 3, directory.data(), directory.size());
    std::vector<cache_entry> out;
    while (q.executeStep()) {
      cache_entry e;
      auto name = q.getColumn(0);
      e.name.assign(static_cast<const char*>(name.getBlob()), static_cast<size_t>(name.getBytes()));
      e.size = static_cast<uint64_t>(q.getColumn(1).getInt64());
      e.mtime_ns = q.getColumn(2).getInt64();
      e.ctime_ns = q.getColumn(3).getInt64();
      e.inode = static_cast<uint64_t>(q.getColumn(4).getInt64());
      auto chunks = q.getColumn(5);
      e.chunks = ids_of(chunks.getBlob(), chunks.getBytes());
      auto xattrs = q.getColumn(6);
      auto* x = static_cast<const uint8_t*>(xattrs.getBlob());
      e.xattrs.assign(x, x + xattrs.getBytes());
      out.push_back(std::move(e));
    }
    return out;
  });
}

status catalog::store_directory(const std::string& plan, const std::string& target,
                                const std::string& directory,
                                const std::vector<cache_entry>& entries, const cache_seal* seal) {
  if (!seal) seal = impl_->seal.get();
  if (seal) return store_sealed(plan, target, directory, entries, *seal);
  return guarded("write file cache", impl_->db.getFilename(), [&]() -> status {
    auto& del = impl_->prepared(impl_->delete_cache, "DELETE FROM file_cache WHERE plan=? AND target=? AND dir=?");
    del.bind(1, plan);
    del.bind(2, target);
    bind_blob(del, 3, directory.data(), directory.size());
    del.exec();
    auto& ins = impl_->prepared(impl_->insert_cache, "INSERT INTO file_cache VALUES(?,?,?,?,?,?,?,?,?,?)");
    for (const auto& e : entries) {
      ins.reset();
      ins.bind(1, plan);
      ins.bind(2, target);
      bind_blob(ins, 3, directory.data(), directory.size());
      bind_blob(ins, 4, e.name.data(), e.name.size());
      ins.bind(5, static_cast<int64_t>(e.size));
      ins.bind(6, e.mtime_ns);
      ins.bind(7, e.ctime_ns);
      ins.bind(8, static_cast<int64_t>(e.inode));
      auto blob = blob_of(e.chunks);
      bind_blob(ins, 9, blob.data(), blob.size());
      bind_blob(ins, 10, e.xattrs.data(), e.xattrs.size());
      ins.exec();
    }
    return {};
  });
}

void catalog::use_cache_seal(std::shared_ptr<const cache_seal> seal) { impl_->seal = std::move(seal); }

expected<std::vector<cache_entry>> catalog::sealed_directory(const std::string& plan, const std::string& target,
                                                             const std::string& directory) {
  const auto& seal = *impl_->seal;
  auto name = seal.name_of(plan, target, directory);
  return guarded("read file cache", impl_->db.getFilename(), [&]() -> expected<std::vector<cache_entry>> {
    auto& q = impl_->prepared(impl_->read_sealed,
                              "SELECT entries FROM sealed_file_cache WHERE plan=? AND target=? AND name=?");
    q.bind(1, plan);
    q.bind(2, target);
    bind_blob(q, 3, name.data(), name.size());
    if (!q.executeStep()) return std::vector<cache_entry>{};
    auto col = q.getColumn(0);
    auto sealed = byte_view(static_cast<const uint8_t*>(col.getBlob()), static_cast<size_t>(col.getBytes()));
    CAIRN_ASSIGN(auto plain, seal.open(target, name, sealed));
    return decode_cache_entries(plain);
  });
}

status catalog::store_sealed(const std::string& plan, const std::string& target, const std::string& directory,
                             const std::vector<cache_entry>& entries, const cache_seal& seal) {
  auto name = seal.name_of(plan, target, directory);
  auto sealed = seal.seal(target, name, encode_cache_entries(entries));
  auto source = directory.substr(0, directory.find('/'));
  return guarded("write file cache", impl_->db.getFilename(), [&]() -> status {
    auto& q = impl_->prepared(impl_->write_sealed, "INSERT OR REPLACE INTO sealed_file_cache VALUES(?,?,?,?,?,?)");
    q.bind(1, plan);
    q.bind(2, target);
    bind_blob(q, 3, source.data(), source.size());
    bind_blob(q, 4, name.data(), name.size());
    bind_blob(q, 5, sealed.data(), sealed.size());
    q.bind(6, seal.generation());
    q.exec();
    return {};
  });
}

status catalog::drop_unvisited(const std::string& plan, const std::string& target, const std::string& source,
                               const cache_seal& seal) {
  return guarded("drop file cache", impl_->db.getFilename(), [&]() -> status {
    SQLite::Statement q(impl_->db, "DELETE FROM sealed_file_cache WHERE plan=? AND target=? AND source=? AND generation<>?");
    q.bind(1, plan);
    q.bind(2, target);
    bind_blob(q, 3, source.data(), source.size());
    q.bind(4, seal.generation());
    q.exec();
    // The WAL still holds the old pages: fold it into the database (whose
    // freed pages secure_delete zeroed) and empty it. A reader still open
    // (another walk, `cairn status`) keeps it until the next run: not an
    // error, and not worth waiting the busy timeout for.
    try {
      impl_->db.setBusyTimeout(0);
      impl_->db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (const std::exception&) {
    }
    impl_->db.setBusyTimeout(busy_timeout_ms);
    return {};
  });
}

expected<int64_t> catalog::begin_run(const std::string& plan, int64_t started_ns) {
  return guarded("record run", impl_->db.getFilename(), [&]() -> expected<int64_t> {
    SQLite::Statement q(impl_->db, "INSERT INTO runs(plan, started_ns, status) VALUES(?, ?, ?)");
    q.bind(1, plan);
    q.bind(2, started_ns);
    q.bind(3, std::string(to_string(run_status::running)));
    q.exec();
    return impl_->db.getLastInsertRowid();
  });
}

namespace {
// Records how run r ended, in the live catalog or in a snapshot of it.
void finish_run_in(SQLite::Database& db, const run_row& r) {
  SQLite::Statement q(db, "UPDATE runs SET finished_ns=?, status=?, stats=?, error=? WHERE id=?");
  q.bind(1, r.finished_ns);
  q.bind(2, std::string(to_string(r.status)));
  q.bind(3, r.stats_json);
  q.bind(4, r.error);
  q.bind(5, r.id);
  q.exec();
}
}  // namespace

status catalog::finish_run(const run_row& r) {
  return guarded("record run", impl_->db.getFilename(), [&]() -> status {
    finish_run_in(impl_->db, r);
    return {};
  });
}

expected<std::vector<run_row>> catalog::runs(const std::string& plan, int limit) {
  return guarded("list runs", impl_->db.getFilename(), [&]() -> expected<std::vector<run_row>> {
    SQLite::Statement q(impl_->db,
                        "SELECT id,plan,started_ns,finished_ns,status,stats,error FROM runs "
                        "WHERE (?1='' OR plan=?1) ORDER BY id DESC LIMIT ?2");
    q.bind(1, plan);
    q.bind(2, limit);
    std::vector<run_row> out;
    while (q.executeStep()) {
      run_row row{q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                  q.getColumn(3).getInt64(),  run_status::failed,        q.getColumn(5).getString(),
                  q.getColumn(6).getString()};
      // A word this version does not know (a newer Cairn's, or a damaged
      // catalog restored from a target) shows as a failed run that says so,
      // instead of hiding the history.
      auto word = q.getColumn(4).getString();
      if (auto kind = parse_run_status(word))
        row.status = *kind;
      else
        row.error = "unknown run status '" + word.substr(0, 40) + "' in the catalog" +
                    (row.error.empty() ? "" : ": " + row.error);
      out.push_back(std::move(row));
    }
    return out;
  });
}

status catalog::begin() {
  return guarded("begin", impl_->db.getFilename(), [&]() -> status {
    impl_->db.exec("BEGIN");
    return {};
  });
}

status catalog::commit() {
  return guarded("commit", impl_->db.getFilename(), [&]() -> status {
    impl_->db.exec("COMMIT");
    return {};
  });
}

status catalog::snapshot_to(const fs::path& file) {
  return guarded("snapshot", impl_->db.getFilename(), [&]() -> status {
    std::error_code ec;
    fs::remove(file, ec);
    SQLite::Database dst(file.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    SQLite::Backup backup(dst, impl_->db);
    backup.executeStep(-1);  // one step: consistent even while we keep writing
    return {};
  });
}

expected<byte_buffer> catalog::snapshot_for_backup(const fs::path& scratch, const run_row* finishing) {
  auto cleanup = [&] {
    std::error_code ec;
    fs::remove(scratch, ec);
  };
  cleanup();
  // Everything but the file cache (the bulk of the catalog, rebuilt by the
  // next backup), copied table by table in one read transaction: a copy of
  // the whole file then DELETE and VACUUM took ~0.3 s per run on 76k files.
  auto r = guarded("snapshot", impl_->db.getFilename(), [&]() -> expected<byte_buffer> {
    {
      SQLite::Database copy(scratch.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      copy.exec("PRAGMA journal_mode=OFF");
      copy.exec(schema);
    }
    auto& db = impl_->db;
    SQLite::Statement attach(db, "ATTACH ? AS snapshot");
    attach.bind(1, scratch.string());
    attach.exec();
    try {
      SQLite::Transaction tx(db);
      for (const char* table : {"settings", "targets", "checkpoints", "runs"})
        db.exec(std::string("INSERT INTO snapshot.") + table + " SELECT * FROM main." + table);
      tx.commit();
    } catch (...) {
      db.exec("DETACH snapshot");
      throw;
    }
    db.exec("DETACH snapshot");
    if (finishing) {
      SQLite::Database copy(scratch.string(), SQLite::OPEN_READWRITE);
      finish_run_in(copy, *finishing);
    }
    std::ifstream in(scratch, std::ios::binary);
    return byte_buffer((std::istreambuf_iterator<char>(in)), {});
  });
  cleanup();
  return r;
}

}  // namespace cairn::catalog
