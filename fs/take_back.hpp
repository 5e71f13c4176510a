// Takes a folder back from the user a command ran as (a resource with
// `user:`), before Cairn reads it as root. Blocking; thread-safe.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>

#include "base/error.hpp"

namespace cairn::fs {

struct take_back_limits {
  size_t max_depth = 256;         // folders below the top
  size_t max_entries = 1'000'000;  // names in the whole tree
};

// Freezes the tree at `top` from the top down, by descriptor: the top (opened
// without following a symlink, and checked to still be the entry at `top`)
// becomes uid:gid 0700, then each folder, opened from its already frozen
// parent with O_NOFOLLOW, becomes uid:gid with group and other write removed.
// Once a folder is frozen the user can no longer rename or replace its
// entries, so a process of theirs that outlived the command cannot swap a
// folder for a symlink while the tree is read by path. Files keep their
// owner. Refuses (one line, naming the folder) a tree deeper or larger than
// `limits`, another filesystem mounted inside, or an entry that changed
// while it was being frozen.
status take_back(const std::filesystem::path& top, uid_t uid, gid_t gid, const take_back_limits& limits = {});

}  // namespace cairn::fs
