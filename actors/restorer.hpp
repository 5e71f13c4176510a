// The restore actor: plans from the checkpoint's trees and hands the work to
// `fetchers` fetcher actors, each on its own thread: first entry creation and
// packs (in parallel; a file is created by its first write), then hard links,
// metadata in parallel batches, and directories last. A damaged blob costs
// only the files that use it: they are named in the report. Detached.
#pragma once

#include <deque>

#include "actors/protocol/progress.hpp"
#include "actors/protocol/restore.hpp"

namespace cairn::actors {

// Into an empty destination: create_and_fetch, finish_files, metadata.
// Into an older copy: create, reuse, fetch, finish_files, metadata.
enum class restore_phase : uint8_t { create, reuse, fetch, create_and_fetch, finish_files, metadata };

struct restorer_state {
  static inline const char* name = "restorer";
  restore_request request;
  repo::checkpoint checkpoint;
  std::shared_ptr<recovery::restore_execution> execution;
  std::vector<fetcher_actor> fetchers;
  std::deque<fetch_job> jobs;
  size_t in_flight = 0;
  restore_phase phase = restore_phase::create;
  restore_report report;
  std::vector<object_id> damaged;
  std::optional<caf::typed_response_promise<restore_report>> promise;
  progress_actor progress;
};

restore_actor::behavior_type restorer(restore_actor::stateful_pointer<restorer_state> self,
                                      progress_actor progress, size_t fetchers);

fetcher_actor::behavior_type fetcher(fetcher_actor::pointer self,
                                     std::shared_ptr<repo::repository> repo);

}  // namespace cairn::actors
