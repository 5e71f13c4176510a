// Verifies a repository: index files, packs named by the index, every
// checkpoint and every tree reachable from one, and that every file's chunks
// are indexed. With read_data, downloads every pack, checks it against its
// name and every blob against its id, and names the files that use a damaged
// blob. Runs on the calling thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "repo/repository.hpp"

namespace cairn::repo {

struct check_options {
  bool read_data = false;
  // Called with (packs done, packs total, bytes done) while reading data.
  std::function<void(size_t, size_t, uint64_t)> on_progress;
};

struct check_report {
  size_t checkpoints = 0;
  size_t trees = 0;
  size_t files = 0;
  size_t packs = 0;
  size_t blobs = 0;
  size_t unindexed_packs = 0;
  uint64_t bytes_read = 0;
  std::vector<object_id> damaged_index_files;  // skipped (repair_index rewrites them)
  std::vector<std::string> errors;    // each names what is damaged or missing
  std::vector<std::string> warnings;  // harmless: left by interrupted runs
  bool ok() const { return errors.empty(); }
};

expected<check_report> check_repository(repository& repo, const check_options& options);

struct repair_report {
  std::vector<object_id> removed_index_files;  // damaged, replaced
  size_t packs_indexed = 0;                    // named by the new index file(s)
  std::vector<object_id> new_index_files;
  std::vector<std::string> warnings;           // packs whose TOC could not be read
};

// Rewrites the index under the exclusive lock: every pack that no healthy
// index file names is read through its own table of contents and written to
// new index files; only then are the damaged index files removed, so a crash
// at any point leaves an index at least as good as before. Idempotent.
expected<repair_report> repair_index(repository& repo);

}  // namespace cairn::repo
