// Restore planning: from a checkpoint's trees (optionally only some paths) to
// the entries to recreate and, per pack, the blobs to fetch and where each one
// goes. Execution is split so an actor can run packs in parallel:
// prepare_entries -> fetch_pack (any order, concurrently) -> finish_entries.
// A restore_plan is immutable once built; fetch_pack is thread-safe.
#pragma once

#include <filesystem>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "repo/repository.hpp"

namespace cairn::recovery {

inline constexpr size_t no_link = std::numeric_limits<size_t>::max();

struct restore_entry {
  std::string path;           // relative to the destination: "source/dir/file"
  repo::node node;
  size_t hardlink_of = no_link;  // index of the entry whose inode this shares
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
  std::vector<restore_entry> entries;  // parents before children
  std::vector<pack_work> packs;
  uint64_t files = 0, dirs = 0, links = 0, bytes = 0;
  // Files with a blob the index does not know: "path: reason".
  std::vector<std::string> missing;
};

// `paths` are "source/sub/path" in the checkpoint's namespace; empty: all.
// not_found names a path that is not in the checkpoint.
expected<restore_plan> plan_restore(const repo::repository& repo, const object_id& root_tree,
                                    const std::vector<std::string>& paths);

struct entry_problem {
  std::string path;
  std::string reason;
};

// Creates directories, empty files of the right size, symlinks, hard links and
// special files. Problems are collected; nothing already there is lost but
// what the restore replaces.
std::vector<entry_problem> prepare_entries(const restore_plan& plan,
                                           const std::filesystem::path& to);

struct fetch_outcome {
  uint64_t bytes_written = 0;
  uint64_t bytes_fetched = 0;
  std::vector<object_id> damaged;
  std::vector<std::string> errors;
};

// Reads the blobs of one pack (coalescing neighbours into one ranged read),
// verifies each against its id and writes it at its offsets. All-zero blobs
// are skipped: prepare_entries made the files sparse at full size.
fetch_outcome fetch_pack(const repo::repository& repo, const restore_plan& plan,
                         const pack_work& work, const std::filesystem::path& to);

// Applies metadata (deepest first, directories last) and reports problems.
std::vector<entry_problem> finish_entries(const restore_plan& plan,
                                          const std::filesystem::path& to, bool owners);

// Files that use any of `damaged` blobs: "path: reason".
std::vector<std::string> files_using(const restore_plan& plan,
                                     const std::vector<object_id>& damaged);

}  // namespace cairn::recovery
