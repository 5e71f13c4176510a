// The read-only namespace `cairn mount` shows, without FUSE: plans, targets
// and checkpoints (by time, by id, and `latest`) as directories, and the
// checkpoints' trees below them. Files are read at any offset by fetching
// only the blobs the range needs, through a bounded LRU cache; decoded trees
// are cached by id (bounded too). Trees and blobs come from a target: names
// were validated on decode, sizes come from the index, and a path deeper than
// the format allows is refused. Thread-safe (one mutex).
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.hpp"
#include "repo/repository.hpp"

namespace cairn::mount {

// One target's checkpoints of one plan, and the repository to read them from.
struct target_checkpoints {
  std::string plan;
  std::string target;
  std::shared_ptr<repo::repository> repo;
  std::vector<catalog::checkpoint_row> rows;  // newest first
};

// What a path is: a directory of the namespace, a symlink of it (latest,
// by-id/ID), the stats file, or an entry of a checkpoint.
struct view_entry {
  fs::metadata meta;
  std::optional<repo::node> node;  // an entry of a checkpoint
  int checkpoint = -1;             // index into the view's checkpoints, for node
  bool stats_file = false;
};

struct view_stats {
  uint64_t blobs_fetched = 0;   // read from a target (not found in the cache)
  uint64_t bytes_fetched = 0;   // their plaintext
  uint64_t cache_hits = 0;
};

// An open file: its chunks and where each ends.
struct open_file {
  int checkpoint = -1;
  std::vector<object_id> chunks;
  std::vector<uint64_t> ends;
  uint64_t size = 0;
};

inline constexpr const char* stats_name = ".cairn-stats";

class checkpoint_view {
public:
  // `cache_bytes`: the blob cache's bound.
  checkpoint_view(std::vector<target_checkpoints> targets, uint64_t cache_bytes, int64_t now_ns);

  // `path` is "/" or "/a/b" as FUSE gives it. not_found when absent.
  expected<view_entry> lookup(const std::string& path);
  // The names in a directory (no "." or "..").
  expected<std::vector<std::string>> list(const std::string& path);
  expected<open_file> open(const std::string& path);
  // Up to `size` bytes at `offset` (fewer at the end of the file).
  expected<size_t> read(const open_file& f, uint64_t offset, char* out, size_t size);
  std::string stats_text();
  view_stats stats();

private:
  struct checkpoint_dir {
    size_t target;               // index into targets_
    catalog::checkpoint_row row;
    std::string name;            // by time: 2026-12-03T12:00:00Z (made unique)
  };
  expected<std::shared_ptr<const repo::tree>> tree(size_t target, const object_id& id);
  expected<std::shared_ptr<const byte_buffer>> blob(size_t target, const object_id& id);
  expected<object_id> root_of(int cp);
  expected<view_entry> lookup_in_checkpoint(int cp, const std::vector<std::string>& rest);
  const checkpoint_dir* find_checkpoint(const std::string& plan, const std::string& target,
                                        const std::string& name) const;
  fs::metadata dir_meta() const;
  fs::metadata link_meta(const std::string& to) const;

  std::vector<target_checkpoints> targets_;
  std::vector<checkpoint_dir> checkpoints_;
  std::map<std::string, std::vector<size_t>> plans_;  // plan -> indexes into targets_
  int64_t now_ns_;
  uint64_t cache_bytes_;

  std::mutex mutex_;
  std::unordered_map<object_id, object_id> roots_;  // checkpoint id -> root tree (read once)
  // LRU caches: most recent first.
  using blob_key = std::pair<size_t, object_id>;
  std::list<std::pair<blob_key, std::shared_ptr<const byte_buffer>>> blobs_;
  std::map<blob_key, decltype(blobs_)::iterator> blob_index_;
  uint64_t blob_bytes_ = 0;
  std::list<std::pair<blob_key, std::shared_ptr<const repo::tree>>> trees_;
  std::map<blob_key, decltype(trees_)::iterator> tree_index_;
  size_t tree_nodes_ = 0;
  view_stats stats_;
};

}  // namespace cairn::mount
