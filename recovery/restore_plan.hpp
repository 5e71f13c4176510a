// Restore planning: from a checkpoint's trees (optionally only some paths) to
// the entries to recreate and, per pack, the blobs to fetch and where each one
// goes. Trees come from a target, so an attacker may have written them: their
// names are validated when decoded, and the planner measures the checkpoint
// (repo::tree_measure: each distinct tree read once) before expanding it, so a
// tree graph that reuses subtrees to blow up, or nests too deep, is refused
// without the memory it would take. Iterative throughout. A restore_plan is immutable
// once built; restore_execution.hpp carries it out.
//
// A plan is held for the whole restore, so it is kept lean (~100 bytes a
// file): an entry holds its parent's number and its name in one arena instead
// of a path, only the metadata a restore applies, and its content as numbers
// of the plan's blobs; blobs and their targets are flat arrays.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "repo/repository.hpp"

namespace cairn::recovery {

inline constexpr uint32_t no_entry = std::numeric_limits<uint32_t>::max();

// All entry paths of one restore together (entries and depth: repo_format.hpp).
inline constexpr uint64_t max_restore_path_bytes = 4ull << 30;

struct restore_entry {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t atime_ns = 0;
  uint64_t name_offset = 0;     // into restore_plan::names
  uint32_t name_length = 0;
  uint32_t parent = no_entry;   // the directory entry it is in; no_entry: at the top
  uint32_t mode = 0, uid = 0, gid = 0;
  uint32_t hardlink_of = no_entry;  // the entry whose inode this shares
  uint32_t first_chunk = 0, chunks = 0;  // restore_plan::chunks: its content, in order
  uint32_t extra = no_entry;    // restore_plan::extras: link target, xattrs, device number
  fs::file_type type = fs::file_type::regular;
  bool has_content = false;      // a regular file with content, not a hard link to an earlier entry
  bool missing_content = false;  // a content blob is not in the repository (then chunks is 0)
};

// What few entries have.
struct entry_extra {
  std::string link_target;
  std::vector<fs::xattr> xattrs;
  uint64_t rdev = 0;
};

struct blob_target {
  uint32_t entry;   // index into entries
  uint64_t offset;  // in the file
};

struct planned_blob {
  repo::blob_entry blob;
  uint32_t first_target = 0, targets = 0;  // restore_plan::targets
};

struct pack_work {
  uint32_t pack = 0;  // number in the repository's index
  uint32_t first_blob = 0, blobs = 0;  // restore_plan::blobs, sorted by offset
};

struct restore_plan {
  std::deque<restore_entry> entries;  // parents before children (a deque: grows without copying)
  std::string names;                  // the entries' names, one after another
  std::vector<entry_extra> extras;
  std::vector<uint32_t> chunks;       // numbers into blobs
  std::vector<planned_blob> blobs;    // by pack, then offset
  std::vector<blob_target> targets;   // by blob
  std::vector<pack_work> packs;
  uint64_t files = 0, dirs = 0, links = 0, bytes = 0;
  // Files with a blob the index does not know: "path: reason".
  std::vector<std::string> missing;

  std::string_view name(size_t entry) const {
    const auto& e = entries[entry];
    return std::string_view(names).substr(e.name_offset, e.name_length);
  }
  // Relative to the destination: "source/dir/file".
  std::string path(size_t entry) const;
  // The metadata restore applies (no user names, device or inode numbers).
  fs::metadata meta(size_t entry) const;
  const std::string& link_target(size_t entry) const;
  std::span<const uint32_t> content(size_t entry) const {
    const auto& e = entries[entry];
    return std::span<const uint32_t>(chunks).subspan(e.first_chunk, e.chunks);
  }
  std::span<const planned_blob> blobs_of(const pack_work& w) const {
    return std::span<const planned_blob>(blobs).subspan(w.first_blob, w.blobs);
  }
  std::span<const blob_target> targets_of(const planned_blob& b) const {
    return std::span<const blob_target>(targets).subspan(b.first_target, b.targets);
  }
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
