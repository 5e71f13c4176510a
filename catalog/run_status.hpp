// How a plan's run ended (or that it is still running): one kind, recorded in
// the catalog's run history as its word, read back by the schedule, `cairn
// status` and `cairn runs`, the API and the metrics.
#pragma once

#include <optional>
#include <string_view>

namespace cairn::catalog {

enum class run_status : unsigned char {
  running,    // begun, not yet finished (or the process died: see `cairn status`)
  ok,         // committed on every target
  skipped,    // committed everywhere, some entries unreadable and left out
  partial,    // some targets or some sources failed
  failed,     // committed nowhere
  cancelled,  // the user or the daemon stopped it
};

std::string_view to_string(run_status s);
std::optional<run_status> parse_run_status(std::string_view word);

// ok or skipped: the plan's data is safe on every target.
inline bool succeeded(run_status s) { return s == run_status::ok || s == run_status::skipped; }
// failed or partial: something needs the user (on_failure, exit codes, retry).
inline bool went_wrong(run_status s) { return s == run_status::failed || s == run_status::partial; }

}  // namespace cairn::catalog
