#include "service/archive.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "crypto/keyfile.hpp"
#include "recovery/archive_restore.hpp"

namespace cairn::service {

namespace {

namespace stdfs = std::filesystem;

constexpr size_t max_passphrase = 4096;

expected<crypto::secret> read_passphrase_file(const stdfs::path& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail(errc::invalid_input, file.string() + ": " + std::strerror(errno));
  crypto::secret buffer(max_passphrase + 1);
  ssize_t n = ::read(fd, buffer.data(), buffer.size());
  ::close(fd);
  if (n < 0) return fail(errc::io, file.string() + ": cannot read");
  if (static_cast<size_t>(n) > max_passphrase) return fail(errc::invalid_input, file.string() + ": longer than 4 KiB");
  size_t len = 0;
  while (len < static_cast<size_t>(n) && buffer.data()[len] != '\n' && buffer.data()[len] != '\r') ++len;
  if (len == 0) return fail(errc::invalid_input, file.string() + ": the passphrase is empty");
  return crypto::secret::copy_of(byte_view(buffer.data(), len));
}

expected<crypto::secret> ask(const char* prompt) {
  int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0)
    return fail(errc::invalid_input,
                "an archive passphrase is needed: give --passphrase-file, set CAIRN_ARCHIVE_PASSPHRASE, or run on a terminal");
  struct termios old {};
  bool have = ::tcgetattr(tty, &old) == 0;
  if (have) {
    struct termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty, TCSAFLUSH, &quiet);
  }
  (void)::write(tty, prompt, std::strlen(prompt));
  crypto::secret buffer(max_passphrase + 1);
  size_t len = 0;
  char c;
  while (len < max_passphrase && ::read(tty, &c, 1) == 1 && c != '\n') buffer.data()[len++] = static_cast<uint8_t>(c);
  if (have) ::tcsetattr(tty, TCSAFLUSH, &old);
  (void)::write(tty, "\n", 1);
  ::close(tty);
  if (len == 0) return fail(errc::invalid_input, "the passphrase is empty");
  return crypto::secret::copy_of(byte_view(buffer.data(), len));
}

expected<crypto::secret> passphrase(const archive_key_options& o, bool confirm) {
  if (!o.passphrase_file.empty()) return read_passphrase_file(o.passphrase_file);
  if (const char* env = std::getenv("CAIRN_ARCHIVE_PASSPHRASE"); env && *env) {
    if (std::strlen(env) > max_passphrase) return fail(errc::invalid_input, "CAIRN_ARCHIVE_PASSPHRASE is longer than 4 KiB");
    return crypto::secret::copy_of(as_bytes(env));
  }
  CAIRN_ASSIGN(auto first, ask("Archive passphrase: "));
  if (!confirm) return first;
  CAIRN_ASSIGN(auto again, ask("Same passphrase again: "));
  if (!first.equals(again)) return fail(errc::invalid_input, "the passphrases differ");
  return first;
}

expected<archive::credential> export_credential(const archive_key_options& o) {
  int given = int(o.plain) + int(o.passphrase || !o.passphrase_file.empty()) + int(!o.keyfile.empty());
  if (given != 1)
    return fail(errc::invalid_input, "export needs exactly one of --passphrase (or --passphrase-file), --keyfile FILE "
                                     "or --plain (unencrypted)");
  archive::credential c;
  if (o.plain) return c;
  if (!o.keyfile.empty()) {
    c.kind = archive::protection::keyfile;
    CAIRN_ASSIGN(c.keyfile, crypto::read_keyfile(o.keyfile));
    return c;
  }
  c.kind = archive::protection::passphrase;
  CAIRN_ASSIGN(c.passphrase, passphrase(o, true));
  return c;
}

