// File metadata as Cairn stores and restores it, read without following
// symlinks. Free functions; thread-safe (name lookups are cached per thread).
#pragma once

#include <time.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace cairn::fs {

// Nanoseconds since the epoch as a timespec (negative times too).
struct timespec to_timespec(int64_t ns);

enum class file_type : uint8_t {
  regular = 1,
  directory = 2,
  symlink = 3,
  fifo = 4,
  char_device = 5,
  block_device = 6,
  socket = 7,
};

std::string_view to_string(file_type type);

struct xattr {
  std::string name;
  byte_buffer value;
  bool operator==(const xattr&) const = default;
};

struct metadata {
  file_type type = file_type::regular;
  uint32_t mode = 0;  // permission bits with setuid, setgid and sticky (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::string user;   // names at backup time, for display
  std::string group;
  int64_t mtime_ns = 0;
  int64_t atime_ns = 0;  // 0: not recorded (backups do not record it)
  int64_t ctime_ns = 0;
  uint64_t size = 0;
  uint64_t dev = 0;
  uint64_t inode = 0;
  uint64_t nlink = 0;
  uint64_t rdev = 0;
  std::string link_target;  // symlinks
  std::vector<xattr> xattrs;
};

// lstat plus symlink target and extended attributes of `path`.
// not_found when it vanished, io otherwise; the message names the path.
expected<metadata> read_metadata(const std::string& path);

// Only what lstat gives (no xattrs, no names): for counting before a backup.
expected<metadata> stat_only(const std::string& path);

// Entry names of a directory, sorted bytewise, without "." and "..".
expected<std::vector<std::string>> list_directory(const std::string& path);

// An open directory, so its entries are looked up by name alone instead of by
// walking their full path again (fstatat). Owns the descriptor; not synchronized.
class directory {
public:
  static expected<directory> open(const std::string& path);
  directory(directory&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  directory& operator=(directory&& other) noexcept;
  ~directory();

  // Sorted bytewise, without "." and "..".
  expected<std::vector<std::string>> names() const;
  // Like stat_only / read_metadata for the entry `name` of this directory.
  expected<metadata> stat(const std::string& name) const;
  expected<metadata> read(const std::string& name) const;
  // Completes what stat() gave: owner names, symlink target and, when
  // `xattrs` is set, the extended attributes.
  status complete(metadata& m, const std::string& name, bool xattrs) const;
  const std::string& path() const { return path_; }

private:
  directory(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// The extended attributes of an open file (no path lookup); `path` is for messages.
expected<std::vector<xattr>> read_xattrs(int fd, const std::string& path);

// A compact encoding of extended attributes (for the file cache).
byte_buffer encode_xattrs(const std::vector<xattr>& xattrs);
expected<std::vector<xattr>> decode_xattrs(byte_view bytes);

// Joins with exactly one '/'.
std::string join_path(std::string_view dir, std::string_view name);

}  // namespace cairn::fs
