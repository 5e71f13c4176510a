// Plan protocol: the supervisor owns one plan runner per running plan; a
// runner drives scan -> chunk -> seal -> store -> commit for all of its
// targets and reports each target's outcome.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/protocol/atoms.hpp"
#include "repo/checkpoint.hpp"

namespace cairn {

struct target_outcome {
  std::string target;
  bool committed = false;
  std::string checkpoint_id;
  std::string error;
  repo::checkpoint_stats stats;
};

struct plan_report {
  std::string plan;
  std::vector<target_outcome> targets;
  std::vector<std::string> skipped;  // entries that could not be read
  std::vector<std::string> warnings; // e.g. a suite state that could not be written
  // Sources that failed alone ("NAME: why", one line each): the others were
  // backed up and committed; the run is partial.
  std::vector<std::string> failed_sources;
  std::string error;                 // why the run failed as a whole
  bool cancelled = false;
  int64_t time_ns = 0;
  repo::checkpoint_stats stats;      // source-side numbers
};

struct run_request {
  std::vector<std::string> plans;  // empty: all
};

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::plan_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::run_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<cairn::plan_report>)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_plan, ::cairn::ids::plan)
  CAF_ADD_TYPE_ID(cairn_plan, (cairn::plan_report))
  CAF_ADD_TYPE_ID(cairn_plan, (cairn::run_request))
CAF_END_TYPE_ID_BLOCK(cairn_plan)

namespace cairn {

using plan_runner_actor = caf::typed_actor<
  // Runs the plan once.
  caf::replies_to<atom::run>::with<plan_report>,
  // Stops: no checkpoint is committed, uploaded packs stay usable.
  caf::reacts_to<atom::stop>>;

using supervisor_actor = caf::typed_actor<
  // Runs the named plans one after another.
  caf::replies_to<atom::run, run_request>::with<std::vector<plan_report>>,
  // Orderly stop of everything running (SIGINT, SIGTERM).
  caf::reacts_to<atom::stop>,
  // Cancels the plan running now (its uploaded packs stay usable); the
  // supervisor goes on taking runs.
  caf::reacts_to<atom::cancel>>;

}  // namespace cairn
