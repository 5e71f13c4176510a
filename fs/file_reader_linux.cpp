#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fs/file_reader.hpp"

namespace cairn::fs {

metadata from_stat(const struct stat& st);  // metadata_linux.cpp

namespace {

// Below this the kernel's default read-ahead covers the file: no advice call.
constexpr uint64_t advise_from = 256u << 10;

bool noatime_may_work(const read_hints& hints) {
  static const uid_t euid = ::geteuid();
  return euid == 0 || hints.owner < 0 || static_cast<int64_t>(euid) == hints.owner;
}

}  // namespace

expected<file_reader> file_reader::open(const std::string& path, const read_hints& hints) {
  // O_NONBLOCK guards against blocking on a FIFO swapped in for the file; it
  // has no effect on regular files, so it is not cleared (read() retries
  // without it on EAGAIN).
  int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  int fd = -1;
  if (noatime_may_work(hints)) {
    fd = ::open(path.c_str(), flags | O_NOATIME);
    if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), flags);  // not the owner
  } else {
    fd = ::open(path.c_str(), flags);
  }
  if (fd < 0)
    return fail(errno == ENOENT ? errc::not_found : errc::io,
                "open " + path + ": " + std::strerror(errno));
  if (hints.size >= advise_from) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return file_reader(fd, path);
}

file_reader::file_reader(file_reader&& other) noexcept
  : fd_(other.fd_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

file_reader::~file_reader() {
  if (fd_ >= 0) ::close(fd_);
}

expected<size_t> file_reader::read(uint8_t* out, size_t n) {
  for (;;) {
    ssize_t got = ::read(fd_, out, n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) {
      // A FIFO swapped in for the file must not block us; a file system that
      // honours O_NONBLOCK on regular files gets a blocking descriptor.
      struct stat st {};
      if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
        return fail(errc::io, "read " + path_ + ": no longer a regular file");
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
      continue;
    }
    if (got < 0) return fail(errc::io, "read " + path_ + ": " + std::strerror(errno));
    return static_cast<size_t>(got);
  }
}

expected<metadata> file_reader::stat() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return fail(errc::io, "stat " + path_ + ": " + std::strerror(errno));
  return from_stat(st);
}

}  // namespace cairn::fs
