// The dir source actor: walks a directory tree depth-first, reuses the chunk
// lists of files whose quick content id (size, mtime, ctime, inode) matches the
// file cache, reads and chunks the others, and builds one tree per directory
// and target bottom-up. `readers` threads read files ahead, and at most
// `window_bytes` of read buffers and chunks are in flight, so memory stays flat
// however large the tree. Detached: directory I/O blocks.
#pragma once

#include "base/pause_gate.hpp"

#include <atomic>
#include <filesystem>
#include <memory>

#include "actors/protocol/catalog.hpp"
#include "actors/protocol/progress.hpp"
#include "actors/protocol/sealer.hpp"
#include "actors/protocol/source.hpp"
#include "config/suite_config.hpp"
#include "repo/chunker.hpp"

namespace cairn::actors {

struct source_options {
  std::string plan;
  config::source_config source;
  std::vector<std::string> target_names;       // index = target number in the context
  std::shared_ptr<const seal_context> context;
  std::vector<sealer_actor> sealers;
  progress_actor progress;
  catalog_actor catalog;
  std::filesystem::path state_dir;             // the file cache is read from here
  bool file_cache = true;
  // A write-only machine: the file cache is sealed (actors/sealed_file_cache.hpp),
  // every directory is stored again each walk, and the directories a finished
  // walk did not visit are dropped, so it describes only files there now.
  std::shared_ptr<const catalog::cache_seal> cache_seal;
  repo::chunker_params chunker;
  uint64_t window_bytes = 12u << 20;
  size_t window_chunks = 256;
  size_t readers = 4;                          // files read at once (plans.NAME.readers)
  size_t files_ahead = 64;                     // files handed to the readers and not yet read
  // Set when a scan's count is no longer wanted (the backup finished first).
  std::shared_ptr<const std::atomic<bool>> cancel_scan;
  // Set when the run stops: a running command or database copy is stopped.
  std::shared_ptr<const std::atomic<bool>> cancel_stage;
  // Bit i: target i does not encrypt (key mode none); a resource's sensitive
  // paths are neither sealed for it nor named in its trees.
  uint32_t plain_targets = 0;
  // A resource: what its backup command printed, passed through to the result.
  std::string metadata;
  // While it holds, reading waits (the daemon's pause).
  std::shared_ptr<const pause_gate> gate;
};

class dir_walk;

struct dir_source_state {
  static inline const char* name = "dir-source";
  std::shared_ptr<dir_walk> walk;  // shared_ptr: dir_walk stays an incomplete type here
  std::filesystem::path staged;    // an application source's staging folder, removed at the end
  ~dir_source_state();
};

source_actor::behavior_type dir_source(source_actor::stateful_pointer<dir_source_state> self,
                                       source_options options);

}  // namespace cairn::actors
