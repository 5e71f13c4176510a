// Recreating entries on restore: files written at offsets (holes stay holes),
// symlinks, hard links, special files, and metadata applied in the order that
// works (owner, xattrs, mode, then times). Free functions; thread-safe for
// distinct paths. Errors name the path.
#pragma once

#include <string>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "fs/metadata.hpp"

namespace cairn::fs {

// Creates a directory (0700 until its metadata is applied); an existing
// directory is fine, anything else in the way is removed first.
status make_directory(const std::string& path);

// Opens a regular file for writing its content: an existing regular file is
// truncated, anything else in the way is removed. Returns the descriptor.
expected<int> create_file(const std::string& path);
status write_at(int fd, uint64_t offset, byte_view data, const std::string& path);
// Like write_at, but skips 4 KiB blocks (aligned in the file) that are all
// zero, so they stay holes in a file that create_file + finish_file made sparse.
status write_sparse(int fd, uint64_t offset, byte_view data, const std::string& path);
// Writes all of `data` at `offset`, zeros included (over old content).
status write_all(int fd, uint64_t offset, byte_view data, const std::string& path);
// Sets the final size (so trailing holes exist) and closes.
status finish_file(int fd, uint64_t size, const std::string& path);

status make_symlink(const std::string& target, const std::string& path);
status make_hardlink(const std::string& existing, const std::string& path);
status make_special(const std::string& path, const metadata& meta);

struct apply_options {
  bool owners = true;  // chown; only effective as root
};
status apply_metadata(const std::string& path, const metadata& meta, const apply_options& options);

// Removes whatever is at `path` (a file, link or a whole tree).
status remove_entry(const std::string& path);

// Creates the directories of `relative` below `root` one by one. A component
// that exists but is not a real directory (a symlink, a file) is replaced, so
// a restore can never be led outside `root` by a symlink already there.
status make_directories_below(const std::string& root, const std::string& relative);

}  // namespace cairn::fs
