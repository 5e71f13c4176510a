#include "cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>

#include "base/version.hpp"
#include "cli/archive_commands.hpp"
#include "cli/browse_commands.hpp"
#include "cli/command_context.hpp"
#include "cli/exit_codes.hpp"
#include "cli/introspect.hpp"
#include "cli/log.hpp"

namespace cairn::cli {

running_application running_app;
std::atomic<bool> daemon_running{false};

void running_application::set(service::application* app) {
  std::lock_guard lock(mutex_);
  app_ = app;
}

void running_application::clear() { set(nullptr); }

bool running_application::call(const std::function<void(service::application&)>& fn) {
  std::lock_guard lock(mutex_);
  if (!app_) return false;
  fn(*app_);
  return true;
}

bool reload_requested() {
  if (!daemon_running) return false;
  running_app.call([](service::application& app) { app.reload(); });
  return true;
}

int run_command(int argc, char** argv) {
  CLI::App app{"Cairn: deduplicated, compressed, encrypted backups of directories, SQLite databases and command\n"
               "output to local disks, SFTP and S3; run by hand or on schedules by cairn daemon.\n"
               "Configuration: -c FILE, else $CAIRN_CONFIG, else /etc/cairn/cairn.yaml."};
  app.set_version_flag("--version", std::string("cairn ") + program_version +
                                      " (repository format " + std::to_string(repository_format_version) + ")");
  app.require_subcommand(1);
  app.footer("Exit codes: 0 success, 1 failure, 2 usage or configuration error, 3 finished but some\n"
             "files could not be read or restored (each is named), 4 no TPM, 5 key sealed by another\n"
             "TPM, 6 TPM PCR policy not satisfied, 7 TPM in lockout, 130 interrupted.\n"
             "Example: cairn -c /etc/cairn/cairn.yaml backup home");
  context ctx;
  auto& g = ctx.g;
  app.add_option("-c,--config", g.config, "The suite's YAML file")->option_text("FILE");
  app.add_option("--keyfile", g.keyfile, "Open repositories with this keyfile instead of the configured key")
    ->option_text("PATH");
  app.add_option("--private-key", g.private_key,
                 "Write-only backups: read them with this private key (its passphrase from "
                 "CAIRN_PRIVATE_KEY_PASSPHRASE or asked)")
    ->option_text("FILE");
  app.add_flag("--password", g.password, "Open repositories with a password (CAIRN_PASSWORD or a prompt)");
  app.add_flag("--json", g.json, "Print one JSON object per line");
  app.add_flag("-q,--quiet", g.quiet, "No progress line");
  std::string log_level_name = "info";
  app.add_option("--log-level", log_level_name,
                 "What the daemon logs, and whether warnings show: error, warn, info (default) or debug")
    ->check(CLI::IsMember({"error", "warn", "info", "debug"}))
    ->option_text("LEVEL");

  // Each group declares its subcommands; the one given sets ctx.action.
  add_backup_commands(app, ctx);
  add_restore_commands(app, ctx);
  add_maintenance_commands(app, ctx);
  add_keys_commands(app, ctx);
  add_daemon_commands(app, ctx);
  add_setup_commands(app, ctx);
  auto browse = add_browse_commands(app);  // find, history, copy, mount
  add_config_commands(app, ctx);
  add_resources_commands(app, ctx);
  add_serve_commands(app, ctx);
  auto archives = add_archive_commands(app);  // export; restore and ls --archive
  // Global options (--keyfile, --json, ...) may come after a subcommand too.
  std::function<void(CLI::App*)> fall = [&](CLI::App* a) {
    for (auto* sub : a->get_subcommands({})) {
      sub->fallthrough();
      fall(sub);
    }
  };
  fall(&app);

  // Hidden: man pages at build time, and what the shell completions ask.
  if (argc >= 2 && std::string(argv[1]) == "help-man") {
    if (argc != 4) return std::cerr << "usage: cairn help-man DIR README.md\n", exit_usage;
    return write_man_pages(app, argv[2], argv[3]);
  }
  if (argc >= 2 && std::string(argv[1]) == "__complete") {
    return complete(app, std::vector<std::string>(argv + 2, argv + argc), [](const std::vector<std::string>& words) {
      globals from_words;
      for (size_t i = 0; i + 1 < words.size(); ++i)
        if (words[i] == "-c" || words[i] == "--config") from_words.config = words[i + 1];
      return config_path(from_words);
    });
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "cairn: " << e.what() << " (see cairn --help)\n";
    return exit_usage;
  }

  set_log_level(parse_log_level(log_level_name).value_or(log_level::info));
  if (auto code = run_browse_command(*browse, [&](const auto& fn) { return with_app(g, fn); })) return *code;
  if (auto code = run_archive_command(*archives, [&](const auto& fn) { return with_app(g, fn); }, g.json, g.keyfile))
    return *code;
  if (ctx.action) return ctx.action();
  return exit_usage;
}

}  // namespace cairn::cli
