#include "catalog/sqlite_snapshot.hpp"

#include <sqlite3.h>

#include <memory>
#include <thread>

namespace cairn::catalog {

namespace {

struct closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using handle = std::unique_ptr<sqlite3, closer>;

}  // namespace

status snapshot_database(const std::filesystem::path& source, const std::filesystem::path& dest,
                         std::chrono::seconds busy, const std::atomic<bool>* cancel) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(source, ec))
    return fail(errc::not_found, "SQLite database " + source.string() + " does not exist");
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(source.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  handle src(raw);
  if (rc != SQLITE_OK)
    return fail(errc::io, "cannot open SQLite database " + source.string() + ": " + sqlite3_errstr(rc));
  sqlite3_busy_timeout(src.get(), 1000);
  std::filesystem::remove(dest, ec);
  raw = nullptr;
  rc = sqlite3_open_v2(dest.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  handle dst(raw);
  if (rc != SQLITE_OK) return fail(errc::io, "cannot create " + dest.string() + ": " + sqlite3_errstr(rc));
  sqlite3_backup* b = sqlite3_backup_init(dst.get(), "main", src.get(), "main");
  if (!b) return fail(errc::io, "cannot copy " + source.string() + ": " + sqlite3_errmsg(dst.get()));
  // All pages in one step, under one read transaction: one consistent state,
  // and done in one pass even while the application writes (copying in
  // smaller steps restarts whenever it does). In WAL mode writers go on
  // meanwhile; in rollback mode they wait for the copy.
  auto deadline = std::chrono::steady_clock::now() + busy;
  for (;;) {
    rc = sqlite3_backup_step(b, -1);
    if (rc == SQLITE_DONE) break;
    if (cancel && cancel->load()) {
      sqlite3_backup_finish(b);
      return fail(errc::cancelled, "the copy of " + source.string() + " was stopped");
    }
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    sqlite3_backup_finish(b);
    if (rc == SQLITE_NOTADB)
      return fail(errc::invalid_input, source.string() + " is not an SQLite database");
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
      return fail(errc::locked, "SQLite database " + source.string() + " stayed locked for " +
                                  std::to_string(busy.count()) + " s");
    return fail(errc::io, "cannot copy SQLite database " + source.string() + ": " + sqlite3_errstr(rc));
  }
  rc = sqlite3_backup_finish(b);
  if (rc != SQLITE_OK) return fail(errc::io, "cannot copy SQLite database " + source.string() + ": " + sqlite3_errstr(rc));
  // The copy must be whole: a quick check reads every page once.
  std::string result;
  rc = sqlite3_exec(
    dst.get(), "PRAGMA quick_check",
    [](void* out, int, char** values, char**) {
      static_cast<std::string*>(out)->append(values[0] ? values[0] : "");
      return 0;
    },
    &result, nullptr);
  if (rc != SQLITE_OK || result != "ok")
    return fail(errc::corrupt, "the copy of SQLite database " + source.string() + " fails its check: " +
                                 (rc != SQLITE_OK ? sqlite3_errmsg(dst.get()) : result));
  return {};
}

}  // namespace cairn::catalog
