// Restore planning: from a checkpoint's trees (optionally only some paths) to
// the entries to recreate and, per pack, the blobs to fetch and where each one
// goes. Execution is split so an actor can run packs in parallel:
// restore_execution below. A restore_plan is immutable once built.
#pragma once

#include <atomic>
#include <deque>
#include <filesystem>
#include <memory>
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
  std::deque<restore_entry> entries;  // parents before children (a deque: grows without copying)
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

struct fetch_outcome {
  uint64_t bytes_written = 0;
  uint64_t bytes_reused = 0;   // already in place in the destination (reuse_existing)
  uint64_t bytes_fetched = 0;
  std::vector<object_id> damaged;
  std::vector<std::string> errors;
  std::vector<entry_problem> problems;  // from create_entries and apply_metadata
};

// Carries out a plan into a destination. Every step may run on several
// threads at once; file creation is spread over them because creating an
// inode costs ~0.1 ms on common filesystems. Order of use:
//   create_entries (batches) and fetch_pack (per pack), in any order, in parallel
//   -> link_hardlinks -> apply_metadata (batches, in parallel) -> apply_directory_metadata
// Into a destination that holds an older copy, only what differs is written:
//   create_entries (all) -> reuse_existing (batches) -> fetch_pack -> ...
class restore_execution {
public:
  restore_execution(std::shared_ptr<const restore_plan> plan, std::filesystem::path to,
                    bool owners);

  const restore_plan& plan() const { return *plan_; }

  // Directories, symlinks, special files and files without content, for
  // entries [begin, end). Missing parents are created on the way.
  std::vector<entry_problem> create_entries(size_t begin, size_t end);

  // For the files of entries [begin, end) that exist in the destination
  // already (regular, one link): reads each chunk's range there and keeps the
  // chunks whose content has the right id; fetch_pack then writes only the
  // others, into the file as it is. Returns the bytes kept.
  uint64_t reuse_existing(size_t begin, size_t end, const repo::repository& repo);

  // Reads the blobs of one pack (coalescing neighbours into one ranged read),
  // verifies each against its id and writes it at its offsets; all-zero 4 KiB
  // blocks are skipped so they stay holes. The first write to a file creates
  // (or truncates) it.
  fetch_outcome fetch_pack(const repo::repository& repo, const pack_work& work);

  std::vector<entry_problem> link_hardlinks();

  // Sets the final size (trailing holes), owner, xattrs, mode and mtime of the
  // non-directory entries [begin, end).
  std::vector<entry_problem> apply_metadata(size_t begin, size_t end);

  // Directories last, deepest first: their mtimes and read-only modes must
  // come after everything inside them was written.
  std::vector<entry_problem> apply_directory_metadata();

  // Files that use any of `damaged` blobs: "path: reason".
  std::vector<std::string> files_using(const std::vector<object_id>& damaged) const;

private:
  std::string path_of(size_t entry) const;
  expected<int> open_content(uint32_t entry);
  template <class F>
  status with_parents(size_t entry, F&& make);

  std::shared_ptr<const restore_plan> plan_;
  std::filesystem::path to_;
  bool owners_;
  bool reused(uint32_t entry, uint64_t offset) const;

  // Per entry: 0 not created, 1 being created, 2 created, 3 an existing file
  // whose content is partly or wholly kept (content files).
  std::unique_ptr<std::atomic<uint8_t>[]> state_;
  // Per entry: offsets of chunks already in place (sorted; set by reuse_existing).
  std::vector<std::vector<uint64_t>> reused_;
};

}  // namespace cairn::recovery
