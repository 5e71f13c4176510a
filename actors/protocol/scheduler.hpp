// Scheduler protocol: under `cairn daemon`, the scheduler asks the supervisor
// to run each plan when its schedule says so, one run at a time, and tells the
// caller what ran and what comes next.
#pragma once

#include "actors/protocol/atoms.hpp"
#include "actors/protocol/plan.hpp"

namespace cairn {

// When a plan runs next (announced at start and after each run; handed to a
// callback, never sent as a message).
struct next_run {
  std::string plan;
  std::string schedule;  // as written
  int64_t due_ns = 0;    // at or before now: at once
  bool retry = false;    // after a failed run
};

using scheduler_actor = caf::typed_actor<
  // Runs plans on their schedules until stopped; replies then.
  caf::replies_to<atom::run>::with<bool>,
  // Wakes up to start what is due (the number drops stale wake-ups).
  caf::reacts_to<atom::tick, uint64_t>,
  // Stops: cancels the running plan (its uploaded packs stay usable).
  caf::reacts_to<atom::stop>,
  // Drains: starts nothing new, replies to run once the running plan is done.
  caf::reacts_to<atom::finish>,
  // Runs a plan now (a scheduled one or not): "started", or "queued" behind
  // the plan running now; not_found for an unknown plan.
  caf::replies_to<atom::start, std::string>::with<std::string>,
  // Cancels the plan if it runs now (true) or is queued (true); else false.
  caf::replies_to<atom::cancel, std::string>::with<bool>,
  // The plan running now ("" when none).
  caf::replies_to<atom::get>::with<std::string>>;

}  // namespace cairn
