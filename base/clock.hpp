// Wall-clock helpers: nanoseconds since the epoch and RFC 3339 text. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace cairn {

int64_t now_ns();
// "2026-11-21T21:51:09.123456789Z"
std::string format_time(int64_t ns_since_epoch);
expected<int64_t> parse_time(std::string_view rfc3339);
// "1.5 GiB", "12 B"
std::string format_bytes(uint64_t bytes);
// "1h02m", "3m05s", "12s"
std::string format_duration(double seconds);

}  // namespace cairn
