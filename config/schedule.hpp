// When a plan runs by itself under `cairn daemon`: a small schedule language,
// and the pure computation of the next time a plan is due. Calendar times are
// local time (DST moves them with the wall clock, as cron does).
//
//   every 6h | every 90m | every 1d     interval since the start of the last good run
//   hourly [:MM]                        every hour at minute MM (default :00)
//   daily [HH:MM ...]                   every day at these times (default 00:00)
//   weekly DAY[,DAY...] [HH:MM ...]     on these weekdays (mon..sun) at these times
//
// Runs missed while the machine was off or the daemon stopped are caught up:
// a plan whose next time has already passed runs at once (one run, however
// many times were missed).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace cairn::config {

struct schedule {
  enum class kind { none, every, calendar };
  kind type = kind::none;
  std::chrono::seconds interval{0};  // every
  std::vector<int> minutes_of_day;   // calendar: sorted, 0..1439
  uint8_t weekdays = 0x7f;           // calendar: bit d = day d (0 = Sunday)
  std::string text;                  // as written

  bool empty() const { return type == kind::none; }
};

// "2h", "90m", "45s", "1d", "1h30m" → seconds; invalid_input otherwise.
expected<std::chrono::seconds> parse_duration(std::string_view text);

// invalid_input with a message saying what is wrong (the caller adds where).
expected<schedule> parse_schedule(std::string_view text);

// The first calendar time strictly after `after_ns` (wall-clock ns since the epoch).
int64_t next_occurrence(const schedule& s, int64_t after_ns);

struct run_history {
  std::optional<int64_t> last_good_start_ns;    // the last run that committed everywhere
  std::optional<int64_t> last_attempt_end_ns;   // the last run after it that did not
};

// When the plan is next due: `now_ns` or earlier means "now". A plan that never
// ran is due at once for `every`, and at the first calendar time after
// `since_ns` (the daemon's start) otherwise. After a failed attempt it is
// retried `retry` after that attempt ended, never sooner.
int64_t next_due(const schedule& s, const run_history& h, int64_t since_ns,
                 std::chrono::seconds retry);

}  // namespace cairn::config
