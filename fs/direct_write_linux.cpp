#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "fs/destination.hpp"
#include "fs/direct_write.hpp"

namespace cairn::fs {

namespace {

// The largest direct write, and the size of the aligned buffer it goes through.
constexpr size_t buffer_bytes = 1u << 20;

bool all_zero(const uint8_t* p, size_t n) { return n == 0 || (p[0] == 0 && std::memcmp(p, p + 1, n - 1) == 0); }

tl::unexpected<error> write_failed(const std::string& path, int err) {
  return fail(err == ENOSPC || err == EDQUOT ? errc::no_space : errc::io, "write " + path + ": " + std::strerror(err));
}

}  // namespace

direct_writer::direct_writer() : block_(std::max<size_t>(4096, static_cast<size_t>(::sysconf(_SC_PAGESIZE)))) {}

direct_writer::~direct_writer() { std::free(buffer_); }

status direct_writer::write(int fd, uint64_t offset, byte_view data, const std::string& path) {
  uint64_t end = offset + data.size();
  uint64_t first = (offset + block_ - 1) / block_ * block_;  // the first whole block
  uint64_t last = end / block_ * block_;                       // and the end of the last
  if (refused_ || first >= last) return write_sparse(fd, offset, data, path);
  size_t head = first - offset, body = last - first;
  if (head > 0) CAIRN_TRY(write_sparse(fd, offset, data.first(head), path));
  CAIRN_TRY(write_direct(fd, first, data.subspan(head, body), path));
  if (end > last) CAIRN_TRY(write_sparse(fd, last, data.subspan(head + body), path));
  return {};
}

// `offset` and the size of `data` are multiples of the block size.
status direct_writer::write_direct(int fd, uint64_t offset, byte_view data, const std::string& path) {
  if (!buffer_) {
    void* p = nullptr;
    if (::posix_memalign(&p, block_, buffer_bytes) != 0) {
      refused_ = true;
      return write_sparse(fd, offset, data, path);
    }
    buffer_ = static_cast<uint8_t*>(p);
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_DIRECT) != 0) {  // not on this file system
    refused_ = true;
    return write_sparse(fd, offset, data, path);
  }
  struct put_back {
    int fd, flags;
    ~put_back() { ::fcntl(fd, F_SETFL, flags); }
  } guard{fd, flags};
  size_t pos = 0;
  while (pos < data.size()) {
    if (all_zero(data.data() + pos, block_)) {  // stays a hole
      pos += block_;
      continue;
    }
    size_t run = pos + block_;
    while (run < data.size() && run - pos < buffer_bytes && !all_zero(data.data() + run, block_)) run += block_;
    std::memcpy(buffer_, data.data() + pos, run - pos);
    size_t done = 0;
    while (done < run - pos) {
      ssize_t n = ::pwrite(fd, buffer_ + done, run - pos - done, static_cast<off_t>(offset + pos + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EINVAL) {  // an alignment this device does not take: the page cache from now on
        refused_ = true;
        ::fcntl(fd, F_SETFL, flags);
        return write_sparse(fd, offset + pos + done, data.subspan(pos + done), path);
      }
      if (n <= 0) return write_failed(path, n < 0 ? errno : EIO);
      done += static_cast<size_t>(n);
    }
    pos = run;
  }
  return {};
}

}  // namespace cairn::fs