// Writes to a temporary beside `file`, then fsync, rename, fsync of the directory.
class file_writer {
public:
  static expected<std::unique_ptr<file_writer>> create(const std::string& file) {
    std::error_code ec;
    if (stdfs::exists(stdfs::symlink_status(file, ec)))
      return fail(errc::exists, file + " exists already: remove it or choose another name");
    auto w = std::unique_ptr<file_writer>(new file_writer);
    w->file_ = file;
    auto suffix = to_hex(crypto::random_bytes(4));
    w->temp_ = file + ".tmp-" + std::to_string(::getpid()) + "-" + suffix;
    w->fd_ = ::open(w->temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (w->fd_ < 0) return fail(errc::io, "cannot create " + w->temp_ + ": " + std::strerror(errno));
    return w;
  }
  ~file_writer() {
    if (fd_ >= 0) ::close(fd_);
    if (!done_) ::unlink(temp_.c_str());
  }
  status write(byte_view data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return fail(errno == ENOSPC ? errc::no_space : errc::io, "write " + temp_ + ": " + std::strerror(errno));
      done += static_cast<size_t>(n);
    }
    return {};
  }
  status commit() {
    if (::fsync(fd_) != 0) return fail(errc::io, "fsync " + temp_ + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    if (::link(temp_.c_str(), file_.c_str()) != 0)  // never replaces a file that appeared meanwhile
      return fail(errno == EEXIST ? errc::exists : errc::io, "cannot create " + file_ + ": " + std::strerror(errno));
    done_ = true;
    ::unlink(temp_.c_str());
    auto dir = stdfs::path(file_).parent_path();
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    return {};
  }

private:
  file_writer() = default;
  std::string file_, temp_;
  int fd_ = -1;
  bool done_ = false;
};

status write_stdout(byte_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(STDOUT_FILENO, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errc::io, std::string("write to standard output: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

archive::credential_source archive_credentials(const archive_key_options& o) {
  return [o](archive::protection kind) -> expected<archive::credential> {
    archive::credential c;
    c.kind = kind;
    if (kind == archive::protection::keyfile) {
      if (o.keyfile.empty()) return fail(errc::invalid_input, "the archive is encrypted with a keyfile: give --keyfile FILE");
      CAIRN_ASSIGN(c.keyfile, crypto::read_keyfile(o.keyfile));
    } else if (kind == archive::protection::passphrase) {
      CAIRN_ASSIGN(c.passphrase, passphrase(o, false));
    }
    return c;
  };
}

expected<export_result> export_archive(application& app, const resolved_checkpoint& cp, const export_options& o) {
  if (o.to.empty()) return fail(errc::invalid_input, "export needs --to FILE (or --to - for standard output)");
  if (o.to == "-" && ::isatty(STDOUT_FILENO))
    return fail(errc::invalid_input, "--to -: standard output is a terminal; redirect it to a file");
  CAIRN_ASSIGN(auto key, export_credential(o.key));
  CAIRN_ASSIGN(auto opened, app.open_for_reading(cp.row.target));
  auto& repo = *opened.repo;
  // Shared, as a restore: a prune (exclusive) must not remove packs while
  // they are read. Refreshed as the archive is written.
  CAIRN_ASSIGN(auto lock, repo.lock(false, "export"));
  auto refreshed = std::chrono::steady_clock::now();
  auto keep_alive = [&] {
    if (std::chrono::steady_clock::now() - refreshed < std::chrono::minutes(5)) return;
    refreshed = std::chrono::steady_clock::now();
    (void)lock->refresh();  // a failure shows up as the lock going stale
  };
  CAIRN_ASSIGN(auto c, repo.read_checkpoint(cp.id));
  archive::export_request request;
  request.checkpoint_id = cp.id;
  request.checkpoint = c;
  request.paths = o.paths;
  request.zstd_level = repo.header().zstd_level;
  if (!o.resource.empty()) {
    bool found = false;
    for (const auto& s : c.sources) found = found || (s.type == source_type::resource && s.name == o.resource);
    if (!found)
      return fail(errc::not_found, "checkpoint " + cp.row.id.substr(0, 8) + " holds no resource \"" + o.resource + "\"");
    request.paths.push_back(o.resource);
  }
  if (key.kind == archive::protection::plain) {
    // Sensitive parts of resources go only into encrypted archives.
    for (const auto& s : c.sources) {
      if (s.type != source_type::resource) continue;
      const auto* r = app.config().find_resource(s.name);
      if (!r)
        return fail(errc::invalid_input, "resource " + s.name + ": no descriptor resources.d/" + s.name +
                                           ".yaml here says which of its files are sensitive; export encrypted "
                                           "(--passphrase or --keyfile), or leave it out with --path");
      for (const auto& p : r->sensitive) request.exclude.push_back(s.name + "/" + p);
    }
    request.exclude_reason = "sensitive: the archive is not encrypted";
  }
  export_result result;
  result.to = o.to;
  result.encrypted = key.kind != archive::protection::plain;
  if (o.to == "-") {
    CAIRN_ASSIGN(result.report, archive::write_archive(repo, request, key, [&](byte_view b) {
                   keep_alive();
                   return write_stdout(b);
                 }));
    return result;
  }
  CAIRN_ASSIGN(auto file, file_writer::create(o.to));
  CAIRN_ASSIGN(result.report, archive::write_archive(repo, request, key, [&](byte_view b) {
                 keep_alive();
                 return file->write(b);
               }));
  CAIRN_TRY(file->commit());
  return result;
}

expected<std::unique_ptr<archive::archive_reader>> open_archive(const std::string& file,
                                                                const archive_key_options& options) {
  CAIRN_ASSIGN(auto source, archive::file_source(file));
  return archive::archive_reader::open(std::move(source), archive_credentials(options), file);
}

expected<std::vector<repo::node>> list_archive(archive::archive_reader& reader, const std::string& path) {
  CAIRN_ASSIGN(auto tree, reader.read_tree(reader.info().root));
  size_t start = 0;
  size_t depth = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    if (++depth > repo::max_tree_depth) return fail(errc::invalid_input, "the path is deeper than any tree may be");
    auto it = std::find_if(tree.nodes.begin(), tree.nodes.end(), [&](const repo::node& n) { return n.name == part; });
    if (it == tree.nodes.end()) return fail(errc::not_found, "\"" + path + "\" is not in the archive");
    if (it->meta.type != fs::file_type::directory) return std::vector<repo::node>{*it};
    CAIRN_ASSIGN(tree, reader.read_tree(it->subtree));
  }
  return std::move(tree.nodes);
}

expected<restore_report> restore_archive(archive::archive_reader& reader, const std::vector<std::string>& paths,
                                         const stdfs::path& to) {
  CAIRN_ASSIGN(auto r, recovery::restore_archive(reader, paths, to, fs::apply_options{}));
  restore_report report;
  report.files = r.files - std::min<uint64_t>(r.files, r.damaged.size());
  report.files_failed = r.damaged.size();
  report.dirs = r.dirs;
  report.links = r.links;
  report.bytes = r.bytes_written;
  report.bytes_fetched = r.bytes_written;
  report.damaged = std::move(r.damaged);
  for (const auto& d : reader.info().damage) report.warnings.push_back("archive: " + d);
  report.warnings.insert(report.warnings.end(), r.problems.begin(), r.problems.end());
  return report;
}

}  // namespace cairn::service
