// Searching checkpoints: the entries whose path matches a pattern (find),
// and one path's versions across checkpoints (history). Trees come from a
// target: every checkpoint is measured first (tree_measure::check_limits:
// depth, cycles, expanded size), walks are iterative, and a tree shared
// between checkpoints at the same place is read once (memoized by tree id
// and path). Not thread-safe: one per command.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fs/exclude.hpp"
#include "repo/repository.hpp"
#include "repo/tree_walk.hpp"

namespace cairn::repo {

class tree_finder {
public:
  // `pattern` as for exclude patterns, on the path "/source/dir/name":
  // "*.txt" a name anywhere, "docs/**/*.pdf", "/src/a/*" anchored.
  tree_finder(const repository& repo, const std::string& pattern);

  using on_match = std::function<void(const std::string& path, const fs::metadata& meta)>;
  // Calls `found` for every entry below `root` whose path matches, in path
  // order. corrupt when the checkpoint's trees are damaged or beyond the limits.
  status find(const object_id& root, const on_match& found);

  size_t trees_read() const { return trees_read_; }

private:
  struct hits;
  using hits_ptr = std::shared_ptr<const hits>;
  expected<hits_ptr> collect(const object_id& root);

  const repository& repo_;
  fs::exclude_matcher matcher_;
  tree_measure measure_;
  std::map<std::pair<object_id, std::string>, hits_ptr> memo_;  // (tree, its path) -> matches below
  size_t trees_read_ = 0;
};

// The entry at `path` ("source/dir/name") below `root`, nullopt when absent.
expected<std::optional<node>> find_node(const repository& repo, const object_id& root, const std::string& path);

// What `ls` shows at `path` below `root`: a directory's entries, or the one
// entry a file is; "" (or "/") lists the root, one entry per source.
// not_found (naming the path) when it is absent; depth bounded as find_node.
expected<std::vector<node>> list_path(const repository& repo, const object_id& root, const std::string& path);

// What identifies an entry's content: a file's is the SHA-256 of its chunk
// ids, a directory's its tree id, a symlink's the SHA-256 of its target.
std::string content_id(const node& n);

// One version of a path: the checkpoints [first, last] (indexes into the
// list given, oldest first) in which it had this content, or was absent.
struct path_version {
  size_t first = 0, last = 0;
  bool present = false;
  node entry;              // as in `first` (content ids dropped)
  std::string content;     // content_id(entry)
};

// The versions of `path` across `roots` (the root trees of checkpoints,
// oldest first): a new one whenever the content or presence changes.
expected<std::vector<path_version>> path_history(const repository& repo, const std::vector<object_id>& roots,
                                                 const std::string& path);

}  // namespace cairn::repo
