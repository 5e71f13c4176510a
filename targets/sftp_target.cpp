#include "targets/sftp_target.hpp"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <libssh/sftp.h>
#include <sys/stat.h>

#include <cstdlib>
#include <random>

#include "targets/detail/sftp_read.hpp"
#include "targets/detail/stall_watch.hpp"

namespace cairn::targets {

namespace {

constexpr size_t write_block = 64 * 1024;
constexpr size_t read_depth = 16;

std::string random_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::string dir_of(const std::string& path) { return path.substr(0, path.rfind('/')); }
std::string leaf_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Whether a listing for `prefix` must look inside directory `dir` (relative).
bool may_contain(const std::string& dir, const std::string& prefix) {
  std::string d = dir + "/";
  size_t n = std::min(d.size(), prefix.size());
  return d.compare(0, n, prefix, 0, n) == 0;
}

}  // namespace

struct sftp_target::connection {
  ssh_session ssh = nullptr;
  sftp_session sftp = nullptr;
  bool broken = false;
  size_t read_block = 64 * 1024;  // shrinks to what the server answers (rclone: 32 KiB)
  detail::stall_watch* watch = nullptr;
  std::shared_ptr<detail::stall_watch::socket> watched;  // null: not watched
  ~connection() {
    if (sftp) sftp_free(sftp);
    if (ssh) {
      ssh_disconnect(ssh);
      ssh_free(ssh);
    }
  }
};

// A borrowed connection, returned to the pool when done unless broken.
class sftp_target::lease {
public:
  lease(sftp_target* owner, std::unique_ptr<connection> c) : owner_(owner), c_(std::move(c)) {}
  lease(lease&& o) noexcept : owner_(o.owner_), c_(std::move(o.c_)) {}
  ~lease() {
    if (c_) owner_->give_back(std::move(c_));
  }
  connection& operator*() { return *c_; }
  connection* operator->() { return c_.get(); }

private:
  sftp_target* owner_;
  std::unique_ptr<connection> c_;
};

namespace {

// What an SFTP failure means: not_found, transient (the connection), or io.
// A failure without an SFTP status (SSH_FX_OK) came from the SSH layer: the
// channel closed or the server broke the protocol; the connection is dropped
// either way, and only a lost one is worth a retry.
error sftp_error(sftp_target::connection& c, const std::string& what, const std::string& where) {
  int code = c.sftp ? sftp_get_error(c.sftp) : -1;
  bool connected = c.ssh && ssh_is_connected(c.ssh) && c.sftp && c.sftp->channel &&
                   ssh_channel_is_open(c.sftp->channel) && !ssh_channel_is_eof(c.sftp->channel);
  const char* detail = c.ssh ? ssh_get_error(c.ssh) : "";
  std::string because = detail && *detail ? std::string(" (") + detail + ")" : "";
  if (c.watched && c.watch->stalled(*c.watched)) {
    c.broken = true;
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(c.watch->timeout()).count();
    return error{errc::transient, where + ": " + what + ": nothing moved on the connection for " +
                                    std::to_string(seconds) + " s; dropped it"};
  }
  if (!connected || code == SSH_FX_CONNECTION_LOST || code == SSH_FX_NO_CONNECTION) {
    c.broken = true;
    return error{errc::transient, where + ": " + what + ": connection lost" + because};
  }
  if (code == SSH_FX_NO_SUCH_FILE) return error{errc::not_found, where + ": " + what + ": no such file"};
  if (code == SSH_FX_PERMISSION_DENIED) return error{errc::io, where + ": " + what + ": permission denied"};
  if (code == SSH_FX_OK) {
    c.broken = true;
    return error{errc::io, where + ": " + what + " failed: SSH error" + because};
  }
  return error{errc::io, where + ": " + what + " failed (SFTP status " + std::to_string(code) + ")" + because};
}

expected<std::unique_ptr<sftp_target::connection>> open_connection(const sftp_options& o, const std::string& where,
                                                                   detail::stall_watch& watch) {
  auto c = std::make_unique<sftp_target::connection>();
  c->watch = &watch;
  c->ssh = ssh_new();
  if (!c->ssh) return fail(errc::io, where + ": cannot create an SSH session");
  long timeout = static_cast<long>(o.timeout.count());
  int nodelay = 1;
  ssh_options_set(c->ssh, SSH_OPTIONS_HOST, o.host.c_str());
  ssh_options_set(c->ssh, SSH_OPTIONS_PORT, &o.port);
  if (!o.user.empty()) ssh_options_set(c->ssh, SSH_OPTIONS_USER, o.user.c_str());
  ssh_options_set(c->ssh, SSH_OPTIONS_TIMEOUT, &timeout);
  ssh_options_set(c->ssh, SSH_OPTIONS_NODELAY, &nodelay);  // ~1 MB/s writes without it
  ssh_options_set(c->ssh, SSH_OPTIONS_KNOWNHOSTS, o.known_hosts.c_str());
  if (ssh_connect(c->ssh) != SSH_OK)
    return fail(errc::transient, where + ": cannot connect: " + ssh_get_error(c->ssh));
  c->watched = watch.watch(ssh_get_fd(c->ssh));  // busy from here: authentication and SFTP's start wait too
  if (c->watched) watch.busy(*c->watched, true);
  switch (ssh_session_is_known_server(c->ssh)) {
    case SSH_KNOWN_HOSTS_OK: break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      return fail(errc::auth, where + ": the server's host key CHANGED since it was recorded in " +
                                o.known_hosts.string() + ": refusing (someone may be in the middle); if the server was reinstalled, remove its old line");
    default: {
      std::string fingerprint;
      ssh_key key = nullptr;
      unsigned char* hash = nullptr;
      size_t len = 0;
      if (ssh_get_server_publickey(c->ssh, &key) == SSH_OK &&
          ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
        char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
        if (text) fingerprint = text;
        ssh_string_free_char(text);
        ssh_clean_pubkey_hash(&hash);
      }
      ssh_key_free(key);
      return fail(errc::auth, where + ": unknown host key " + fingerprint + ": it is not in " +
                                o.known_hosts.string() + "; check it, then add it (ssh-keyscan -p " +
                                std::to_string(o.port) + " " + o.host + ")");
    }
  }
  ssh_key key = nullptr;
  if (ssh_pki_import_privkey_file(o.identity.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
    return fail(errc::auth, where + ": cannot read the identity " + o.identity.string());
  int rc = ssh_userauth_publickey(c->ssh, nullptr, key);
  ssh_key_free(key);
  if (rc != SSH_AUTH_SUCCESS)
    return fail(errc::auth, where + ": the server refused the key " + o.identity.string());
  c->sftp = sftp_new(c->ssh);
  if (!c->sftp || sftp_init(c->sftp) != SSH_OK)
    return fail(errc::transient, where + ": cannot start SFTP: " + ssh_get_error(c->ssh));
  return c;
}

}  // namespace

sftp_target::sftp_target(sftp_options options) : options_(std::move(options)) {
  if (options_.known_hosts.empty()) {
    const char* home = std::getenv("HOME");
    options_.known_hosts = std::filesystem::path(home ? home : "/root") / ".ssh/known_hosts";
  }
  while (options_.path.size() > 1 && options_.path.back() == '/') options_.path.pop_back();
  watch_ = std::make_unique<detail::stall_watch>(options_.timeout);
}

sftp_target::~sftp_target() = default;

std::string sftp_target::describe() const {
  std::string port = options_.port == 22 ? "" : ":" + std::to_string(options_.port);
  return "sftp://" + (options_.user.empty() ? "" : options_.user + "@") + options_.host + port + options_.path;
}

std::string sftp_target::remote(std::string_view name) const {
  return options_.path + "/" + std::string(name);
}

expected<sftp_target::lease> sftp_target::borrow() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->watched) watch_->busy(*c->watched, true);
      return lease(this, std::move(c));
    }
    if (open_ < std::max(1, options_.connections)) break;
    available_.wait(lock);
  }
  ++open_;
  lock.unlock();
  auto c = open_connection(options_, describe(), *watch_);
  if (!c) {
    std::lock_guard relock(mutex_);
    --open_;
    available_.notify_one();
    return fail(c.error());
  }
  return lease(this, std::move(*c));
}

