#include "actors/staged_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/sqlite_snapshot.hpp"
#include "fs/command.hpp"

namespace cairn::actors {

namespace stdfs = std::filesystem;

namespace {

constexpr std::chrono::seconds sqlite_busy{120};

// The copy gets the original's owner, mode and times, so a restore gives
// back a file that looks like the one that was backed up.
void copy_attributes(const stdfs::path& from, const stdfs::path& to) {
  struct stat st {};
  if (::stat(from.c_str(), &st) != 0) return;
  (void)::chown(to.c_str(), st.st_uid, st.st_gid);
  (void)::chmod(to.c_str(), st.st_mode & 07777);
  struct timespec times[2] = {st.st_atim, st.st_mtim};
  (void)::utimensat(AT_FDCWD, to.c_str(), times, 0);
}

}  // namespace

bool is_staged(const config::source_config& s) { return s.type == "sqlite" || s.type == "command"; }

expected<stdfs::path> stage_source(const std::string& plan, const config::source_config& s,
                                   const stdfs::path& state_dir, const std::atomic<bool>* cancel) {
  auto where = s.where.str() + ": source " + s.name + ": ";
  auto dir = state_dir / "staging" / plan / s.name;
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  stdfs::create_directories(dir, ec);
  if (ec) return fail(errc::io, where + "cannot create the staging folder " + dir.string() + ": " + ec.message());
  stdfs::permissions(state_dir / "staging", stdfs::perms::owner_all, ec);
  stdfs::permissions(dir, stdfs::perms::owner_all, ec);
  if (s.type == "sqlite") {
    auto copy = dir / s.path.filename();
    auto st = catalog::snapshot_database(s.path, copy, sqlite_busy, cancel);
    if (!st) return fail(st.error().code(), where + st.error().message());
    copy_attributes(s.path, copy);
    return dir;
  }
  fs::command_options o;
  o.command = s.command;
  o.output = dir / s.output;
  o.environment = {{"CAIRN_PLAN", plan}, {"CAIRN_SOURCE", s.name}};
  o.cancel = cancel;
  auto r = fs::run_to_file(o);
  if (!r) return fail(r.error().code(), where + r.error().message());
  if (r->exit_code != 0)
    return fail(errc::io, where + "`" + s.command + "` exited with " + std::to_string(r->exit_code) +
                            (r->tail.empty() ? "" : ": " + fs::one_line(r->tail)) + " (nothing stored for this run)");
  return dir;
}

source_totals staged_totals(const config::source_config& s) {
  source_totals t;
  if (s.type != "sqlite") return t;
  std::error_code ec;
  auto size = stdfs::file_size(s.path, ec);
  if (ec) return t;
  t.files = t.files_to_read = 1;
  t.bytes = t.bytes_to_read = size;
  return t;
}

}  // namespace cairn::actors
