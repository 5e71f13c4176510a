// Bounded walks over a checkpoint's tree graph. Trees form a DAG: one subtree
// may be referenced from many places, so a walk that expands every reference
// can cost far more than the repository holds, and a deep chain would
// overflow a recursive walk. tree_measure reads each distinct tree once
// (iteratively, depth-bounded) and memoizes per tree id what a full
// expansion (restore) would see. Not thread-safe: one per walk or caller.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "repo/repo_format.hpp"
#include "repo/repository.hpp"

namespace cairn::repo {

struct tree_extent {
  // Entries below the tree when every reference of a subtree is expanded
  // (what restore creates), saturating at UINT64_MAX.
  uint64_t entries = 0;
  // Directory levels below the tree: 0 when it holds no directory (a path
  // from it passes depth + 1 trees).
  uint32_t depth = 0;
};

class tree_measure {
public:
  // Called once per distinct tree read, with the path it was first reached
  // by ("checkpoint ab12cd34:/src/dir" style prefix + names).
  using visitor = std::function<void(const std::string& path, const object_id& id, const tree& t)>;
  // When set, a tree that cannot be read is reported here and counted as
  // empty instead of failing the walk (check goes on to name more damage).
  using error_sink = std::function<void(const std::string& path, const object_id& id, const error& e)>;

  // Reads one tree by id (a repository's, or a single-file archive's).
  using tree_reader = std::function<expected<tree>(const object_id&)>;
  explicit tree_measure(const repository& repo, visitor on_tree = {}, error_sink on_error = {});
  explicit tree_measure(tree_reader read, visitor on_tree = {}, error_sink on_error = {});

  // The expanded size and depth below `root`, memoized per tree id, so a
  // second root sharing subtrees costs only what is new. corrupt when a tree
  // cannot be read (without an error sink), when a path from `root` passes
  // more than max_tree_depth trees (root included; the walk stops there), or
  // when the graph contains a cycle.
  expected<tree_extent> measure(const object_id& root, const std::string& path = "");

  // measure(), then refuses (corrupt, one line naming the checkpoint's root
  // tree and the limit) a graph beyond max_tree_depth or whose expanded
  // entry count exceeds max_checkpoint_entries. What restore calls before it
  // plans anything.
  expected<tree_extent> check_limits(const object_id& root, const std::string& path = "");

  size_t trees_read() const { return memo_.size(); }

private:
  tree_reader read_;
  visitor on_tree_;
  error_sink on_error_;
  std::unordered_map<object_id, tree_extent> memo_;
};

// "a + b", saturating at UINT64_MAX.
inline uint64_t saturating_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

}  // namespace cairn::repo
