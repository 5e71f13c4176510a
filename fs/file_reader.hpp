// Sequential reading of one regular file for a backup: O_NOATIME where allowed
// and read-ahead hints. Pages the user has cached are left alone: dropping
// pages behind us would also drop those the user had cached before.
//
// A large file that is not in the page cache is read with O_DIRECT, through
// an aligned buffer of our own: the device writes into memory this process
// reuses, where a cached read first fills new page-cache pages and then
// copies them (most of a cold backup's system time), and the user's cached
// files are not pushed out by data read once. Whether the file is cached is
// asked of its first block (RWF_NOWAIT); a cached file is read as before.
// One instance per file; not synchronized (several instances may be used from
// several threads).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "fs/metadata.hpp"

namespace cairn::fs {

// What the caller already knows from a stat, to save system calls per file.
struct read_hints {
  uint64_t size = UINT64_MAX;  // expected size: small files get no read-ahead advice
  int64_t owner = -1;          // the file's uid: O_NOATIME is tried only when it may succeed
};

class file_reader {
public:
  // Files at least this large are candidates for O_DIRECT.
  static constexpr uint64_t direct_from = 1u << 20;

  static expected<file_reader> open(const std::string& path, const read_hints& hints = {});
  file_reader(file_reader&& other) noexcept;
  file_reader& operator=(file_reader&&) = delete;
  ~file_reader();

  // Reads up to n bytes; 0 at the end of the file.
  expected<size_t> read(uint8_t* out, size_t n);
  // fstat of the open file (what was read, even if the path now names another).
  expected<metadata> stat() const;
  // Its extended attributes, sorted by name (through the descriptor: no path lookup).
  expected<std::vector<xattr>> xattrs() const { return read_xattrs(fd_, path_); }
  const std::string& path() const { return path_; }

  // For a read done elsewhere (fs::batch_reader): the open file's stat, and,
  // when it is a regular file, its descriptor made blocking (a non-blocking one
  // would make the batch give up on a cold file instead of waiting for it).
  // Not for a file already read from.
  expected<metadata> prepare_for_batch();
  int native_handle() const { return fd_; }

private:
  file_reader(int fd, std::string path, bool large) : fd_(fd), path_(std::move(path)), large_(large) {}
  expected<size_t> read_at(uint8_t* out, size_t n);
  bool start_direct();
  expected<size_t> fill_direct();

  int fd_ = -1;
  std::string path_;
  uint64_t pos_ = 0;      // the file offset of the next read
  bool large_ = false;    // worth asking whether to read it direct (at the first read)
  bool direct_ = false;   // reading with O_DIRECT into buffer_
  struct aligned_free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, aligned_free> buffer_;
  size_t buffered_ = 0;   // bytes in buffer_
  size_t taken_ = 0;      // of which handed out
};

}  // namespace cairn::fs
