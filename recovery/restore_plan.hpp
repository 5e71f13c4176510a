// Restore planning: from a checkpoint's trees (optionally only some paths) to
// the entries to recreate and, per pack, the blobs to fetch and where each one
// goes. Trees come from a target, so an attacker may have written them: their
// names are validated when decoded, and the planner measures the checkpoint
// (repo::tree_measure: each distinct tree read once) before expanding it, so a
// tree graph that reuses subtrees to blow up, or nests too deep, is refused
// without the memory it would take. Iterative throughout. A restore_plan is immutable
// once built; restore_execution.hpp carries it out.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <limits>
#include <string>
#include <vector>

#include "repo/repository.hpp"

namespace cairn::recovery {

inline constexpr size_t no_link = std::numeric_limits<size_t>::max();

// All entry paths of one restore together (entries and depth: repo_format.hpp).
inline constexpr uint64_t max_restore_path_bytes = 4ull << 30;

struct restore_entry {
  std::string path;           // relative to the destination: "source/dir/file"
  repo::node node;
  size_t hardlink_of = no_link;  // index of the entry whose inode this shares
  bool missing_content = false;  // a content blob is not in the repository
};

struct blob_target {
  uint32_t entry;   // index into entries
  uint64_t offset;  // in the file
};

struct planned_blob {
  repo::blob_entry blob;
  std::vector<blob_target> targets;
};

struct pack_work {
  uint32_t pack = 0;  // number in the repository's index
  std::vector<planned_blob> blobs;  // sorted by offset
};

struct restore_plan {
  std::deque<restore_entry> entries;  // parents before children (a deque: grows without copying)
  std::vector<pack_work> packs;
  uint64_t files = 0, dirs = 0, links = 0, bytes = 0;
  // Files with a blob the index does not know: "path: reason".
  std::vector<std::string> missing;
};

// Where a plan's trees and blobs come from: a repository, or a single-file
// archive (archive/). `locate` gives a content blob's place (pack number and
// an offset that orders the reads), nullopt when it is not there.
struct restore_source {
  std::function<expected<repo::tree>(const object_id&)> read_tree;
  std::function<std::optional<repo::blob_index::location>(const object_id&)> locate;
  std::string missing = "a content blob is missing from the repository";
};

// `paths` are "source/sub/path" in the checkpoint's namespace; empty: all.
// not_found names a path that is not in the checkpoint; corrupt a tree that
// is damaged, unsafe or beyond the limits above.
expected<restore_plan> plan_restore(const repo::repository& repo, const object_id& root_tree,
                                    const std::vector<std::string>& paths);
expected<restore_plan> plan_restore(const restore_source& source, const object_id& root_tree,
                                    const std::vector<std::string>& paths);

}  // namespace cairn::recovery
