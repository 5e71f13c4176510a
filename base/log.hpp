// Log entries of the daemon and their systemd-journal form: the level names
// `--log-level` accepts, and the fields an entry carries (PLAN, TARGET,
// RUN_ID, OUTCOME), so `journalctl -u cairn PLAN=home` finds a plan's runs.
// Plain values and pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cairn {

// In order of importance: a threshold shows its level and every level before it.
enum class log_level { error, warn, info, debug };

// "error", "warn", "info", "debug"; nullopt for anything else.
std::optional<log_level> parse_log_level(std::string_view text);
std::string_view to_string(log_level level);

struct log_entry {
  log_level level = log_level::info;
  std::string message;  // one line, what a plain log prints
  std::string plan;     // the fields below are left out when empty
  std::string target;
  std::string run_id;
  std::string outcome;     // ok, partial, failed, skipped, cancelled
  std::string checkpoint;  // the checkpoint a target committed
};

// The entry as journal fields "NAME=value": MESSAGE, PRIORITY (syslog: error 3,
// warn 4, info 6, debug 7), SYSLOG_IDENTIFIER=cairn, then PLAN, TARGET,
// RUN_ID, OUTCOME and CHECKPOINT when set. Values may hold any byte.
std::vector<std::string> journal_fields(const log_entry& entry);

}  // namespace cairn
