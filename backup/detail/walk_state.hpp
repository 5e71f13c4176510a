// The walk's bookkeeping (backup/dir_walk.hpp): a directory being walked or
// waiting for its children, a file being read, the names of one inode.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "base/id.hpp"
#include "catalog/catalog.hpp"
#include "fs/metadata.hpp"
#include "repo/tree.hpp"

namespace cairn::backup {

// A directory's file-cache rows for one target, sorted by name and found by
// binary search: a hash map cost the walk's thread a node and a copy of the
// name a file, in a walk that does little else for an unchanged file.
class cached_rows {
public:
  cached_rows() = default;
  explicit cached_rows(std::vector<catalog::cache_entry> rows) : rows_(std::move(rows)) {
    auto by_name = [](const catalog::cache_entry& a, const catalog::cache_entry& b) { return a.name < b.name; };
    if (!std::is_sorted(rows_.begin(), rows_.end(), by_name)) std::sort(rows_.begin(), rows_.end(), by_name);
  }
  const catalog::cache_entry* find(const std::string& name) const {
    auto it = std::lower_bound(rows_.begin(), rows_.end(), name,
                               [](const catalog::cache_entry& e, const std::string& n) { return e.name < n; });
    return it != rows_.end() && it->name == name ? &*it : nullptr;
  }
  size_t size() const { return rows_.size(); }

private:
  std::vector<catalog::cache_entry> rows_;
};

struct pending_dir {
  pending_dir* parent = nullptr;
  size_t slot = 0;                 // our node in the parent
  std::string rel;                 // SOURCE/dir/...: the file cache's key for this directory
  std::string abs;
  fs::metadata meta;
  std::optional<fs::directory> handle;  // open while the walk is inside this directory
  std::vector<std::string> names;  // entries still to visit from `next`
  std::vector<expected<fs::metadata>> stats;  // stat of names[i] made ahead (may be shorter)
  std::vector<status> completed;               // directory::complete of stats[i], made ahead
  size_t next = 0;
  bool walked = false;
  bool finalizing = false;
  std::vector<repo::node> nodes;
  std::vector<std::vector<std::vector<object_id>>> content;  // [slot][target]
  std::vector<std::vector<object_id>> subtrees;               // [slot][target]
  std::vector<bool> dropped;                                  // could not be read
  std::vector<bool> sensitive;                                // [slot] a resource's sensitive path
  bool is_sensitive = false;       // this directory is (or lies under) a sensitive path
  std::string srel;                // relative to the source's root ("" for the root)
  std::vector<cached_rows> cache;                                           // [target]
  std::vector<std::vector<catalog::cache_entry>> fresh;                     // [target]
  std::vector<object_id> tree_ids;                                          // [target]
  size_t outstanding = 0;          // children, chunks and tree stores not finished
};

struct pending_file {
  pending_dir* dir = nullptr;
  bool sensitive = false;  // sealed only for targets that encrypt
  size_t slot = 0;
  std::string abs;
  fs::metadata before;
  uint64_t id = 0;     // the read pool's handle
  bool reading = true;  // until the pool's last event for it
  size_t emitted = 0;
  size_t done = 0;
  bool failed = false;
  bool leads_links = false;  // other names of its inode wait for its chunks (dir_walk_links.cpp)
  std::vector<std::vector<object_id>> chunks;  // [target][seq]
};

// Names of one inode met in one walk (hard links): the first is read, the
// others take its chunks instead of reading the same bytes again.
struct link_share {
  fs::metadata before;          // the first name's stat: the others must match it
  bool sensitive = false;
  pending_file* leader = nullptr;  // while the first name is read
  bool failed = false;
  bool cacheable = true;        // it did not change while it was read
  std::vector<fs::xattr> xattrs;
  std::vector<std::vector<object_id>> chunks;  // [target], once read
  struct follower {
    pending_dir* dir;
    size_t slot;
    std::string abs;
    fs::metadata meta;
  };
  std::vector<follower> followers;  // waiting for the first name's chunks
  uint64_t seen = 1;                // names met so far
};

// A file's row of the file cache.
inline catalog::cache_entry entry_of(const std::string& name, const fs::metadata& m,
                                     std::vector<object_id> chunks) {
  return {name, m.size, m.mtime_ns, m.ctime_ns, m.inode, std::move(chunks), fs::encode_xattrs(m.xattrs)};
}

}  // namespace cairn::backup
