#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "fs/file_reader.hpp"

namespace cairn::fs {

metadata from_stat(const struct stat& st);  // metadata_linux.cpp

namespace {

// Below this the kernel's default read-ahead covers the file: no advice call.
constexpr uint64_t advise_from = 256u << 10;
// Each direct read, and the buffer it goes to.
constexpr size_t direct_bytes = 512u << 10;
// Direct reads start at multiples of this (the buffer is aligned to it too).
constexpr size_t direct_align = 4096;

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
  return file_reader(fd, path, hints.size != UINT64_MAX && hints.size >= direct_from);
}

file_reader::file_reader(file_reader&& other) noexcept
  : fd_(other.fd_), path_(std::move(other.path_)), pos_(other.pos_), large_(other.large_),
    direct_(other.direct_), buffer_(std::move(other.buffer_)), buffered_(other.buffered_), taken_(other.taken_) {
  other.fd_ = -1;
}

void file_reader::aligned_free::operator()(uint8_t* p) const { std::free(p); }

file_reader::~file_reader() {
  if (fd_ >= 0) ::close(fd_);
}

expected<size_t> file_reader::read(uint8_t* out, size_t n) {
  if (large_) {
    large_ = false;
    direct_ = start_direct();
  }
  if (taken_ == buffered_ && direct_) {
    auto got = fill_direct();
    if (!got) return got;
  }
  if (taken_ < buffered_) {
    size_t k = std::min(n, buffered_ - taken_);
    std::memcpy(out, buffer_.get() + taken_, k);
    taken_ += k;
    return k;
  }
  return read_at(out, n);
}

// Whether to read this file with O_DIRECT: it is not in the page cache (its
// first block would have to come from the device), and the file system takes
// O_DIRECT. On a cached file, or anything unexpected, the answer is no.
bool file_reader::start_direct() {
  uint8_t probe[512];
  struct iovec v{probe, sizeof probe};
  ssize_t got = ::preadv2(fd_, &v, 1, 0, RWF_NOWAIT);
  if (got >= 0 || errno != EAGAIN) return false;
  void* p = nullptr;
  if (::posix_memalign(&p, direct_align, direct_bytes) != 0) return false;
  buffer_.reset(static_cast<uint8_t*>(p));
  int flags = ::fcntl(fd_, F_GETFL);
  if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_DIRECT) != 0) {
    buffer_.reset();
    return false;
  }
  return true;
}

// The next direct read into buffer_; on the first refusal (an offset or
// alignment the device does not take) the rest of the file is read cached.
expected<size_t> file_reader::fill_direct() {
  buffered_ = taken_ = 0;
  if (pos_ % direct_align == 0) {
    for (;;) {
      ssize_t got = ::pread(fd_, buffer_.get(), direct_bytes, static_cast<off_t>(pos_));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0 && errno == EINVAL) break;
      if (got < 0 && errno == EAGAIN) break;  // read_at deals with it
      if (got < 0) return fail(errc::io, "read " + path_ + ": " + std::strerror(errno));
      buffered_ = static_cast<size_t>(got);
      pos_ += buffered_;
      return buffered_;
    }
  }
  direct_ = false;
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_DIRECT);
  return size_t{0};
}

expected<size_t> file_reader::read_at(uint8_t* out, size_t n) {
  for (;;) {
    ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(pos_));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == ESPIPE)) {
      // A FIFO swapped in for the file must not block us (nor be read: it
      // has no offsets); a file system that honours O_NONBLOCK on regular
      // files gets a blocking descriptor.
      struct stat st {};
      if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode))
        return fail(errc::io, "read " + path_ + ": no longer a regular file");
      ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
      continue;
    }
    if (got < 0) return fail(errc::io, "read " + path_ + ": " + std::strerror(errno));
    pos_ += static_cast<uint64_t>(got);
    return static_cast<size_t>(got);
  }
}

expected<metadata> file_reader::prepare_for_batch() {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return fail(errc::io, "stat " + path_ + ": " + std::strerror(errno));
  if (S_ISREG(st.st_mode)) {
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK) != 0)
      return fail(errc::io, "fcntl " + path_ + ": " + std::strerror(errno));
  }
  large_ = false;  // read elsewhere: never switched to O_DIRECT here
  return from_stat(st);
}

expected<metadata> file_reader::stat() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return fail(errc::io, "stat " + path_ + ": " + std::strerror(errno));
  return from_stat(st);
}

}  // namespace cairn::fs
