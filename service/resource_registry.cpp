#include "service/resource_registry.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>

#include "config/suite_config.hpp"

namespace cairn::service {

namespace {

namespace stdfs = std::filesystem;

std::mutex registry_mutex;  // one change of resources.d at a time

stdfs::path folder_of(const stdfs::path& config_file) { return config_file.parent_path() / "resources.d"; }

std::string user_name(uid_t uid) {
  std::vector<char> buf(16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return {};
  return found->pw_name;
}

bool plain_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 64 && name[0] != '.' && name[0] != '-';
  for (char c : name)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                c == '.');
  return ok;
}

// The descriptor in place, or nullopt when there is none. A file that is not
// a regular one, or does not parse, is returned as an error.
expected<std::optional<config::resource_config>> existing(const stdfs::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<config::resource_config>{};
    return fail(errc::io, "cannot read " + file.string());
  }
  if (!S_ISREG(st.st_mode)) return fail(errc::auth, file.string() + " is not a regular file: remove it by hand");
  std::ifstream in(file);
  std::string text(70u << 10, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  auto r = config::parse_resource(text, file);
  if (!r) return fail(r.error());
  return std::optional<config::resource_config>(std::move(*r));
}

// The caller may change the descriptor in place: root, or who registered it.
status may_change(const std::optional<config::resource_config>& r, const std::string& name, const resource_caller& who) {
  if (who.privileged || !r) return {};
  if (r->registered_by && *r->registered_by == who.uid) return {};
  return fail(errc::auth, "resource \"" + name + "\" was registered by another user (" +
                            (r->registered_by ? "uid " + std::to_string(*r->registered_by) : "by hand") +
                            "): only they or root may change it");
}

status sync_folder(const stdfs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(errc::io, "cannot open " + dir.string());
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? status{} : fail(errc::io, "cannot sync " + dir.string());
}

// Writes `text` to `file` (0644) through a temporary in the same folder.
status write_descriptor(const stdfs::path& file, const std::string& text) {
  auto dir = file.parent_path();
  std::string tmp = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return fail(errc::io, "cannot write in " + dir.string() + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, 0644) == 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), file.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail(errc::io, "cannot write " + file.string());
  }
  return sync_folder(dir);
}

std::optional<std::string> read_text(const stdfs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  std::string text(70u << 10, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  return text;
}

// After a change of resources.d: the whole configuration must still load
// (a plan naming the resource, two sources of one name, too many
// descriptors), else the change is undone and refused.
status still_loads(const stdfs::path& config_file, const stdfs::path& file, const std::optional<std::string>& before,
                   const std::string& what) {
  auto c = config::load_config(config_file);
  if (c) return {};
  if (before) (void)write_descriptor(file, *before);
  else ::unlink(file.c_str());
  return fail(errc::invalid_input, what + " would break the configuration, so it was not done: " + c.error().message());
}

}  // namespace

expected<config::resource_config> register_resource(const stdfs::path& config_file, const resource_registration& q,
                                                    const resource_caller& who) {
  config::resource_config r;
  r.name = q.name;
  r.version = q.version;
  r.backup = q.backup;
  r.recover = q.recover;
  r.post_recovery = q.post_recovery;
  r.sensitive = q.sensitive;
  r.user = q.user;
  if (q.timeout) {
    // Out of range: a value the parser refuses with its own message.
    bool fits = *q.timeout >= 1 && *q.timeout <= std::numeric_limits<uint32_t>::max();
    r.timeout = fits ? static_cast<uint32_t>(*q.timeout) : std::numeric_limits<uint32_t>::max();
  }
  if (!who.privileged) {
    auto self = user_name(who.uid);
    if (self.empty())
      return fail(errc::auth, "uid " + std::to_string(who.uid) + " has no user name on this machine: it cannot own a resource");
    if (!r.user.empty() && r.user != self)
      return fail(errc::auth, "you (" + self + ") may register only resources that run as yourself, not as user \"" +
                                r.user + "\"");
    r.user = self;
  }
  r.registered_by = static_cast<uint32_t>(who.uid);
  if (!plain_name(r.name))
    return fail(errc::invalid_input, "resource name \"" + r.name + "\" must be 1-64 letters, digits, '.', '_' or '-'");
  auto dir = folder_of(config_file);
  auto file = dir / (r.name + ".yaml");
  auto text = config::emit_resource(r);
  CAIRN_ASSIGN(auto parsed, config::parse_resource(text, file));
  if (parsed.name != r.name || parsed.user != r.user || parsed.registered_by != r.registered_by)
    return fail(errc::invalid_input, file.string() + ": the descriptor did not read back as written");
  if (auto runs = config::resource_user(parsed, ::geteuid(), 0644); !runs)
    return fail(errc::invalid_input, runs.error().message());

  std::lock_guard lock(registry_mutex);
  std::error_code ec;
  stdfs::create_directories(dir, ec);
  if (ec) return fail(errc::io, "cannot create " + dir.string() + ": " + ec.message());
  auto before = existing(file);
  if (!before && !who.privileged)
    return fail(errc::auth, "resource \"" + r.name + "\" exists and is not yours: " + before.error().message());
  if (before) CAIRN_TRY(may_change(*before, r.name, who));
  auto old = read_text(file);
  CAIRN_TRY(write_descriptor(file, text));
  CAIRN_TRY(still_loads(config_file, file, old, "registering resource \"" + r.name + "\""));
  return parsed;
}

status unregister_resource(const stdfs::path& config_file, const std::string& name, const resource_caller& who) {
  if (!plain_name(name)) return fail(errc::not_found, "no resource \"" + name + "\" is registered");
  auto dir = folder_of(config_file);
  auto file = dir / (name + ".yaml");
  std::lock_guard lock(registry_mutex);
  auto before = existing(file);
  if (!before && !who.privileged) return fail(errc::auth, "resource \"" + name + "\" is not yours: " + before.error().message());
  if (before && !*before) return fail(errc::not_found, "no resource \"" + name + "\" is registered (" + file.string() + ")");
  if (before) CAIRN_TRY(may_change(*before, name, who));
  auto old = read_text(file);
  if (::unlink(file.c_str()) != 0) return fail(errc::io, "cannot remove " + file.string() + ": " + std::strerror(errno));
  CAIRN_TRY(still_loads(config_file, file, old, "removing resource \"" + name + "\""));
  return sync_folder(dir);
}

expected<std::vector<config::resource_config>> registered_resources(const stdfs::path& config_file) {
  std::error_code ec;
  auto file = stdfs::absolute(config_file, ec);
  return config::load_resources(folder_of(ec ? config_file : file));
}

}  // namespace cairn::service
