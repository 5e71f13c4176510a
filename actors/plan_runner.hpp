// The plan runner: one per running plan. Takes the plan's lock, opens every
// target (a target that cannot be opened is reported, the others go on),
// counts what the sources will read, runs the sources one after another
// through one pool of sealers, then stores each target's root tree and
// commits its checkpoint. Scheduled; all waiting is asynchronous.
#pragma once

#include "base/pause_gate.hpp"

#include <chrono>
#include <functional>

#include "actors/protocol/catalog.hpp"
#include "actors/protocol/keyring.hpp"
#include "actors/protocol/plan.hpp"
#include "actors/protocol/progress.hpp"
#include "actors/protocol/sealer.hpp"
#include "actors/protocol/source.hpp"
#include "config/suite_config.hpp"
#include "fs/process_lock.hpp"

namespace cairn::actors {

struct plan_options {
  std::shared_ptr<const config::suite_config> suite;
  std::string plan;
  keyring_actor keyring;
  catalog_actor catalog;
  progress_actor progress;
  repo::chunker_params chunker;  // with the suite's seed
  size_t sealers = 2;
  // Count each source's files and bytes to read, for the progress line's
  // totals and ETA. The count walks beside the backup (its own actors), never
  // before it; nobody showing progress means no count at all.
  bool scan = true;
  std::shared_ptr<pause_gate> gate;  // may be null
};

struct plan_runner_state {
  static inline const char* name = "plan-runner";
  plan_options options;
  const config::plan_config* plan = nullptr;
  std::unique_ptr<fs::process_lock> lock;
  std::optional<caf::typed_response_promise<plan_report>> promise;
  plan_report report;
  int64_t run_id = 0;
  std::chrono::steady_clock::time_point started;
  std::vector<target_actor> targets;             // per plan target
  std::vector<std::shared_ptr<repo::repository>> repos;
  std::shared_ptr<seal_context> context;         // the targets that opened
  std::vector<size_t> plan_index;                // context slot -> plan target
  std::vector<sealer_actor> sealers;
  std::vector<source_actor> sources;
  std::vector<source_actor> scanners;            // count beside the backup
  std::shared_ptr<std::atomic<bool>> scan_cancel = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<std::atomic<bool>> stage_cancel = std::make_shared<std::atomic<bool>>(false);
  size_t current_source = 0;
  std::vector<std::vector<repo::node>> roots;    // [context slot][source]
  uint32_t plain_targets = 0;                    // context slots that do not encrypt
  std::vector<repo::resource_manifest> resources;  // the manifest, left_out filled per target at commit
  std::vector<std::pair<uint64_t, uint64_t>> sensitive_sizes;
  std::vector<std::string> source_errors;        // per plan source: why it failed this run, "" when fine  // per resource: files, bytes left out of plain targets
  uint32_t failed = 0;                           // context slots that failed
  size_t pending = 0;                            // replies still expected
  std::vector<target_actor> state_only;          // other targets of the suite, for its state
  bool stopping = false;
  bool committing = false;
  // Context slots past the point of no return: their checkpoint write was
  // sent. A cancel abandons every other slot (packs and index files stay).
  uint32_t past_commit_point = 0;
  uint32_t abandoned = 0;                        // slots a cancel stopped before that point
  size_t aborts_pending = 0;                     // abandoned targets still indexing their last uploads
  bool failure_notified = false;  // on_failure ran (or was not needed)
  bool after_started = false;  // the `after` step runs once, in finish
  bool finishing = false;      // the run's row is being written; then the lock goes and the report
};

// What a finished run was, for the catalog's run history and the daemon's
// schedule (never running).
catalog::run_status status_of(const plan_report& report);

plan_runner_actor::behavior_type plan_runner(
  plan_runner_actor::stateful_pointer<plan_runner_state> self, plan_options options);

}  // namespace cairn::actors
