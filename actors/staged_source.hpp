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

#include <optional>

#include "actors/protocol/source.hpp"
#include "fs/command.hpp"
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

// Who runs a resource's commands (docs/RESOURCES.md): nothing (this process's
// user), or its `user:` when that is another user and Cairn runs as root. A
// descriptor that may not choose its user, a user that does not exist, or
// another user while Cairn is not root: one line naming the descriptor.
expected<std::optional<fs::run_identity>> resource_identity(const config::resource_config& r);

// Gives `path` and everything under it (links not followed) to `who`, so a
// resource's commands can write their staging or recovery folder.
status give_to(const std::filesystem::path& path, const fs::run_identity& who);

// A new folder for a resource's command run as `who`: in the temporary
// directory (state_dir is private), 0700 and theirs; the caller removes it.
expected<std::filesystem::path> resource_folder(const std::string& prefix, const fs::run_identity& who);

// What a count can know before staging: an sqlite database's size.
source_totals staged_totals(const config::source_config& source);

}  // namespace cairn::actors
