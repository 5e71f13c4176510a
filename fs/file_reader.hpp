// Sequential reading of one regular file for a backup: O_NOATIME where allowed
// and read-ahead hints. The page cache is left alone: dropping pages behind us
// would also drop those the user had cached before, and the kernel's LRU keeps
// read-once pages from displacing the working set. One instance per file; not
// synchronized.
#pragma once

#include <string>

#include "base/error.hpp"

namespace cairn::fs {

class file_reader {
public:
  static expected<file_reader> open(const std::string& path);
  file_reader(file_reader&& other) noexcept;
  file_reader& operator=(file_reader&&) = delete;
  ~file_reader();

  // Reads up to n bytes; 0 at the end of the file.
  expected<size_t> read(uint8_t* out, size_t n);
  const std::string& path() const { return path_; }

private:
  file_reader(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace cairn::fs
