// The restore actor: plans from the checkpoint's trees, creates the entries,
// hands packs to `fetchers` fetcher actors (several packs at a time, each on
// its own thread), then applies metadata. A damaged blob costs only the files
// that use it: they are named in the report. Detached.
#pragma once

#include "actors/protocol/progress.hpp"
#include "actors/protocol/restore.hpp"

namespace cairn::actors {

struct restorer_state {
  static inline const char* name = "restorer";
  restore_request request;
  std::shared_ptr<const recovery::restore_plan> plan;
  std::vector<fetcher_actor> fetchers;
  size_t next = 0;
  size_t in_flight = 0;
  restore_report report;
  std::vector<object_id> damaged;
  std::optional<caf::typed_response_promise<restore_report>> promise;
  progress_actor progress;
};

restore_actor::behavior_type restorer(restore_actor::stateful_pointer<restorer_state> self,
                                      progress_actor progress, size_t fetchers);

fetcher_actor::behavior_type fetcher(fetcher_actor::pointer self,
                                     std::shared_ptr<repo::repository> repo,
                                     std::filesystem::path to);

}  // namespace cairn::actors
