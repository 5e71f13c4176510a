// The target actor: one repository for one run (see protocol/target.hpp).
// Detached: it does blocking I/O for the header, the index and the checkpoint;
// packs go through `connections` uploader actors, each on its own thread.
#pragma once

#include "base/pause_gate.hpp"

#include <chrono>
#include <deque>
#include <optional>

#include "actors/protocol/keyring.hpp"
#include "actors/protocol/progress.hpp"
#include "actors/protocol/target.hpp"
#include "actors/timeouts.hpp"
#include "repo/upload_marks.hpp"

namespace cairn::actors {

struct target_options {
  std::string name;                  // from the YAML, for messages
  targets::target_ptr backend;
  keyring_actor keyring;
  progress_actor progress;           // may be null
  repo::create_options create;       // used by open_mode::create
  std::string purpose = "backup";    // shown to others who find our lock
  size_t connections = 1;            // parallel uploads (targets' limits.connections)
  size_t max_queued_packs = 0;       // finished packs waiting beyond this hold store replies back
  size_t packs_per_index = 8;        // an index file every N packs
  std::chrono::milliseconds lock_refresh = timeouts::lock_refresh;
  std::chrono::milliseconds lock_grace = timeouts::lock_grace;
  std::shared_ptr<const pause_gate> gate;  // while it holds, no new upload starts (locks stay refreshed)
  // A write-only machine's records of stored blobs (repo/stored_ids.hpp), one
  // file per repository in this directory: what it dedups against.
  std::filesystem::path stored_ids_dir;
  // Where this machine marks repositories its runs upload to
  // (repo/upload_marks.hpp): opening for a backup lists every pack only after
  // a run that left a mark died. Empty: every such open lists them.
  std::filesystem::path upload_marks_dir;
};

struct target_state {
  static inline const char* name = "target";
  target_options options;
  std::shared_ptr<repo::repository> repo;
  std::unique_ptr<repo::repository_lock> lock;
  std::chrono::steady_clock::time_point lock_refreshed;  // last time the lock was written
  std::optional<error> lock_error;                       // why the last refresh failed
  bool recheck_pending = false;                          // a paused dispatch looks again soon
  std::unique_ptr<repo::pack_writer> data_packs;
  std::unique_ptr<repo::pack_writer> tree_packs;
  std::vector<uploader_actor> idle;
  std::deque<std::shared_ptr<const repo::finished_pack>> queue;
  size_t in_flight = 0;
  std::vector<repo::pack_record> unindexed;
  std::deque<caf::typed_response_promise<bool>> held;
  std::optional<caf::typed_response_promise<commit_result>> committing;
  repo::checkpoint pending;
  std::optional<caf::typed_response_promise<bool>> flushing;
  std::optional<caf::typed_response_promise<bool>> aborting;
  bool aborted = false;  // after an abort, no flush or commit
  std::optional<error> failure;
  repo::checkpoint_stats stats;
  std::filesystem::path stored_ids;  // set when writing without reading (write-only)
  std::optional<repo::upload_mark> mark;  // until every pack of this run is indexed
};

target_actor::behavior_type target(target_actor::stateful_pointer<target_state> self,
                                   target_options options);

uploader_actor::behavior_type uploader(uploader_actor::pointer self,
                                       std::shared_ptr<repo::repository> repo);

}  // namespace cairn::actors
