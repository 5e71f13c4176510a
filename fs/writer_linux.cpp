#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "fs/writer.hpp"

namespace cairn::fs {

namespace {

tl::unexpected<error> errno_fail(std::string_view what, const std::string& path, int err = errno) {
  errc code = errc::io;
  if (err == ENOSPC || err == EDQUOT) code = errc::no_space;
  if (err == ENOENT) code = errc::not_found;
  return fail(code, std::string(what) + " " + path + ": " + std::strerror(err));
}

struct timespec to_timespec(int64_t ns) {
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1'000'000'000;
    ts.tv_sec -= 1;
  }
  return ts;
}

}  // namespace

status remove_entry(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return fail(errc::io, "remove " + path + ": " + ec.message());
  return {};
}

status make_directories_below(const std::string& root, const std::string& relative) {
  std::string path = root;
  size_t start = 0;
  while (start < relative.size()) {
    size_t end = relative.find('/', start);
    if (end == std::string::npos) end = relative.size();
    if (end > start) {
      path += "/" + relative.substr(start, end - start);
      struct stat st {};
      if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) CAIRN_TRY(make_directory(path));
    }
    start = end + 1;
  }
  return {};
}

status make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) == 0) return {};
  if (errno != EEXIST) return errno_fail("create directory", path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    // Make sure we can write into it even if an earlier restore made it read-only.
    if ((st.st_mode & 0700) != 0700) ::chmod(path.c_str(), st.st_mode | 0700);
    return {};
  }
  // Not a directory: unlink (never remove_all, which could take a directory
  // another restore thread has just made in its place).
  if (::unlink(path.c_str()) != 0 && errno != ENOENT && errno != EISDIR) return errno_fail("replace", path);
  if (::mkdir(path.c_str(), 0700) == 0) return {};
  // Another restore thread may have replaced it at the same moment.
  if (errno == EEXIST && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return {};
  return errno_fail("create directory", path);
}

expected<int> create_file(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) CAIRN_TRY(remove_entry(path));
  if (::lstat(path.c_str(), &st) == 0 && st.st_nlink > 1) ::unlink(path.c_str());  // don't write through a hard link
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 && errno == EACCES) {
    ::chmod(path.c_str(), 0600);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  }
  if (fd < 0) return errno_fail("create", path);
  return fd;
}

status write_at(int fd, uint64_t offset, byte_view data, const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_fail("write", path);
    done += static_cast<size_t>(n);
  }
  return {};
}

status write_all(int fd, uint64_t offset, byte_view data, const std::string& path) {
  return write_at(fd, offset, data, path);
}

status write_sparse(int fd, uint64_t offset, byte_view data, const std::string& path) {
  constexpr uint64_t block = 4096;
  auto is_zero = [](byte_view b) {
    for (uint8_t c : b)
      if (c != 0) return false;
    return true;
  };
  size_t pos = 0;
  while (pos < data.size()) {
    // The run from pos to the next block boundary of the file, then whole blocks.
    uint64_t end_of_block = (offset + pos) / block * block + block;
    size_t len = std::min<size_t>(data.size() - pos, end_of_block - (offset + pos));
    auto piece = data.subspan(pos, len);
    if (is_zero(piece)) {
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

status finish_file(int fd, uint64_t size, const std::string& path) {
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    int err = errno;
    ::close(fd);
    return errno_fail("set size of", path, err);
  }
  if (::close(fd) != 0) return errno_fail("close", path);
  return {};
}

status make_symlink(const std::string& target, const std::string& path) {
  if (::symlink(target.c_str(), path.c_str()) == 0) return {};
  if (errno != EEXIST) return errno_fail("create symlink", path);
  CAIRN_TRY(remove_entry(path));
  if (::symlink(target.c_str(), path.c_str()) != 0) return errno_fail("create symlink", path);
  return {};
}

status make_hardlink(const std::string& existing, const std::string& path) {
  if (::link(existing.c_str(), path.c_str()) == 0) return {};
  if (errno != EEXIST) return errno_fail("create hard link", path);
  CAIRN_TRY(remove_entry(path));
  if (::link(existing.c_str(), path.c_str()) != 0) return errno_fail("create hard link", path);
  return {};
}

status make_special(const std::string& path, const metadata& meta) {
  mode_t kind = 0;
  switch (meta.type) {
    case file_type::fifo: kind = S_IFIFO; break;
    case file_type::char_device: kind = S_IFCHR; break;
    case file_type::block_device: kind = S_IFBLK; break;
    case file_type::socket: kind = S_IFSOCK; break;
    default: return fail(errc::invalid_input, "not a special file: " + path);
  }
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) CAIRN_TRY(remove_entry(path));
  if (::mknod(path.c_str(), kind | 0600, static_cast<dev_t>(meta.rdev)) != 0)
    return errno_fail("create special file", path);
  return {};
}

status apply_metadata(const std::string& path, const metadata& meta, const apply_options& options) {
  bool is_link = meta.type == file_type::symlink;
  if (options.owners && geteuid() == 0) {
    if (::lchown(path.c_str(), meta.uid, meta.gid) != 0) return errno_fail("set owner of", path);
  }
  for (const auto& x : meta.xattrs) {
    if (::lsetxattr(path.c_str(), x.name.c_str(), x.value.data(), x.value.size(), 0) != 0)
      return errno_fail("set extended attribute " + x.name + " on", path);
  }
  // chmod after chown: chown clears setuid and setgid bits.
  if (!is_link && ::chmod(path.c_str(), meta.mode & 07777) != 0)
    return errno_fail("set mode of", path);
  struct timespec times[2] = {to_timespec(meta.atime_ns), to_timespec(meta.mtime_ns)};
  if (meta.atime_ns == 0) times[0].tv_nsec = UTIME_OMIT;  // not recorded
  if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return errno_fail("set times of", path);
  return {};
}

}  // namespace cairn::fs
