// The single-file archive commands' command line: `cairn export`, and the
// --archive forms of `restore` and `ls` (which need no YAML at all). Declared
// on the parser by add_archive_commands, run by run_archive_command after
// parsing. Single-threaded.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "cli/browse_commands.hpp"

namespace cairn::cli {

struct archive_commands;
struct archive_commands_deleter {
  void operator()(archive_commands* a) const;
};
using archive_commands_ptr = std::unique_ptr<archive_commands, archive_commands_deleter>;

// Adds `export`, and --archive (with --passphrase-file) to the existing
// `restore` and `ls`, whose CHECKPOINT then becomes optional.
archive_commands_ptr add_archive_commands(CLI::App& app);

// The exit code of an archive command, or nullopt when none was given.
// `keyfile`: the global --keyfile (the archive's, for restore and ls).
std::optional<int> run_archive_command(const archive_commands& a, const app_runner& with_app, bool json,
                                       const std::string& keyfile);

}  // namespace cairn::cli
