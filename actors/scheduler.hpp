// The scheduler: under `cairn daemon`, starts each plan when its schedule says
// so (config/schedule.hpp), one run at a time through the supervisor, retries
// failed runs after daemon.retry, and catches up runs missed while the machine
// was off. Wakes up at least once a minute and compares with the wall clock,
// so a suspend or a clock change delays nothing by more than a minute.
#pragma once

#include "base/pause_gate.hpp"

#include <functional>
#include <map>

#include "actors/protocol/scheduler.hpp"
#include "catalog/catalog.hpp"
#include "config/suite_config.hpp"

namespace cairn::actors {

struct scheduler_options {
  std::shared_ptr<const config::suite_config> suite;
  supervisor_actor supervisor;
  std::map<std::string, config::run_history> history;  // from the catalog, per plan
  std::function<void(const plan_report&)> on_run;      // called on the scheduler's thread
  std::function<void(const next_run&)> on_next;
  std::shared_ptr<const pause_gate> gate;  // while it holds, no run starts
};

struct scheduler_state {
  static inline const char* name = "scheduler";
  scheduler_options options;
  int64_t since_ns = 0;                 // the daemon's start
  std::map<std::string, int64_t> due;   // per scheduled plan
  std::string running;                  // the plan running now
  std::string cancelled;                // the running plan was cancelled by request
  uint64_t tick = 0;                    // the only wake-up that counts
  bool draining = false;
  std::optional<caf::typed_response_promise<bool>> promise;
};

scheduler_actor::behavior_type scheduler(scheduler_actor::stateful_pointer<scheduler_state> self,
                                         scheduler_options options);

// Updates a plan's history with a run that started at `started_ns` and ended at `ended_ns`.
void record_run(config::run_history& history, catalog::run_status status, int64_t started_ns, int64_t ended_ns);
// A plan's history from the catalog's runs (newest first, as catalog::runs gives them).
config::run_history history_of(const std::vector<catalog::run_row>& runs);

}  // namespace cairn::actors
