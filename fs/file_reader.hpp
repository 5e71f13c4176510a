// Sequential reading of one regular file for a backup: O_NOATIME where allowed
// and read-ahead hints. The page cache is left alone: dropping pages behind us
// would also drop those the user had cached before, and the kernel's LRU keeps
// read-once pages from displacing the working set. One instance per file; not
// synchronized (several instances may be used from several threads).
#pragma once

#include <cstdint>
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

private:
  file_reader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace cairn::fs
