// Application sources: before the walk, an `sqlite` source copies its
// database with SQLite's online backup API, and a `command` source runs its
// command with standard output into a file, both into a private staging
// folder (state_dir/staging/PLAN/SOURCE, 0700) that the dir source then backs
// up as the source's folder. The folder is removed when the source ends; one
// left by a killed run is replaced by the next. Blocks (the dir source is
// detached).
#pragma once

#include <atomic>
#include <filesystem>

#include "actors/protocol/source.hpp"
#include "config/suite_config.hpp"

namespace cairn::actors {

bool is_staged(const config::source_config& source);

// Fills the staging folder; errors say which source and what failed. A
// resource's `backup` command may print one JSON object: it goes to
// `metadata` (validated, at most config::max_resource_metadata_bytes).
expected<std::filesystem::path> stage_source(const std::string& plan, const config::source_config& source,
                                             const std::filesystem::path& state_dir,
                                             const std::atomic<bool>* cancel, std::string* metadata = nullptr);

// What a resource command printed on standard output: nothing, or one JSON
// object of at most config::max_resource_metadata_bytes. Returns it compact.
expected<std::string> resource_json(const std::filesystem::path& stdout_file, const std::string& what);

// What a count can know before staging: an sqlite database's size.
source_totals staged_totals(const config::source_config& source);

}  // namespace cairn::actors
