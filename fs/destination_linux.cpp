#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "fs/destination.hpp"

namespace cairn::fs {

namespace {

constexpr int attempts = 8;          // a destination that keeps changing under us
constexpr size_t cached_dirs = 256;  // directory handles kept open

tl::unexpected<error> errno_fail(std::string_view what, const std::string& path, int err = errno) {
  errc code = errc::io;
  if (err == ENOSPC || err == EDQUOT) code = errc::no_space;
  if (err == ENOENT) code = errc::not_found;
  return fail(code, std::string(what) + " " + path + ": " + std::strerror(err));
}

uid_t effective_uid() {
  static const uid_t euid = ::geteuid();  // once, not once a file
  return euid;
}

tl::unexpected<error> changed(const std::string& path) {
  return fail(errc::io, path + " changed while restoring: left alone");
}

std::string join(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  out += '/';
  out += name;
  return out;
}

identity identity_of(const struct stat& st) {
  return {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)};
}


mode_t kind_of(file_type type) {
  switch (type) {
    case file_type::regular: return S_IFREG;
    case file_type::directory: return S_IFDIR;
    case file_type::symlink: return S_IFLNK;
    case file_type::fifo: return S_IFIFO;
    case file_type::char_device: return S_IFCHR;
    case file_type::block_device: return S_IFBLK;
    case file_type::socket: return S_IFSOCK;
  }
  return 0;
}

bool proc_available() {
  static const bool available = ::access("/proc/self/fd", X_OK) == 0;
  return available;
}

std::string proc_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// The names in the directory `fd` (without "." and "..").
expected<std::vector<std::string>> names_in(int fd, const std::string& path) {
  int copy = ::dup(fd);
  if (copy < 0) return errno_fail("read directory", path);
  DIR* dir = ::fdopendir(copy);
  if (!dir) {
    ::close(copy);
    return errno_fail("read directory", path);
  }
  ::rewinddir(dir);
  std::vector<std::string> names;
  while (auto* e = ::readdir(dir)) {
    std::string_view n(e->d_name);
    if (n != "." && n != "..") names.emplace_back(n);
  }
  ::closedir(dir);
  return names;
}

// Removes every entry in the open directory `fd` except directories, whose
// names are returned.
expected<std::vector<std::string>> clear_files(int fd, const std::string& path) {
  CAIRN_ASSIGN(auto names, names_in(fd, path));
  std::vector<std::string> subdirs;
  for (auto& n : names) {
    if (::unlinkat(fd, n.c_str(), 0) == 0 || errno == ENOENT) continue;
    if (errno != EISDIR && errno != EPERM) return errno_fail("remove", join(path, n));
    subdirs.push_back(std::move(n));
  }
  return subdirs;
}

// Removes the tree `name` of `parent` without following any symlink; an
// explicit stack keeps a deep tree from exhausting the call stack.
status remove_tree(int parent, const std::string& name, const std::string& path) {
  struct level {
    int fd;
    std::string name, path;
    std::vector<std::string> subdirs;
  };
  std::vector<level> stack;
  auto close_all = [&] {
    for (auto& l : stack) ::close(l.fd);
  };
  auto enter = [&](int at, const std::string& n, const std::string& p) -> status {
    int fd = ::openat(at, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return {};
      if (errno != ENOTDIR && errno != ELOOP) return errno_fail("remove", p);
      if (::unlinkat(at, n.c_str(), 0) != 0 && errno != ENOENT) return errno_fail("remove", p);
      return {};
    }
    stack.push_back({fd, n, p, {}});
    auto subdirs = clear_files(fd, p);
    if (!subdirs) return tl::unexpected(subdirs.error());
    stack.back().subdirs = std::move(*subdirs);
    return {};
  };
  if (auto st = enter(parent, name, path); !st) return st;
  while (!stack.empty()) {
    auto& top = stack.back();
    if (!top.subdirs.empty()) {
      std::string n = std::move(top.subdirs.back());
      top.subdirs.pop_back();
      std::string p = join(top.path, n);
      if (auto st = enter(top.fd, n, p); !st) {
        close_all();
        return st;
      }
      continue;
    }
    level done = std::move(top);
    stack.pop_back();
    ::close(done.fd);
    int at = stack.empty() ? parent : stack.back().fd;
    if (::unlinkat(at, done.name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
      int err = errno;
      close_all();
      return errno_fail("remove", done.path, err);
    }
  }
  return {};
}

}  // namespace

dir_handle::~dir_handle() {
  if (fd_ >= 0) ::close(fd_);
}

bool is_plain_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find('/') == std::string_view::npos && name.find('\0') == std::string_view::npos;
}

