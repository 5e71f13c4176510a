// Writing the content of large restored files around the page cache.
//
// A restore writes gigabytes that nobody reads back soon. Through the page
// cache every byte is copied into a newly allocated page: that copy is the
// largest share of a restore's system time, and the pages push the user's
// own data out of memory. With O_DIRECT the device takes the bytes from our
// buffer instead.
//
// O_DIRECT needs the buffer, the file offset and the length aligned to the
// block size, and a chunk starts anywhere in a file. So each write is split:
// the whole blocks inside it go direct (copied into an aligned buffer), the
// partial blocks at its two ends through the page cache. A block is either
// inside one chunk (written direct, once) or holds a chunk boundary or the
// file's end (written through the page cache, by each chunk it holds part
// of), never both: the two paths never write the same block, so they stay
// coherent however the chunks' writes interleave across threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace cairn::fs {

class direct_writer {
public:
  // Files smaller than this go through the page cache: a direct write waits
  // for the device, which costs more than the copy for a few blocks.
  static constexpr uint64_t worth_from = 1u << 20;

  direct_writer();
  direct_writer(const direct_writer&) = delete;
  direct_writer& operator=(const direct_writer&) = delete;
  ~direct_writer();

  // Like write_sparse: writes `data` at `offset` of `fd` (a file opened for
  // writing, without O_DIRECT), all-zero blocks staying holes. When the file
  // system refuses O_DIRECT, this and every later write goes through the page
  // cache.
  status write(int fd, uint64_t offset, byte_view data, const std::string& path);

private:
  status write_direct(int fd, uint64_t offset, byte_view data, const std::string& path);

  size_t block_;
  uint8_t* buffer_ = nullptr;  // aligned, allocated at the first direct write
  bool refused_ = false;
};

}  // namespace cairn::fs
