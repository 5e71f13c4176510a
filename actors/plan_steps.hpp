// The plan runner's steps, shared by its two files: plan_runner.cpp (open the
// targets, run the before step and the sources, finish the run) and
// plan_commit.cpp (commit each target, cancel a commit, write the suite
// states). Internal to actors/; runs on the plan runner's own thread.
#pragma once

#include <string>

#include "actors/plan_runner.hpp"
#include "catalog/catalog.hpp"

namespace cairn::actors::plan_steps {

using self_ptr = plan_runner_actor::stateful_pointer<plan_runner_state>;

// plan_runner.cpp
void finish(self_ptr self);
bool write_only(self_ptr self);
catalog::run_row run_row_now(self_ptr self);
target_outcome& outcome(self_ptr self, size_t slot);
void mark_failed(self_ptr self, size_t slot, const std::string& why);

// plan_commit.cpp
void commit_targets(self_ptr self);
void cancel_commits(self_ptr self);

}  // namespace cairn::actors::plan_steps
