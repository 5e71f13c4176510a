// Progress protocol: sources and targets send counters; the progress actor
// aggregates them into done/total, rate and ETA and hands snapshots to the
// renderer the CLI installed. Only cli/ renders.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <functional>
#include <map>
#include <string>

#include "actors/protocol/atoms.hpp"
#include "base/progress_counters.hpp"

namespace cairn {

struct progress_snapshot {
  std::string phase;            // "scanning", "backing up", "restoring", "committing"
  std::string current;          // what is being worked on
  progress_counters done;
  progress_counters total;
  double elapsed_seconds = 0;
  double rate = 0;              // bytes per second over the last seconds
  double eta_seconds = -1;      // unknown when < 0
  std::map<std::string, uint64_t> uploaded_by_target;  // bytes sent, per target
};

using progress_renderer = std::function<void(const progress_snapshot&)>;

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::progress_counters)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::progress_snapshot)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_progress, ::cairn::ids::progress)
  CAF_ADD_TYPE_ID(cairn_progress, (cairn::progress_counters))
  CAF_ADD_TYPE_ID(cairn_progress, (cairn::progress_snapshot))
CAF_END_TYPE_ID_BLOCK(cairn_progress)

namespace cairn {

using progress_actor = caf::typed_actor<
  // Adds to what is done.
  caf::reacts_to<atom::add, progress_counters>,
  // Bytes a target sent (counted in done.bytes_uploaded too).
  caf::reacts_to<atom::add, std::string, uint64_t>,
  // Adds to the totals (known before transfer starts).
  caf::reacts_to<atom::total, progress_counters>,
  // Names the phase and the item being worked on.
  caf::reacts_to<atom::set, std::string, std::string>,
  // Current snapshot.
  caf::replies_to<atom::get>::with<progress_snapshot>,
  // Timer: hands a snapshot to the renderer.
  caf::reacts_to<atom::tick>,
  // A new run starts: counters, totals, rate and clock from zero.
  caf::reacts_to<atom::begin>>;

}  // namespace cairn