void sftp_target::give_back(std::unique_ptr<connection> c) {
  if (c->watched) {
    watch_->busy(*c->watched, false);
    // Shut down as its operation ended anyway (the answer came at the last moment): not reusable.
    if (watch_->stalled(*c->watched)) c->broken = true;
  }
  std::lock_guard lock(mutex_);
  if (c->broken) --open_;  // dropped: the next borrower reconnects
  else idle_.push_back(std::move(c));
  available_.notify_one();
}

status sftp_target::make_parents(connection& c, const std::string& path) {
  std::string dir = dir_of(path);
  {
    std::lock_guard lock(mutex_);
    if (known_dirs_.count(dir)) return {};
  }
  // The root first, then each directory below it (mkdir -p).
  for (size_t pos = options_.path.size(); pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    auto part = dir.substr(0, pos);
    if (sftp_mkdir(c.sftp, part.c_str(), 0755) != SSH_OK) {
      sftp_attributes a = sftp_stat(c.sftp, part.c_str());  // OpenSSH says FAILURE for "exists"
      if (!a) return fail(sftp_error(c, "create directory " + part, describe()));
      sftp_attributes_free(a);
    }
  }
  std::lock_guard lock(mutex_);
  known_dirs_.insert(dir);
  return {};
}

expected<std::string> sftp_target::moved_aside(connection& c, const std::string& path) {
  // Names left by a replace() that did not finish: .replaced-<leaf>-<random>
  std::string dir = dir_of(path), prefix = ".replaced-" + leaf_of(path) + "-";
  sftp_dir d = sftp_opendir(c.sftp, dir.c_str());
  if (!d) return fail(errc::not_found, "");
  std::string found;
  while (sftp_attributes a = sftp_readdir(c.sftp, d)) {
    std::string n = a->name;
    if (n.rfind(prefix, 0) == 0) found = dir + "/" + n;
    sftp_attributes_free(a);
  }
  sftp_closedir(d);
  if (found.empty()) return fail(errc::not_found, "");
  return found;
}

