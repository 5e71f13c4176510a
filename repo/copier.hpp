// Copying checkpoints from one repository to another (cairn copy). Each
// repository has its own keys and keyed ids, so every blob is read (and
// verified) from the source to learn its id in the destination; only blobs
// the destination lacks are uploaded, trees are rewritten with the
// destination's ids, and the checkpoint is written last, after its packs and
// index: a copy killed half-way leaves no checkpoint, and the next copy
// reuses what it uploaded (index written) . The source's trees are measured
// first (tree_measure::check_limits) and walked iteratively; a tree or blob
// met again (in this checkpoint or an earlier one of the same copier) is
// mapped once. Not thread-safe: one per command.
#pragma once

#include <functional>
#include <unordered_map>
#include <vector>

#include "repo/repository.hpp"
#include "repo/tree_walk.hpp"

namespace cairn::repo {

struct copy_stats {
  uint64_t trees = 0;           // distinct source trees mapped
  uint64_t blobs_read = 0;      // data blobs read from the source
  uint64_t bytes_read = 0;      // their plaintext
  uint64_t blobs_new = 0;       // blobs (data and trees) the destination lacked
  uint64_t bytes_uploaded = 0;  // packs and index files written to the destination
};

class checkpoint_copier {
public:
  // `keep_alive` is called between blobs (the caller refreshes its lock).
  checkpoint_copier(const repository& from, repository& to, std::function<void()> keep_alive = {});

  // Copies one checkpoint; returns the destination's checkpoint id.
  // corrupt when the source is damaged or beyond the limits; unsupported
  // when a chunk is larger than the destination allows.
  expected<object_id> copy(const object_id& checkpoint);

  const copy_stats& stats() const { return stats_; }

private:
  expected<object_id> map_tree(const object_id& root);
  expected<object_id> map_data(const object_id& id);
  status put(blob_type type, const object_id& id, byte_view plaintext);
  status flush(bool all);

  const repository& from_;
  repository& to_;
  std::function<void()> keep_alive_;
  crypto::id_hasher hasher_;
  tree_measure measure_;
  pack_writer data_packs_, tree_packs_;
  std::vector<pack_record> unindexed_;  // stored packs no index file names yet
  std::unordered_map<object_id, object_id> data_map_, tree_map_;  // source id -> destination id
  copy_stats stats_;
};

}  // namespace cairn::repo
