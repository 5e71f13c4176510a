// Parses the command line and runs one command: the global options here, each
// group of commands in its cli/commands_*.cpp (cli/command_context.hpp).
#pragma once

#include <atomic>

#include "service/application.hpp"

namespace cairn::cli {

// Set while a command runs, so the signal thread can ask it to stop.
extern std::atomic<service::application*> running_app;

int run_command(int argc, char** argv);

// SIGHUP: asks a running daemon to reload; false when no daemon runs.
bool reload_requested();

}  // namespace cairn::cli