expected<std::shared_ptr<destination>> destination::open(const std::filesystem::path& root,
                                                         std::optional<uint32_t> owner, bool create) {
  std::error_code ec;
  if (!owner && create) std::filesystem::create_directories(root, ec);
  int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_fail("open destination", root.string());
  struct stat st {};
  if (owner && (::fstat(fd, &st) != 0 || st.st_uid != *owner)) {
    ::close(fd);
    return fail(errc::invalid_input, "restore destination " + root.string() + " is not a directory of uid " +
                                       std::to_string(*owner) + " (the caller): restore only into your own directory");
  }
  auto handle = std::make_shared<const dir_handle>(fd, "");
  return std::shared_ptr<destination>(new destination(root, std::move(handle)));
}

std::string destination::path_of(std::string_view relative) const {
  return relative.empty() ? root_.string() : (root_ / std::string(relative)).string();
}

expected<dir_ptr> destination::child(const dir_ptr& parent, const std::string& name, bool create) {
  std::string relative = join(parent->relative(), name);
  if (!is_plain_name(name)) return fail(errc::corrupt, "unsafe name in " + path_of(relative));
  for (int attempt = 0; attempt < attempts; ++attempt) {
    int fd = ::openat(parent->fd(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st {};
      // Restore writes into it: make sure its owner may (its own mode comes last).
      if (create && ::fstat(fd, &st) == 0 && st.st_uid == effective_uid() && (st.st_mode & 0700) != 0700)
        ::fchmod(fd, (st.st_mode & 07777) | 0700);
      return std::make_shared<const dir_handle>(fd, std::move(relative));
    }
    int err = errno;
    if (!create) return errno_fail("open directory", path_of(relative), err == ELOOP ? ENOTDIR : err);
    if (err == ENOENT) {
      if (::mkdirat(parent->fd(), name.c_str(), 0700) != 0 && errno != EEXIST)
        return errno_fail("create directory", path_of(relative));
    } else if (err == ENOTDIR || err == ELOOP) {  // a symlink or a file in the way
      if (::unlinkat(parent->fd(), name.c_str(), 0) != 0 && errno != ENOENT && errno != EISDIR)
        return errno_fail("replace", path_of(relative));
    } else if (err == EACCES) {  // a directory its owner cannot read: give it back
      if (::fchmodat(parent->fd(), name.c_str(), 0700, AT_SYMLINK_NOFOLLOW) != 0)
        return errno_fail("open directory", path_of(relative), err);
    } else {
      return errno_fail("open directory", path_of(relative), err);
    }
  }
  return changed(path_of(relative));
}

expected<dir_ptr> destination::directory(std::string_view relative, bool create) {
  if (relative.empty()) return root_dir_;
  // The deepest cached ancestor, then one component at a time from there.
  dir_ptr at;
  size_t done = 0;
  {
    std::lock_guard lock(mutex_);
    std::string_view prefix = relative;
    while (true) {
      auto it = cache_.find(std::string(prefix));
      if (it != cache_.end()) {
        at = it->second;
        done = prefix.size();
        break;
      }
      auto slash = prefix.rfind('/');
      if (slash == std::string_view::npos) break;
      prefix = prefix.substr(0, slash);
    }
  }
  if (!at) at = root_dir_;
  if (done == relative.size()) return at;
  size_t start = done == 0 ? 0 : done + 1;
  while (start <= relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string_view::npos) end = relative.size();
    if (end > start) {
      CAIRN_ASSIGN(at, child(at, std::string(relative.substr(start, end - start)), create));
      std::lock_guard lock(mutex_);
      if (cache_.size() >= cached_dirs) cache_.clear();
      cache_[at->relative()] = at;
    }
    start = end + 1;
  }
  return at;
}

expected<identity> destination::make_directory(const dir_handle& parent, const std::string& name) {
  CAIRN_ASSIGN(auto dir, directory(join(parent.relative(), name), true));
  struct stat st {};
  if (::fstat(dir->fd(), &st) != 0) return errno_fail("stat", path_of(dir->relative()));
  return identity_of(st);
}

