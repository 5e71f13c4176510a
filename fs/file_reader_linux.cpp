#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "fs/file_reader.hpp"

namespace cairn::fs {

expected<file_reader> file_reader::open(const std::string& path) {
  int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
  int fd = ::open(path.c_str(), flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = ::open(path.c_str(), flags);  // not the owner
  if (fd < 0)
    return fail(errno == ENOENT ? errc::not_found : errc::io,
                "open " + path + ": " + std::strerror(errno));
  // O_NONBLOCK only guarded against blocking on a FIFO swapped in for the file.
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
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
    if (got < 0) return fail(errc::io, "read " + path_ + ": " + std::strerror(errno));
    return static_cast<size_t>(got);
  }
}

}  // namespace cairn::fs
