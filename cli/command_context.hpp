// What every command group shares: the global options, starting the
// application, and the one action the parsed command line chose. Each group
// (cli/commands_*.cpp) declares its subcommands with add_*_commands(app, ctx)
// and, through a CLI11 callback, sets ctx.action; run_command runs it after
// parsing. Single-threaded.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "cli/exit_codes.hpp"
#include "cli/render.hpp"
#include "service/application.hpp"

namespace cairn::cli {

struct globals {
  std::string config;
  std::string keyfile;
  std::string private_key;
  bool password = false;
  bool json = false;
  bool quiet = false;
};

struct context {
  globals g;
  std::function<int()> action;  // set by the chosen subcommand's callback
};

// -c FILE, else $CAIRN_CONFIG, else /etc/cairn/cairn.yaml.
std::string config_path(const globals& g);

// Starts the application, runs `fn` with it, and maps errors to exit codes.
using app_command = std::function<int(service::application&, const output&)>;
int with_app(const globals& g, const app_command& fn);

// Sets ctx.action to with_app(fn) when `sub` is the command given.
void on_app_command(CLI::App* sub, context& ctx, app_command fn);

// Prints the error of a failed result and sets `code` from it (true).
template <class T>
bool failed(const output& out, const expected<T>& r, int& code) {
  if (r) return false;
  print_error(out, r.error());
  code = exit_code_of(r.error());
  return true;
}

// The command groups.
void add_backup_commands(CLI::App& app, context& ctx);       // init, backup
void add_restore_commands(CLI::App& app, context& ctx);      // checkpoints, ls, diff, show, restore, post-recovery
void add_maintenance_commands(CLI::App& app, context& ctx);  // check, forget, prune
void add_keys_commands(CLI::App& app, context& ctx);         // key list|add|remove|generate|passwd
void add_daemon_commands(CLI::App& app, context& ctx);       // status, run, cancel, pause, resume, runs, ui, daemon
void add_setup_commands(CLI::App& app, context& ctx);        // bootstrap
void add_config_commands(CLI::App& app, context& ctx);       // config check|example
void add_resources_commands(CLI::App& app, context& ctx);    // resources
void add_serve_commands(CLI::App& app, context& ctx);        // serve

}  // namespace cairn::cli
