// The browsing commands' command line (find, history, copy): declared on the
// parser by add_browse_commands, run by run_browse_command after parsing.
// Single-threaded.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <optional>

#include "service/application.hpp"
#include "cli/render.hpp"

namespace cairn::cli {

struct browse_commands;
struct browse_commands_deleter {
  void operator()(browse_commands* b) const;
};
using browse_commands_ptr = std::unique_ptr<browse_commands, browse_commands_deleter>;

browse_commands_ptr add_browse_commands(CLI::App& app);

// Runs the command with the application, mapping errors to exit codes.
using app_runner = std::function<int(const std::function<int(service::application&, const output&)>&)>;

// On SIGINT/SIGTERM: unmounts a running `cairn mount` (true), so it exits cleanly.
bool stop_running_mount();

// The exit code of the browsing command given, or nullopt when none was.
std::optional<int> run_browse_command(const browse_commands& b, const app_runner& with_app);

}  // namespace cairn::cli
