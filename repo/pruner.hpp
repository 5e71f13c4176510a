// Frees the space of forgotten checkpoints: under the repository's exclusive
// lock, marks every blob reachable from a checkpoint, deletes packs nothing
// uses, repacks packs that are mostly unused, and replaces the index files.
// The order makes every step crash-safe: new packs, then the new index, then
// the old index files, then the old packs; a kill at any point leaves every
// checkpoint readable (at worst some unused packs, which the next prune
// removes). Never deletes anything when a checkpoint or tree cannot be read.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "repo/repository.hpp"

namespace cairn::repo {

struct prune_options {
  bool dry_run = false;
  // A pack whose unused share is at least this is rewritten with only its
  // used blobs; below it the pack stays as it is.
  double repack_unused = 0.2;
  // Called after each step that changes the target: "packs written",
  // "index written", "old index removed", "packs removed".
  std::function<void(const std::string&)> on_step;
  // Set from another thread: prune stops at its next safe point (between
  // packs while rewriting, before removing anything), as if killed there.
  const std::atomic<bool>* cancel = nullptr;
};

struct prune_report {
  size_t checkpoints = 0;
  size_t packs = 0;             // before
  uint64_t bytes = 0;           // in packs, before
  uint64_t bytes_unused = 0;    // before
  size_t packs_deleted = 0;     // nothing used in them
  size_t packs_repacked = 0;
  size_t packs_written = 0;
  uint64_t bytes_freed = 0;     // deleted + repacked, minus what repacking wrote
  uint64_t bytes_written = 0;
  size_t index_files_replaced = 0;
  std::vector<std::string> warnings;
};

expected<prune_report> prune_repository(repository& repo, const prune_options& options);

}  // namespace cairn::repo
