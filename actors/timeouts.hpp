// Timeouts of every request between actors. Generous where a person or a slow
// target may be involved; a hung request must never wait for ever.
// (CAF 0.17 durations know no hours: everything is in seconds or finer.)
#pragma once

#include <chrono>

namespace cairn::timeouts {
using std::chrono::milliseconds;
using std::chrono::seconds;
inline constexpr seconds minute{60};
inline constexpr seconds hour{3600};
inline constexpr seconds day{86400};
inline constexpr seconds unlock = 10 * minute;   // may prompt for a password
inline constexpr seconds open = 30 * minute;     // loads the index; may scan packs
inline constexpr seconds store = 2 * hour;       // held back while packs upload
inline constexpr seconds seal = 2 * hour;
// Seal requests carry no timeout of their own: CAF 0.17 keeps every request's
// timeout in its clock until it expires (~100 bytes and a clock wake-up each,
// two a file). The walk instead looks this often whether any seal was answered
// within `seal`.
inline constexpr seconds seal_watch = minute;
inline constexpr seconds upload = 2 * hour;
inline constexpr seconds commit = 2 * hour;
inline constexpr seconds catalog = 5 * minute;
inline constexpr seconds scan = day;
inline constexpr seconds run = 30 * day;
inline constexpr seconds fetch = 2 * hour;
inline constexpr seconds restore = 30 * day;
inline constexpr seconds check = 30 * day;
inline constexpr milliseconds progress_tick{250};
inline constexpr seconds lock_refresh = 5 * minute;
// A writer whose lock could not be refreshed for this long stops before it
// commits: others may treat its lock (stale after 30 minutes) as abandoned.
inline constexpr seconds lock_grace = 15 * minute;
}  // namespace cairn::timeouts
