// The daemon's log. Under systemd (JOURNAL_STREAM names this process's stderr
// or stdout) entries go to the journal with their fields (base/log.hpp);
// elsewhere the daemon prints plain lines as the other commands do.
// `--log-level` hides what is below the threshold. Thread-safe after
// set_log_level, which main calls once before any thread logs.
#pragma once

#include <vector>

#include "base/log.hpp"
#include "service/application.hpp"

namespace cairn::cli {

void set_log_level(log_level level);
bool log_enabled(log_level level);

// True when systemd connected stdout or stderr to the journal.
bool journal_connected();
// The daemon's entries go to the journal from now on (set once, at its start).
void use_journal(bool on);
bool using_journal();

// Sends the entry to the journal (nothing when its level is hidden).
void journal_log(const log_entry& entry);

// One entry per target of a run (its checkpoint or error), or one for a run
// that failed before any target; RUN_ID is the run's start time in hex ns.
std::vector<log_entry> run_entries(const plan_report& report);

}  // namespace cairn::cli
