// `cairn daemon` (the service, with its control API) and the commands that
// steer it through that API: run, cancel. Not the CLI parser (commands.cpp).
#pragma once

#include <atomic>
#include <optional>
#include <string>

#include "service/application.hpp"
#include "cli/render.hpp"

namespace cairn::cli {

struct daemon_options {
  std::string config_file;
  std::string keyfile;
  bool password = false;
  bool json = false;
};

// Runs the daemon until SIGTERM/SIGINT; SIGHUP reloads the configuration (a
// configuration that does not load is reported and the old one kept).
int run_daemon(const daemon_options& options);

// Asks the daemon of `config_file` to run a plan now, or to cancel it.
// std::nullopt: no daemon listens (the caller may run the plan itself).
std::optional<int> ask_daemon_to_run(const std::string& config_file, const std::string& plan, const output& out);
int ask_daemon_to_cancel(const std::string& config_file, const std::string& plan, const output& out);
// pause or resume ("pause"/"resume") a plan's run, or the whole daemon (plan "").
int ask_daemon_to(const std::string& config_file, const std::string& verb, const std::string& plan, const output& out);

// cairn ui: a one-time login URL to the daemon's web dashboard (cli/ui.cpp).
int ask_daemon_for_ui(const std::string& config_file, const output& out);

// The daemon's run in progress, if a daemon answers.
std::optional<service::live_run> daemon_live_run(const service::application& app);

}  // namespace cairn::cli
