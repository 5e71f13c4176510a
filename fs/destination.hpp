// A restore destination that cannot be escaped. Every entry is reached from
// the destination's root directory handle one component at a time
// (openat with O_NOFOLLOW), never through a symlink, and every change is made
// relative to a directory handle that restore created or verified: a symlink
// or hard link already in the destination, or one swapped in while restoring,
// never leads a write, chmod, chown, utimens or xattr outside it. Metadata is
// applied only to the inode restore created (its identity is checked).
// Thread-safe: any number of threads may use one destination at once.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "fs/metadata.hpp"

namespace cairn::fs {

// Which inode an entry is: restore records it when it creates (or verifies)
// the entry and checks it before changing the entry's metadata.
struct identity {
  uint64_t dev = 0;
  uint64_t ino = 0;
  bool known() const { return ino != 0; }
  bool operator==(const identity&) const = default;
};

// An open directory of the destination. Closed when the last user drops it.
class dir_handle {
public:
  dir_handle(int fd, std::string relative) : fd_(fd), relative_(std::move(relative)) {}
  dir_handle(const dir_handle&) = delete;
  dir_handle& operator=(const dir_handle&) = delete;
  ~dir_handle();
  int fd() const { return fd_; }
  // Its path below the destination ("" for the root), for messages.
  const std::string& relative() const { return relative_; }

private:
  int fd_;
  std::string relative_;
};
using dir_ptr = std::shared_ptr<const dir_handle>;

// Whose the restored entries become when someone other than the process's
// user asked for the restore (the daemon runs as root, a user asks it through
// the API): every entry is given to them, setuid and setgid bits are dropped
// and device nodes are not made.
struct owner_override {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct apply_options {
  bool owners = true;  // chown to the recorded owners; only effective as root
  std::optional<owner_override> as_owner;
};

class destination {
public:
  // Opens (creating it and its parents when missing, unless `create` is
  // false: then not_found) the destination root. The root itself may be
  // reached through symlinks: it is the user's choice. With `owner`, the root
  // must already be a directory of that user (followed through symlinks, then
  // checked on the opened handle).
  static expected<std::shared_ptr<destination>> open(const std::filesystem::path& root,
                                                     std::optional<uint32_t> owner = std::nullopt,
                                                     bool create = true);

  const std::filesystem::path& root() const { return root_; }
  std::string path_of(std::string_view relative) const;

  // The directory at `relative` ("a/b"; "" is the root). With `create`,
  // missing components are created (0700) and anything else in their place
  // (a symlink, a file) is removed first; without, not_found.
  expected<dir_ptr> directory(std::string_view relative, bool create);

  // A directory `name` in `parent`: an existing directory is kept (and made
  // writable for its owner until its metadata is applied), anything else is
  // replaced. Returns the directory's identity.
  expected<identity> make_directory(const dir_handle& parent, const std::string& name);
  expected<identity> make_symlink(const dir_handle& parent, const std::string& name,
                                  const std::string& target);
  expected<identity> make_special(const dir_handle& parent, const std::string& name,
                                  const metadata& meta);
  // A hard link `name` to the entry `existing` of `existing_parent`, which
  // must still be the inode `expected`.
  status make_hardlink(const dir_handle& existing_parent, const std::string& existing,
                       const identity& expected, const dir_handle& parent, const std::string& name);

  // A new, empty file `temp` (0600, O_EXCL: never an existing file or
  // link); whatever was left under that name is removed first.
  expected<int> create_temp(const dir_handle& parent, const std::string& temp, identity* created);
  // Opens the file `name` for writing, only if it is still `expected`.
  expected<int> open_for_write(const dir_handle& parent, const std::string& name,
                               const identity& expected);
  // Opens an existing regular file with one link for reading; not_found when
  // there is none (or it is something else, or has other links).
  expected<int> open_existing(const dir_handle& parent, const std::string& name, identity* found);
  // Renames `temp` over `name`, replacing whatever is there (a whole tree too).
  status commit(const dir_handle& parent, const std::string& temp, const std::string& name);
  // Removes `name` (a file, a link, or a whole tree; symlinks are not followed).
  status remove(const dir_handle& parent, const std::string& name);

  // The names in `dir` (without "." and ".."), sorted bytewise.
  expected<std::vector<std::string>> names(const dir_handle& dir) const;
  // What `name` of `parent` is, without following it: type, mode, owner,
  // size, mtime and a symlink's target (no xattrs); nullopt when absent.
  expected<std::optional<metadata>> peek(const dir_handle& parent, const std::string& name) const;

  // Owner, xattrs, mode and times of `name`, if it is still `expected` (an
  // unknown identity skips the check: entries restore did not create).
  status apply_metadata(const dir_handle& parent, const std::string& name, const identity& expected,
                        const metadata& meta, const apply_options& options);

private:
  destination(std::filesystem::path root, dir_ptr root_dir)
    : root_(std::move(root)), root_dir_(std::move(root_dir)) {}
  expected<dir_ptr> child(const dir_ptr& parent, const std::string& name, bool create);

  std::filesystem::path root_;
  dir_ptr root_dir_;
  std::mutex mutex_;
  std::unordered_map<std::string, dir_ptr> cache_;  // relative path -> handle (bounded)
};

// Owner, xattrs, mode and times of the regular file open as `fd` (for
// writing: a file restore made itself, so no identity to check).
status apply_file_metadata(int fd, const std::string& path, const metadata& meta, const apply_options& options);

// Writes `data` at `offset` of `fd`, all of it.
status write_at(int fd, uint64_t offset, byte_view data, const std::string& path);
// Like write_at, but skips 4 KiB blocks (aligned in the file) that are all
// zero, so they stay holes in a new file.
status write_sparse(int fd, uint64_t offset, byte_view data, const std::string& path);
// Copies [offset, offset + length) from `from` to the same range of `to`.
status copy_range(int from, int to, uint64_t offset, uint64_t length, const std::string& path);

// A name that is safe to create in a directory: not empty, ".", "..", and
// without '/' or NUL.
bool is_plain_name(std::string_view name);

}  // namespace cairn::fs
