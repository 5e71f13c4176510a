// What changed between two checkpoints of one repository: entries added,
// removed, with new content, or with only new metadata (mode, owner, times,
// xattrs, link target). Subtrees with the same id are skipped without being
// read (the trees form a Merkle tree), so a diff costs what changed.
#pragma once

#include <string>
#include <vector>

#include "repo/repository.hpp"

namespace cairn::repo {

enum class change_kind : uint8_t { added, removed, content, metadata, type };

struct tree_change {
  change_kind kind = change_kind::content;
  std::string path;        // "source/dir/name"
  fs::file_type type = fs::file_type::regular;  // in the newer checkpoint (older one for removed)
  uint64_t old_size = 0;
  uint64_t new_size = 0;
};

struct diff_summary {
  size_t added = 0, removed = 0, content = 0, metadata = 0;
  uint64_t bytes_added = 0;    // sizes of added files, and growth of changed ones
  uint64_t bytes_removed = 0;  // sizes of removed files, and shrinkage of changed ones
};

// Calls `on_change` for every change below the two root trees, in path order;
// a removed or added directory is one change (its contents are not listed).
expected<diff_summary> diff_trees(const repository& repo, const object_id& older, const object_id& newer,
                                  const std::function<void(const tree_change&)>& on_change);

std::string_view to_string(change_kind kind);

}  // namespace cairn::repo
