// The supervisor: runs plans one after another, each in its own plan runner
// that it monitors, so a runner that dies is reported as that plan's failure
// instead of taking the process down. Turns `stop` (SIGINT, SIGTERM) into an
// orderly stop of the running plan. Scheduled.
#pragma once

#include "base/pause_gate.hpp"

#include "actors/plan_runner.hpp"

namespace cairn::actors {

struct supervisor_options {
  std::shared_ptr<const config::suite_config> suite;
  keyring_actor keyring;
  catalog_actor catalog;
  progress_actor progress;
  size_t sealers = 2;
  bool scan = true;  // count sources for the progress line (see plan_options)
  std::shared_ptr<pause_gate> gate;  // the daemon's: reading and uploads wait while it holds
};

struct supervisor_state {
  static inline const char* name = "supervisor";
  supervisor_options options;
  std::vector<std::string> queue;
  size_t next = 0;
  std::vector<plan_report> reports;
  plan_runner_actor current;
  std::optional<caf::typed_response_promise<std::vector<plan_report>>> promise;
  bool stopping = false;
};

supervisor_actor::behavior_type supervisor(
  supervisor_actor::stateful_pointer<supervisor_state> self, supervisor_options options);

}  // namespace cairn::actors