status sftp_target::replace(connection& c, const std::string& tmp, const std::string& path,
                            std::string_view name) {
  if (sftp_rename(c.sftp, tmp.c_str(), path.c_str()) == SSH_OK) return {};
  // OpenSSH does not rename onto an existing name: move the old one aside
  // (readers fall back to it), put the new one in place, drop the old one.
  auto aside = dir_of(path) + "/.replaced-" + leaf_of(path) + "-" + random_suffix();
  if (sftp_rename(c.sftp, path.c_str(), aside.c_str()) != SSH_OK) {
    auto e = sftp_error(c, "replace " + std::string(name), describe());
    sftp_unlink(c.sftp, tmp.c_str());
    return fail(e);
  }
  if (sftp_rename(c.sftp, tmp.c_str(), path.c_str()) != SSH_OK) {
    auto e = sftp_error(c, "replace " + std::string(name), describe());
    sftp_rename(c.sftp, aside.c_str(), path.c_str());
    return fail(e);
  }
  sftp_unlink(c.sftp, aside.c_str());
  return {};
}

status sftp_target::put(std::string_view name, byte_view data) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  CAIRN_ASSIGN(auto c, borrow());
  auto path = remote(name);
  auto tmp = dir_of(path) + "/.tmp-" + random_suffix();
  sftp_file f = sftp_open(c->sftp, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!f && sftp_get_error(c->sftp) == SSH_FX_NO_SUCH_FILE) {
    CAIRN_TRY(make_parents(*c, path));
    f = sftp_open(c->sftp, tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  }
  if (!f) return fail(sftp_error(*c, "create " + std::string(name), describe()));
  for (size_t done = 0; done < data.size();) {
    size_t n = std::min(write_block, data.size() - done);
    ssize_t w = sftp_write(f, data.data() + done, n);
    if (w <= 0) {
      auto e = sftp_error(*c, "write " + std::string(name), describe());
      sftp_close(f);
      sftp_unlink(c->sftp, tmp.c_str());
      return fail(e);
    }
    done += static_cast<size_t>(w);
  }
  if (sftp_extension_supported(c->sftp, "fsync@openssh.com", "1")) sftp_fsync(f);
  if (sftp_close(f) != SSH_OK) {
    auto e = sftp_error(*c, "close " + std::string(name), describe());
    sftp_unlink(c->sftp, tmp.c_str());
    return fail(e);
  }
  return replace(*c, tmp, path, name);
}

