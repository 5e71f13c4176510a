// The progress actor: aggregates counters from sources and targets into
// done/total, a smoothed rate and an ETA, and calls the renderer the CLI gave
// it every 250 ms (from this actor's thread only).
#pragma once

#include <chrono>
#include <deque>

#include "actors/protocol/progress.hpp"

namespace cairn::actors {

struct progress_state {
  static inline const char* name = "progress";
  progress_snapshot snapshot;
  progress_renderer renderer;
  std::chrono::steady_clock::time_point start;
  std::deque<std::pair<double, uint64_t>> samples;  // (seconds, bytes done)
};

progress_actor::behavior_type progress(progress_actor::stateful_pointer<progress_state> self,
                                       progress_renderer renderer);

// Computes rate and ETA from recent samples (exposed for tests).
void update_estimate(progress_state& state, double now_seconds);

}  // namespace cairn::actors
