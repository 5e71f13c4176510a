// What every renderer of command results shares: JSON lines, local times,
// numbers with thousands separators, ls-style modes, checkpoint statistics.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fs/metadata.hpp"
#include "repo/checkpoint.hpp"

namespace cairn::cli {

// One JSON object on its own line of stdout (--json); bad UTF-8 replaced.
void emit(const nlohmann::json& j);
// "2026-12-03 14:05:09", in the local time zone.
std::string local_time(int64_t ns);
std::string with_commas(uint64_t n);
// "drwxr-xr-x", with setuid, setgid and sticky as ls shows them.
std::string mode_string(const fs::metadata& m);
// A checkpoint's statistics, with the duration in seconds.
nlohmann::json stats_json(const repo::checkpoint_stats& s);

}  // namespace cairn::cli
