#include "actors/staged_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "catalog/sqlite_snapshot.hpp"
#include "fs/take_back.hpp"
#include "fs/unique_dir.hpp"

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

bool is_staged(const config::source_config& s) {
  return s.type != config::source_type::dir;
}

expected<std::string> resource_json(const stdfs::path& file, const std::string& what) {
  std::error_code ec;
  auto size = stdfs::file_size(file, ec);
  if (ec) return std::string();
  if (size > config::max_resource_metadata_bytes)
    return fail(errc::invalid_input, what + " printed " + std::to_string(size) + " bytes; at most " +
                                       std::to_string(config::max_resource_metadata_bytes) + " bytes of JSON are read");
  std::ifstream in(file, std::ios::binary);
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return std::string();
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail(errc::invalid_input, what + " printed something that is not one JSON object");
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

expected<std::optional<fs::run_identity>> resource_identity(const config::resource_config& r) {
  auto where = r.file.string() + ": resource " + r.name + ": ";
  struct stat st {};
  if (::stat(r.file.c_str(), &st) != 0) return fail(errc::invalid_input, where + "the descriptor is gone");
  CAIRN_ASSIGN(auto who, config::resource_user(r, st.st_uid, st.st_mode));
  if (who.uid == ::geteuid()) return std::optional<fs::run_identity>();
  if (::geteuid() != 0)
    return fail(errc::invalid_input, where + "user: " + r.user + ": Cairn runs as uid " + std::to_string(::geteuid()) +
                                       " and cannot run commands as another user (run Cairn as root, or as " + r.user + ")");
  return std::optional<fs::run_identity>(fs::run_identity{who.uid, who.gid, who.user, who.home});
}

status give_to(const stdfs::path& path, const fs::run_identity& who) {
  std::error_code ec;
  if (::lchown(path.c_str(), who.uid, who.gid) != 0)
    return fail(errc::io, "cannot give " + path.string() + " to user " + who.user);
  if (!stdfs::is_directory(stdfs::symlink_status(path, ec))) return {};
  for (stdfs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec))
    if (::lchown(it->path().c_str(), who.uid, who.gid) != 0)
      return fail(errc::io, "cannot give " + it->path().string() + " to user " + who.user);
  if (ec) return fail(errc::io, "cannot give " + path.string() + " to user " + who.user + ": " + ec.message());
  return {};
}

// A folder of a resource run as another user: state_dir is private (0700),
// so it lives in the temporary directory, 0700 and theirs. Removed by the caller.
expected<stdfs::path> resource_folder(const std::string& prefix, const fs::run_identity& who) {
  std::error_code ec;
  auto base = stdfs::temp_directory_path(ec);
  if (ec) base = "/tmp";
  stdfs::path t;
  CAIRN_ASSIGN(t, fs::make_unique_dir(base, prefix));
  CAIRN_TRY(give_to(t, who));
  return t;
}

namespace {

// A resource's backup: its command fills an empty 0700 staging folder.
expected<stdfs::path> stage_resource(const std::string& plan, const config::source_config& s, stdfs::path dir,
                                     const std::atomic<bool>* cancel, std::string* metadata) {
  const auto& r = *s.resource;
  auto where = r.file.string() + ": resource " + r.name + ": ";
  auto out = dir.parent_path() / ("." + r.name + ".stdout");
  struct cleanup {
    stdfs::path file, folder;
    ~cleanup() {
      std::error_code ec;
      stdfs::remove(file, ec);
      if (!folder.empty()) stdfs::remove_all(folder, ec);
    }
  } remove{out, {}};
  CAIRN_ASSIGN(auto who, resource_identity(r));
  if (who) {
    auto folder = resource_folder("cairn-staging-" + r.name, *who);
    if (!folder) return fail(folder.error().code(), where + folder.error().message());
    std::error_code ec;
    stdfs::remove(dir, ec);  // the empty one under state_dir
    dir = remove.folder = *folder;
  }
  fs::command_options o;
  o.as_user = who;
  o.timeout = std::chrono::seconds(r.command_timeout());
  o.command = r.backup;
  o.output = out;
  o.directory = dir;
  o.environment = {{"CAIRN_PLAN", plan}, {"CAIRN_RESOURCE", r.name}, {"CAIRN_STAGING_DIR", dir.string()}};
  o.cancel = cancel;
  auto result = fs::run_to_file(o);
  if (who) {
    // Taken back before it is read: a process of the user's that outlived the
    // command (setsid) can no longer change any folder of the tree while
    // Cairn walks it by path (the files inside keep their owner).
    if (auto taken = fs::take_back(dir, ::geteuid(), ::getegid()); !taken)
      return fail(taken.error().code(), where + taken.error().message() + " (nothing stored for it this run)");
  }
  if (!result) return fail(result.error().code(), where + result.error().message());
  if (result->exit_code != 0)
    return fail(errc::io, where + "the backup command exited with " + std::to_string(result->exit_code) +
                            (result->tail.empty() ? "" : ": " + fs::one_line(result->tail)) + " (nothing stored for it this run)");
  auto json = resource_json(out, where + "the backup command");
  if (!json) return fail(json.error());
  if (metadata) *metadata = std::move(*json);
  remove.folder.clear();  // the source walks it, then removes it
  return dir;
}

}  // namespace

namespace {

expected<stdfs::path> stage_into(const std::string& plan, const config::source_config& s, const stdfs::path& state_dir,
                                 const std::atomic<bool>* cancel, std::string* metadata) {
  auto where = s.where.str() + ": source " + s.name + ": ";
  auto dir = state_dir / "staging" / plan / s.name;
  std::error_code ec;
  stdfs::remove_all(dir, ec);
  stdfs::create_directories(dir, ec);
  if (ec) return fail(errc::io, where + "cannot create the staging folder " + dir.string() + ": " + ec.message());
  stdfs::permissions(state_dir / "staging", stdfs::perms::owner_all, ec);
  stdfs::permissions(dir.parent_path(), stdfs::perms::owner_all, ec);
  stdfs::permissions(dir, stdfs::perms::owner_all, ec);
  if (s.type == config::source_type::resource) return stage_resource(plan, s, dir, cancel, metadata);
  if (s.type == config::source_type::sqlite) {
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
  o.timeout = std::chrono::seconds(s.timeout);
  auto r = fs::run_to_file(o);
  if (!r) return fail(r.error().code(), where + r.error().message());
  if (r->exit_code != 0)
    return fail(errc::io, where + "`" + s.command + "` exited with " + std::to_string(r->exit_code) +
                            (r->tail.empty() ? "" : ": " + fs::one_line(r->tail)) + " (nothing stored for this run)");
  return dir;
}

}  // namespace

expected<stdfs::path> stage_source(const std::string& plan, const config::source_config& s,
                                   const stdfs::path& state_dir, const std::atomic<bool>* cancel, std::string* metadata) {
  auto dir = stage_into(plan, s, state_dir, cancel, metadata);
  if (!dir) {  // whatever the command left there is not kept
    std::error_code ec;
    stdfs::remove_all(state_dir / "staging" / plan / s.name, ec);
  }
  return dir;
}

source_totals staged_totals(const config::source_config& s) {
  source_totals t;
  if (s.type != config::source_type::sqlite) return t;
  std::error_code ec;
  auto size = stdfs::file_size(s.path, ec);
  if (ec) return t;
  t.files = t.files_to_read = 1;
  t.bytes = t.bytes_to_read = size;
  return t;
}

}  // namespace cairn::actors