namespace {

// Runs `make` (which returns 0 or -1 with errno); when something is in the
// way (EEXIST), removes it and tries again.
template <class Make>
status replace_with(destination& dest, const dir_handle& parent, const std::string& name,
                    const std::string& path, std::string_view what, Make&& make) {
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (make() == 0) return {};
    if (errno != EEXIST) return errno_fail(what, path);
    CAIRN_TRY(dest.remove(parent, name));
  }
  return changed(path);
}

expected<identity> stat_entry(const dir_handle& parent, const std::string& name, mode_t kind,
                              const std::string& path) {
  struct stat st {};
  if (::fstatat(parent.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return errno_fail("stat", path);
  if ((st.st_mode & S_IFMT) != kind) return changed(path);
  return identity_of(st);
}

}  // namespace

expected<identity> destination::make_symlink(const dir_handle& parent, const std::string& name,
                                             const std::string& target) {
  std::string path = path_of(join(parent.relative(), name));
  if (!is_plain_name(name)) return fail(errc::corrupt, "unsafe name in " + path);
  CAIRN_TRY(replace_with(*this, parent, name, path, "create symlink",
                         [&] { return ::symlinkat(target.c_str(), parent.fd(), name.c_str()); }));
  return stat_entry(parent, name, S_IFLNK, path);
}

expected<identity> destination::make_special(const dir_handle& parent, const std::string& name,
                                             const metadata& meta) {
  std::string path = path_of(join(parent.relative(), name));
  if (!is_plain_name(name)) return fail(errc::corrupt, "unsafe name in " + path);
  mode_t kind = kind_of(meta.type);
  if (kind != S_IFIFO && kind != S_IFCHR && kind != S_IFBLK && kind != S_IFSOCK)
    return fail(errc::invalid_input, "not a special file: " + path);
  CAIRN_TRY(replace_with(*this, parent, name, path, "create special file", [&] {
    return ::mknodat(parent.fd(), name.c_str(), kind | 0600, static_cast<dev_t>(meta.rdev));
  }));
  return stat_entry(parent, name, kind, path);
}

status destination::make_hardlink(const dir_handle& existing_parent, const std::string& existing,
                                  const identity& expected, const dir_handle& parent,
                                  const std::string& name) {
  std::string path = path_of(join(parent.relative(), name));
  if (!is_plain_name(name)) return fail(errc::corrupt, "unsafe name in " + path);
  std::string first = path_of(join(existing_parent.relative(), existing));
  CAIRN_ASSIGN(auto now, stat_entry(existing_parent, existing, S_IFREG, first));
  if (expected.known() && now != expected) return changed(first);
  CAIRN_TRY(replace_with(*this, parent, name, path, "create hard link", [&] {
    return ::linkat(existing_parent.fd(), existing.c_str(), parent.fd(), name.c_str(), 0);
  }));
  CAIRN_ASSIGN(auto made, stat_entry(parent, name, S_IFREG, path));
  if (made != now) return changed(path);
  return {};
}

expected<int> destination::create_temp(const dir_handle& parent, const std::string& temp,
                                       identity* created) {
  std::string path = path_of(join(parent.relative(), temp));
  for (int attempt = 0; attempt < attempts; ++attempt) {
    int fd = ::openat(parent.fd(), temp.c_str(),
                      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      struct stat st {};
      if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        return errno_fail("stat", path, err);
      }
      if (created) *created = identity_of(st);
      return fd;
    }
    if (errno != EEXIST) return errno_fail("create", path);
    CAIRN_TRY(remove(parent, temp));
  }
  return changed(path);
}