expected<byte_buffer> sftp_target::get(std::string_view name, byte_range range) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  CAIRN_ASSIGN(auto c, borrow());
  auto path = remote(name);
  sftp_file f = sftp_open(c->sftp, path.c_str(), O_RDONLY, 0);
  if (!f) {
    auto e = sftp_error(*c, "open " + std::string(name), describe());
    if (e.code() != errc::not_found) return fail(e);
    auto aside = moved_aside(*c, path);  // a replace in progress, or interrupted
    if (aside) f = sftp_open(c->sftp, aside->c_str(), O_RDONLY, 0);
    if (!f) return fail(errc::not_found, describe() + ": " + std::string(name) + " not found");
  }
  sftp_attributes a = sftp_fstat(f);
  if (!a) {  // not an empty object: a read that did not happen (the connection, most often)
    auto e = sftp_error(*c, "stat " + std::string(name), describe());
    sftp_close(f);
    return fail(e);
  }
  uint64_t size = a->size;
  sftp_attributes_free(a);
  if (range.offset > size) {
    sftp_close(f);
    return fail(errc::invalid_input, describe() + ": read past the end of " + std::string(name));
  }
  uint64_t length = std::min<uint64_t>(range.length, size - range.offset);
  byte_buffer out(length);
  auto r = detail::sftp_read_at(f, range.offset, out.data(), length, c->read_block, read_depth);
  if (r.in_flight) c->broken = true;  // unanswered replies would confuse the next user
  if (r.outcome == detail::sftp_read_result::ended_early) {
    sftp_close(f);
    return fail(errc::corrupt, describe() + ": " + std::string(name) + " ends at byte " + std::to_string(r.end) +
                                 ", not at " + std::to_string(size) + " as its size said (changed or truncated while read)");
  }
  if (r.outcome == detail::sftp_read_result::failed) {
    auto e = sftp_error(*c, "read " + std::string(name), describe());
    sftp_close(f);
    return fail(e);
  }
  sftp_close(f);
  return out;
}

expected<object_info> sftp_target::stat(std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  CAIRN_ASSIGN(auto c, borrow());
  auto path = remote(name);
  sftp_attributes a = sftp_stat(c->sftp, path.c_str());
  if (!a) {
    auto e = sftp_error(*c, "stat " + std::string(name), describe());
    if (e.code() != errc::not_found) return fail(e);
    if (auto aside = moved_aside(*c, path)) a = sftp_stat(c->sftp, aside->c_str());
    if (!a) return fail(errc::not_found, describe() + ": " + std::string(name) + " not found");
  }
  object_info info{std::string(name), a->size};
  bool regular = a->type == SSH_FILEXFER_TYPE_REGULAR;
  sftp_attributes_free(a);
  if (!regular) return fail(errc::not_found, describe() + ": " + std::string(name) + " not found");
  return info;
}

status sftp_target::list(std::string_view prefix, const std::function<bool(const object_info&)>& fn) {
  CAIRN_ASSIGN(auto c, borrow());
  std::string pre(prefix);
  auto slash = pre.rfind('/');
  std::vector<std::string> dirs_to_list{slash == std::string::npos ? std::string() : pre.substr(0, slash)};
  while (!dirs_to_list.empty()) {
    auto rel = dirs_to_list.back();
    dirs_to_list.pop_back();
    auto dir = rel.empty() ? options_.path : remote(rel);
    sftp_dir d = sftp_opendir(c->sftp, dir.c_str());
    if (!d) {
      if (sftp_get_error(c->sftp) == SSH_FX_NO_SUCH_FILE) continue;
      return fail(sftp_error(*c, "list " + (rel.empty() ? std::string("/") : rel), describe()));
    }
    std::vector<object_info> found;
    while (sftp_attributes a = sftp_readdir(c->sftp, d)) {
      std::string n = a->name;
      bool is_dir = a->type == SSH_FILEXFER_TYPE_DIRECTORY;
      uint64_t size = a->size;
      sftp_attributes_free(a);
      if (n.empty() || n[0] == '.') continue;  // ., .., temporaries, moved-aside objects
      std::string full = rel.empty() ? n : rel + "/" + n;
      if (is_dir) {
        if (may_contain(full, pre)) dirs_to_list.push_back(full);
        continue;
      }
      if (full.compare(0, pre.size(), pre) == 0) found.push_back({full, size});
    }
    bool eof = sftp_dir_eof(d);
    sftp_closedir(d);
    if (!eof) return fail(sftp_error(*c, "list " + rel, describe()));
    for (const auto& info : found)
      if (!fn(info)) return {};
  }
  return {};
}

status sftp_target::remove(std::string_view name) {
  if (!valid_object_name(name))
    return fail(errc::invalid_input, describe() + ": invalid object name " + std::string(name));
  CAIRN_ASSIGN(auto c, borrow());
  if (sftp_unlink(c->sftp, remote(name).c_str()) != SSH_OK && sftp_get_error(c->sftp) != SSH_FX_NO_SUCH_FILE)
    return fail(sftp_error(*c, "remove " + std::string(name), describe()));
  return {};
}

}  // namespace cairn::targets