expected<int> destination::open_for_write(const dir_handle& parent, const std::string& name,
                                          const identity& expected) {
  std::string path = path_of(join(parent.relative(), name));
  // O_NONBLOCK: a FIFO swapped in must not block the open.
  int fd = ::openat(parent.fd(), name.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno_fail("open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || identity_of(st) != expected) {
    ::close(fd);
    return changed(path);
  }
  return fd;
}

expected<int> destination::open_existing(const dir_handle& parent, const std::string& name,
                                         identity* found) {
  std::string path = path_of(join(parent.relative(), name));
  int fd = ::openat(parent.fd(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return errno_fail("open", path);
  struct stat st {};
  // Never through a hard link: its other names are not ours to change.
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
    ::close(fd);
    return fail(errc::not_found, path + ": not a regular file with one link");
  }
  if (found) *found = identity_of(st);
  return fd;
}

status destination::commit(const dir_handle& parent, const std::string& temp, const std::string& name) {
  std::string path = path_of(join(parent.relative(), name));
  if (!is_plain_name(name)) return fail(errc::corrupt, "unsafe name in " + path);
  for (int attempt = 0; attempt < attempts; ++attempt) {
    if (::renameat(parent.fd(), temp.c_str(), parent.fd(), name.c_str()) == 0) return {};
    if (errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST) return errno_fail("rename into", path);
    CAIRN_TRY(remove(parent, name));  // a directory in the way
  }
  return changed(path);
}

status destination::remove(const dir_handle& parent, const std::string& name) {
  std::string path = path_of(join(parent.relative(), name));
  if (!is_plain_name(name)) return fail(errc::corrupt, "unsafe name in " + path);
  if (::unlinkat(parent.fd(), name.c_str(), 0) == 0 || errno == ENOENT) return {};
  if (errno != EISDIR && errno != EPERM) return errno_fail("remove", path);
  {
    // The handles of directories below it are no longer valid names.
    std::lock_guard lock(mutex_);
    cache_.clear();
  }
  return remove_tree(parent.fd(), name, path);
}

expected<std::vector<std::string>> destination::names(const dir_handle& dir) const {
  CAIRN_ASSIGN(auto names, names_in(dir.fd(), path_of(dir.relative())));
  std::sort(names.begin(), names.end());
  return names;
}

expected<std::optional<metadata>> destination::peek(const dir_handle& parent, const std::string& name) const {
  std::string path = path_of(join(parent.relative(), name));
  if (!is_plain_name(name)) return fail(errc::corrupt, "unsafe name in " + path);
  struct stat st {};
  if (::fstatat(parent.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return std::optional<metadata>();
    return errno_fail("stat", path);
  }
  metadata m;
  switch (st.st_mode & S_IFMT) {
    case S_IFDIR: m.type = file_type::directory; break;
    case S_IFLNK: m.type = file_type::symlink; break;
    case S_IFIFO: m.type = file_type::fifo; break;
    case S_IFCHR: m.type = file_type::char_device; break;
    case S_IFBLK: m.type = file_type::block_device; break;
    case S_IFSOCK: m.type = file_type::socket; break;
    default: m.type = file_type::regular; break;
  }
  m.mode = st.st_mode & 07777;
  m.uid = st.st_uid;
  m.gid = st.st_gid;
  m.size = static_cast<uint64_t>(st.st_size);
  m.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  m.nlink = st.st_nlink;
  m.rdev = st.st_rdev;
  if (m.type == file_type::symlink) {
    std::vector<char> buf(std::max<size_t>(static_cast<size_t>(std::max<off_t>(st.st_size, 0)) + 1, 4096));
    ssize_t n = ::readlinkat(parent.fd(), name.c_str(), buf.data(), buf.size());
    if (n < 0) return errno_fail("read symlink", path);
    m.link_target.assign(buf.data(), static_cast<size_t>(n));
  }
  return std::optional<metadata>(std::move(m));
}

namespace {

// The owner a restored entry gets, if any: the one asked for, or the
// recorded one when running as root.
std::optional<owner_override> owner_for(const metadata& meta, const apply_options& options) {
  if (effective_uid() != 0) return std::nullopt;
  if (options.as_owner) return options.as_owner;
  if (options.owners) return owner_override{meta.uid, meta.gid};
  return std::nullopt;
}

mode_t mode_for(const metadata& meta, const apply_options& options) {
  mode_t mode = meta.mode & 07777;
  if (options.as_owner) mode &= ~mode_t{S_ISUID | S_ISGID};
  return mode;
}

}  // namespace

status destination::apply_metadata(const dir_handle& parent, const std::string& name,
                                   const identity& expected, const metadata& meta,
                                   const apply_options& options) {
  std::string path = path_of(join(parent.relative(), name));
  // A handle on the inode itself: every change below goes to it, whatever
  // happens to the name meanwhile.
  int fd = ::openat(parent.fd(), name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno_fail("open", path);
  struct close_fd {
    int fd;
    ~close_fd() { ::close(fd); }
  } guard{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_fail("stat", path);
  if ((st.st_mode & S_IFMT) != kind_of(meta.type) || (expected.known() && identity_of(st) != expected))
    return changed(path);
  bool is_link = S_ISLNK(st.st_mode);
  bool by_proc = proc_available();
  std::string self = by_proc ? proc_path(fd) : std::string();
  // Symlinks have no mode; their xattrs and times go through the parent's handle.
  std::string link_path = proc_available() ? proc_path(parent.fd()) + "/" + name : path;
  if (auto owner = owner_for(meta, options))
    if (::fchownat(fd, "", owner->uid, owner->gid, AT_EMPTY_PATH) != 0) return errno_fail("set owner of", path);
  for (const auto& x : meta.xattrs) {
    int r = is_link || !by_proc
              ? ::lsetxattr(link_path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0)
              : ::setxattr(self.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0);
    if (r != 0) return errno_fail("set extended attribute " + x.name + " on", path);
  }
  // chmod after chown: chown clears setuid and setgid bits.
  if (!is_link) {
    mode_t mode = mode_for(meta, options);
    int r = by_proc ? ::chmod(self.c_str(), mode) : ::fchmodat(parent.fd(), name.c_str(), mode, AT_SYMLINK_NOFOLLOW);
    if (r != 0) return errno_fail("set mode of", path);
  }
  struct timespec times[2] = {to_timespec(meta.atime_ns), to_timespec(meta.mtime_ns)};
  if (meta.atime_ns == 0) times[0].tv_nsec = UTIME_OMIT;  // not recorded
  int r = is_link || !by_proc ? ::utimensat(parent.fd(), name.c_str(), times, AT_SYMLINK_NOFOLLOW)
                              : ::utimensat(AT_FDCWD, self.c_str(), times, 0);
  if (r != 0) return errno_fail("set times of", path);
  return {};
}

status apply_file_metadata(int fd, const std::string& path, const metadata& meta, const apply_options& options) {
  if (auto owner = owner_for(meta, options))
    if (::fchown(fd, owner->uid, owner->gid) != 0) return errno_fail("set owner of", path);
  for (const auto& x : meta.xattrs)
    if (::fsetxattr(fd, x.name.c_str(), x.value.data(), x.value.size(), 0) != 0)
      return errno_fail("set extended attribute " + x.name + " on", path);
  // After chown, which clears setuid and setgid bits.
  if (::fchmod(fd, mode_for(meta, options)) != 0) return errno_fail("set mode of", path);
  struct timespec times[2] = {to_timespec(meta.atime_ns), to_timespec(meta.mtime_ns)};
  if (meta.atime_ns == 0) times[0].tv_nsec = UTIME_OMIT;  // not recorded
  if (::futimens(fd, times) != 0) return errno_fail("set times of", path);
  return {};
}

status write_at(int fd, uint64_t offset, byte_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_fail("write", path);
    done += static_cast<size_t>(n);
  }
  return {};
}

status write_sparse(int fd, uint64_t offset, byte_view data, const std::string& path) {
  constexpr uint64_t block = 4096;
  auto is_zero = [](byte_view b) { return std::all_of(b.begin(), b.end(), [](uint8_t c) { return c == 0; }); };
  size_t pos = 0;
  while (pos < data.size()) {
    // The run from pos to the next block boundary of the file, then whole blocks.
    uint64_t end_of_block = (offset + pos) / block * block + block;
    size_t len = std::min<size_t>(data.size() - pos, end_of_block - (offset + pos));
    if (is_zero(data.subspan(pos, len))) {
      pos += len;
      continue;
    }
    // Extend over following non-zero blocks so writes stay large.
    size_t run_end = pos + len;
    while (run_end < data.size()) {
      size_t next = std::min<size_t>(data.size() - run_end, block);
      if (is_zero(data.subspan(run_end, next))) break;
      run_end += next;
    }
    CAIRN_TRY(write_at(fd, offset + pos, data.subspan(pos, run_end - pos), path));
    pos = run_end;
  }
  return {};
}

status copy_range(int from, int to, uint64_t offset, uint64_t length, const std::string& path) {
  loff_t in = static_cast<loff_t>(offset), out = static_cast<loff_t>(offset);
  uint64_t left = length;
  while (left > 0) {
    ssize_t n = ::copy_file_range(from, &in, to, &out, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // not supported here, or the source got shorter: copy by hand
    left -= static_cast<uint64_t>(n);
  }
  byte_buffer buffer;
  while (left > 0) {
    buffer.resize(std::min<uint64_t>(left, 1 << 20));
    ssize_t n = ::pread(from, buffer.data(), buffer.size(), in);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_fail("read", path);
    if (n == 0) return fail(errc::io, path + " got shorter while restoring");
    CAIRN_TRY(write_at(to, static_cast<uint64_t>(out), byte_view(buffer.data(), static_cast<size_t>(n)), path));
    in += n;
    out += n;
    left -= static_cast<uint64_t>(n);
  }
  return {};
}

}  // namespace cairn::fs
