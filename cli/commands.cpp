#include "cli/commands.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <functional>
#include <iostream>

#include "base/version.hpp"
#include "cli/daemon.hpp"
#include "cli/exit_codes.hpp"
#include "cli/introspect.hpp"
#include "cli/key_generate.hpp"
#include "cli/log.hpp"
#include "cli/render.hpp"
#include "cli/browse_commands.hpp"
#include "cli/render_browse.hpp"
#include "service/config_commands.hpp"

namespace cairn::cli {

std::atomic<service::application*> running_app{nullptr};
std::atomic<bool> daemon_running{false};

bool reload_requested() {
  if (!daemon_running) return false;
  if (auto* app = running_app.load()) app->reload();
  return true;
}

namespace {

struct globals {
  std::string config;
  std::string keyfile;
  std::string private_key;
  bool password = false;
  bool json = false;
  bool quiet = false;
};

std::string config_path(const globals& g) {
  if (!g.config.empty()) return g.config;
  if (const char* env = std::getenv("CAIRN_CONFIG"); env && *env) return env;
  return "/etc/cairn/cairn.yaml";
}

// Starts the application, runs `fn` with it, and maps errors to exit codes.
template <class F>
int with_app(const globals& g, F&& fn) {
  output out{g.json, !g.quiet && !g.json && isatty(STDERR_FILENO)};
  service::app_options o;
  o.config_file = config_path(g);
  if (!g.keyfile.empty()) o.keyfile = g.keyfile;
  if (!g.private_key.empty()) o.private_key = g.private_key;
  o.ask_password = g.password;
  o.renderer = progress_line(out.progress);
  o.on_warning = print_warning;
  auto app = service::application::start(std::move(o));
  if (!app) {
    print_error(out, app.error());
    return exit_code_of(app.error());
  }
  running_app = app->get();
  int code = fn(**app, out);
  running_app = nullptr;
  return code;
}

template <class T>
bool failed(const output& out, const expected<T>& r, int& code) {
  if (r) return false;
  print_error(out, r.error());
  code = exit_code_of(r.error());
  return true;
}

// Without the application: it would create the catalog, and a dry run writes nothing.
int backup_dry_run_command(const globals& g, const std::vector<std::string>& plans) {
  output out{g.json, false};
  auto r = service::dry_run(config_path(g), plans);
  if (!r) {
    print_error(out, r.error());
    return exit_code_of(r.error());
  }
  return print_dry_run(out, *r);
}

int config_command(const globals& g, bool example) {
  if (example) {
    std::cout << service::example_config();
    return exit_ok;
  }
  output out{g.json, false};
  auto r = service::check_config(config_path(g));
  if (!r) {
    print_error(out, r.error());
    return exit_code_of(r.error());
  }
  print_config(out, config_path(g), *r);
  return exit_ok;
}

}  // namespace

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
  globals g;
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

  auto* init = app.add_subcommand("init", "Create the repositories of every target (and the keyfile)");
  init->footer("Example: cairn -c cairn.yaml init");

  std::vector<std::string> plans;
  auto* backup = app.add_subcommand("backup", "Back up plans (all when none is named)");
  backup->add_option("plans", plans, "Plans to run")->option_text("PLAN...");
  bool backup_dry_run = false;
  backup->add_flag("--dry-run", backup_dry_run,
                   "Only list the files a backup would read, and the totals: no target, key or command is used");
  backup->footer("Example: cairn backup home --json");

  std::string plan, target;
  auto* list = app.add_subcommand("checkpoints", "List checkpoints, newest first");
  list->add_option("--plan", plan, "Only this plan")->option_text("P");
  list->add_option("--target", target, "Only this target")->option_text("T");
  list->footer("Example: cairn checkpoints --plan home");

  std::string spec, path;
  auto* ls = app.add_subcommand("ls", "List the entries of a checkpoint at a path");
  ls->add_option("checkpoint", spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  ls->add_option("path", path, "A path inside it: SOURCE/dir/...")->option_text("PATH");
  ls->add_option("--plan", plan, "The plan for latest")->option_text("P");
  ls->add_option("--target", target, "Only checkpoints of this target")->option_text("T");
  ls->footer("Example: cairn ls latest alice/docs");

  std::string newer_spec;
  auto* diff = app.add_subcommand("diff", "Show what changed between two checkpoints");
  diff->add_option("older", spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  diff->add_option("newer", newer_spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  diff->add_option("--plan", plan, "The plan for latest")->option_text("P");
  diff->add_option("--target", target, "The target of both (default: the first one's)")->option_text("T");
  diff->footer("+ added, - removed, M content changed, U metadata only, ~ type changed.\n"
               "Unchanged subtrees are skipped without being read. Example: cairn diff 3fa2c01b latest");

  std::string to;
  std::vector<std::string> paths;
  bool run_post_restore = false;
  auto* restore = app.add_subcommand("restore", "Restore a checkpoint, or parts of it, into a directory");
  restore->add_option("checkpoint", spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  std::string resource;
  restore->add_option("--to", to, "Destination directory (created; DIR/SOURCE/... is recreated); with --resource: "
                                  "CAIRN_DESTINATION for its recover command")->option_text("DIR");
  restore->add_option("--resource", resource, "Restore this application resource through its recover command "
                                              "(docs/RESOURCES.md)")->option_text("NAME");
  restore->add_option("--path", paths, "Only this file or subtree (repeatable): SOURCE/dir/file")->option_text("P");
  restore->add_option("--plan", plan, "The plan for latest")->option_text("P");
  restore->add_option("--target", target, "Restore from this target")->option_text("T");
  restore->add_flag("--run-post-restore", run_post_restore,
                    "Also run post-restore steps that the checkpoint carries but this YAML does not (check them first)");
  bool restore_delete = false, restore_dry_run = false;
  restore->add_flag("--delete", restore_delete,
                    "Make the restored directories exactly the checkpoint: remove what it does not have");
  restore->add_flag("--dry-run", restore_dry_run,
                    "Only list what would be created (+), changed (M) and, with --delete, removed (-)");
  restore->footer("Example: cairn restore latest --to /tmp/r --path alice/docs/a.txt\n"
                  "         cairn restore latest --to /home --delete --dry-run\n"
                  "         cairn restore latest --resource firefox");

  auto* show = app.add_subcommand("show", "Show a checkpoint: plan, target, host, sources and its resource manifest");
  show->add_option("checkpoint", spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  show->add_option("--plan", plan, "The plan for latest")->option_text("P");
  show->add_option("--target", target, "Only checkpoints of this target")->option_text("T");

  std::string post_name;
  auto* post = app.add_subcommand("post-recovery", "Run an application resource's post_recovery step once, after "
                                                   "cairn restore --resource (the application calls it at its start)");
  post->add_option("name", post_name, "The resource")->required()->option_text("NAME");
  post->footer("Exits 0 with nothing to do when no restore of NAME is waiting for it.");

  bool read_data = false, repair = false;
  auto* check = app.add_subcommand("check", "Verify repositories: structure, and with --read-data every byte");
  check->add_flag("--read-data", read_data, "Download and verify every pack and blob");
  check->add_flag("--repair", repair,
                  "First rewrite a damaged index from the packs' own tables of contents (exclusive lock)");
  check->add_option("--target", target, "Only this target")->option_text("T");
  check->footer("Example: cairn check --read-data");

  auto* key = app.add_subcommand("key", "Manage key slots: each one is a way to open the repositories");
  key->require_subcommand(1);
  key->footer("Every way to open a repository is a key slot wrapping its master key; adding or\n"
              "removing one rewrites only the repository header, never the data.");
  auto* key_list = key->add_subcommand("list", "List the key slots of every target");
  key_list->add_option("--target", target, "Only this target")->option_text("T");
  key_list->footer("Example: cairn key list");
  std::string new_keyfile;
  bool add_password = false, add_tpm = false;
  auto* key_add = key->add_subcommand("add", "Add a key slot (keyfile, password or this machine's TPM)");
  auto* kf = key_add->add_option("--keyfile", new_keyfile, "A keyfile (created 0600 when missing)")->option_text("PATH");
  auto* pw = key_add->add_flag("--password", add_password, "A password (CAIRN_NEW_PASSWORD or asked twice)");
  auto* tp = key_add->add_flag("--tpm", add_tpm, "This machine's TPM (keyring.tcti, keyring.pcrs)");
  kf->excludes(pw)->excludes(tp);
  pw->excludes(tp);
  key_add->add_option("--target", target, "Only this target")->option_text("T");
  key_add->footer("Examples: cairn key add --keyfile /media/usb/cairn-spare.key\n"
                  "          cairn --keyfile recovery.key key add --tpm    (re-seal on new hardware)");
  std::string slot;
  auto* key_remove = key->add_subcommand("remove", "Remove a key slot (never the last one, nor the one in use)");
  key_remove->add_option("slot", slot, "The slot id from cairn key list")->required()->option_text("SLOT");
  key_remove->add_option("--target", target, "Only this target")->option_text("T");
  key_remove->footer("Example: cairn --keyfile recovery.key key remove 3fa2c01b");
  std::string private_key_path;
  bool with_passphrase = false;
  auto* key_generate = key->add_subcommand(
    "generate", "Make a key pair for write-only backups: the private key to a file, the public key printed");
  key_generate->add_option("--private-key", private_key_path, "Where to write the private key (0600, never overwritten)")
    ->required()
    ->option_text("FILE");
  key_generate->add_flag("--passphrase", with_passphrase,
                         "Protect the private key with a passphrase (CAIRN_NEW_PASSWORD or asked twice)");
  key_generate->footer("Example: cairn key generate --private-key /media/usb/cairn-private.key --passphrase\n"
                       "Needs no configuration. Keep the private key off the machines that back up.");
  auto* key_passwd = key->add_subcommand("passwd", "Change the password of a password slot");
  key_passwd->add_option("slot", slot, "The slot id from cairn key list")->required()->option_text("SLOT");
  key_passwd->add_option("--target", target, "Only this target")->option_text("T");
  key_passwd->footer("Example: cairn --password key passwd 3fa2c01b");

  bool dry_run = false, and_prune = false;
  auto* forget = app.add_subcommand("forget", "Remove checkpoints that the plans' keep: policies do not keep");
  forget->add_option("plans", plans, "Plans (all that have a keep: policy when none is named)")->option_text("PLAN...");
  forget->add_option("--target", target, "Only this target")->option_text("T");
  forget->add_flag("--dry-run", dry_run, "Only show what would be kept and forgotten, and why");
  forget->add_flag("--prune", and_prune, "Then delete the data nothing needs any more (cairn prune)");
  std::vector<std::string> forget_ids;
  forget->add_option("--id", forget_ids, "Forget this checkpoint (an id or unique prefix; repeatable) instead of applying policies")
    ->option_text("CHECKPOINT");
  forget->footer("A policy, per plan in the YAML: keep: {last: 3, daily: 7, weekly: 4, monthly: 12, within: 2d}.\n"
                 "Periods are calendar periods in local time; the newest checkpoint is always kept.\n"
                 "Example: cairn forget --dry-run");
  auto* prune = app.add_subcommand("prune", "Delete data that no checkpoint needs any more");
  prune->add_option("--target", target, "Only this target")->option_text("T");
  prune->add_flag("--dry-run", dry_run, "Only show what would be deleted");
  prune->footer("Takes the repository's exclusive lock (backups wait or fail meanwhile). Packs nothing\n"
                "uses are deleted; packs mostly unused are rewritten. Safe to kill at any moment.\n"
                "Example: cairn prune --target usb");

  auto* status = app.add_subcommand("status", "Show each plan's schedule, last and next run, and checkpoints");
  status->footer("From the catalog only: no target is contacted. Exit code 1 when a plan's last run failed.\n"
                 "Example: cairn status --json");

  auto* run_now = app.add_subcommand("run", "Run a plan now: through the daemon when one runs, else here");
  run_now->add_option("plan", plan, "The plan")->required()->option_text("PLAN");
  run_now->footer("The daemon runs it at once, or after the plan it runs now; cairn status shows its\n"
                  "progress. Without a daemon it runs here, as cairn backup PLAN does. Example: cairn run home");
  auto* cancel = app.add_subcommand("cancel", "Cancel a plan the daemon runs (or has queued)");
  cancel->add_option("plan", plan, "The plan")->required()->option_text("PLAN");
  cancel->footer("Nothing half-written is committed; the next run reuses what was uploaded. Example: cairn cancel home");
  auto* pause = app.add_subcommand("pause", "Pause the daemon's run (or the whole daemon): reading and uploads wait");
  pause->add_option("plan", plan, "Only while this plan runs")->option_text("PLAN");
  pause->footer("Reading stops at the next chunk and uploads at the next pack; locks stay refreshed and\n"
                "no new run starts until cairn resume. Example: cairn pause");
  auto* resume = app.add_subcommand("resume", "Resume what cairn pause held");
  resume->add_option("plan", plan, "The plan")->option_text("PLAN");
  resume->footer("Example: cairn resume");
  size_t limit = 20;
  auto* runs = app.add_subcommand("runs", "List past runs, newest first, with what each cost");
  runs->add_option("--plan", plan, "Only this plan")->option_text("P");
  runs->add_option("--limit", limit, "At most this many (default 20)")->option_text("N");
  runs->footer("Example: cairn runs --plan home");

  auto* ui = app.add_subcommand("ui", "Print a one-time login URL to the daemon's web dashboard (api.web)");
  ui->footer("The URL holds a secret that works once, within 5 minutes, and becomes a session cookie.\n"
             "Example: cairn ui   (docs/WEB.md)");

  auto* daemon = app.add_subcommand("daemon", "Run the plans on their schedules (the system service)");
  daemon->footer("Runs each plan whose schedule: says so, one at a time, at low CPU and I/O priority\n"
                 "(daemon.nice, daemon.io); catches up runs missed while the machine was off; retries a\n"
                 "failed run after daemon.retry. SIGTERM stops (a running backup is abandoned cleanly),\n"
                 "SIGHUP reloads the configuration once the running backup is done.\n"
                 "Example: cairn -c /etc/cairn/cairn.yaml daemon   (see examples/cairn.service)");

  service::bootstrap_request boot;
  std::string boot_state, boot_config, boot_file;
  auto* bootstrap = app.add_subcommand("bootstrap", "Recover the suite on a new machine from a target or a suite-state file");
  bootstrap->add_option("target", boot.target_url,
                        "The target: a path, file:///path, sftp://user@host[:port]/path, s3://host[:port]/bucket[/prefix] "
                        "(s3+http:// for plain HTTP; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
    ->option_text("TARGET_URL");
  bootstrap->add_option("--suite-file", boot_file, "One suite-state object copied by hand (no target needed)")->option_text("FILE");
  bootstrap->add_option("--state-dir", boot_state, "Where to put the recovered catalog (must hold none)")->required()->option_text("DIR");
  bootstrap->add_option("--config-out", boot_config, "Where to write the recovered YAML (default DIR/cairn.yaml)")->option_text("FILE");
  bootstrap->add_flag("--rebuild", boot.rebuild, "No suite state: rebuild the catalog from the checkpoints");
  std::string boot_identity, boot_known;
  bootstrap->add_option("--identity", boot_identity, "sftp://: the private key")->option_text("FILE");
  bootstrap->add_option("--known-hosts", boot_known, "sftp://: known_hosts (default ~/.ssh/known_hosts)")->option_text("FILE");
  bootstrap->footer("Examples: cairn bootstrap /mnt/usb/cairn --keyfile cairn.key --state-dir /var/lib/cairn\n"
                    "          cairn bootstrap --suite-file suite-state --password --state-dir /var/lib/cairn");
  auto browse = add_browse_commands(app);  // find, history, copy
  auto* config_cmd = app.add_subcommand("config", "Check the configuration, or print a commented example");
  config_cmd->require_subcommand(1);
  auto* config_check = config_cmd->add_subcommand(
    "check", "Validate the YAML and print the effective configuration: defaults filled in, no secrets");
  config_check->footer("A wrong file gets one line naming file:line:col and exit code 2.\n"
                       "Example: cairn -c /etc/cairn/cairn.yaml config check");
  auto* config_example = config_cmd->add_subcommand("example", "Print a commented starting configuration");
  config_example->footer("Example: cairn config example > cairn.yaml && cairn -c cairn.yaml config check");
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

  if (*bootstrap) {
    output out{g.json, false};
    boot.suite_file = boot_file;
    boot.identity = boot_identity;
    boot.known_hosts = boot_known;
    boot.state_dir = boot_state;
    boot.config_out = boot_config;
    if (!g.keyfile.empty()) boot.keyfile = g.keyfile;
    boot.password = g.password;
    if (!g.private_key.empty()) boot.private_key = g.private_key;
    auto r = service::application::bootstrap(boot);
    if (!r) {
      print_error(out, r.error());
      return exit_code_of(r.error());
    }
    print_bootstrap(out, *r);
    return exit_ok;
  }
  set_log_level(parse_log_level(log_level_name).value_or(log_level::info));
  if (auto code = run_browse_command(*browse, [&](const auto& fn) { return with_app(g, fn); })) return *code;
  if (*config_cmd) return config_command(g, static_cast<bool>(*config_example));
  if (*daemon) return run_daemon({config_path(g), g.keyfile, g.password, g.json});
  if (*run_now) {
    output out{g.json, false};
    if (auto code = ask_daemon_to_run(config_path(g), plan, out)) return *code;
    return with_app(g, [&](service::application& a, const output& out) {  // no daemon: run it here
      int code = exit_ok;
      auto r = a.backup({plan});
      if (failed(out, r, code)) return code;
      return print_backup(out, *r);
    });
  }
  if (*ui) return ask_daemon_for_ui(config_path(g), output{g.json, false});
  if (*cancel) return ask_daemon_to_cancel(config_path(g), plan, output{g.json, false});
  if (*pause) return ask_daemon_to(config_path(g), "pause", plan, output{g.json, false});
  if (*resume) return ask_daemon_to(config_path(g), "resume", plan, output{g.json, false});
  if (*runs)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto r = a.runs(plan, limit);
      if (failed(out, r, code)) return code;
      print_runs(out, *r);
      return code;
    });
  if (*status)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto r = a.summary();
      if (failed(out, r, code)) return code;
      return print_status(out, *r, r->daemon_pid ? daemon_live_run(a) : std::nullopt);
    });
  if (*forget || *prune)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      if (*forget) {
        expected<std::vector<service::forget_line>> r = std::vector<service::forget_line>{};
        if (!forget_ids.empty()) {
          std::vector<service::resolved_checkpoint> named;
          for (const auto& id : forget_ids) {
            auto cp = a.resolve(id, plans.empty() ? "" : plans.front(), target);
            if (failed(out, cp, code)) return code;
            named.push_back(std::move(*cp));
          }
          r = a.forget_named(named, dry_run);
        } else {
          r = a.forget(plans, target, dry_run);
        }
        if (failed(out, r, code)) return code;
        code = print_forget(out, *r, dry_run);
        if (!and_prune || code != exit_ok) return code;
      }
      repo::prune_options o;
      o.dry_run = dry_run;
      // For the crash tests: die abruptly right after the named step.
      if (const char* stop = std::getenv("CAIRN_TEST_PRUNE_KILL_AFTER"))
        o.on_step = [stop = std::string(stop)](const std::string& s) { if (s == stop) _exit(137); };
      auto r = a.prune(target, o);
      if (failed(out, r, code)) return code;
      return print_prune(out, *r, dry_run);
    });
  if (*init)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto r = a.init();
      if (failed(out, r, code)) return code;
      print_init(out, *r);
      return code;
    });
  if (*backup && backup_dry_run) return backup_dry_run_command(g, plans);
  if (*backup)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto r = a.backup(plans);
      if (failed(out, r, code)) return code;
      return print_backup(out, *r);
    });
  if (*list)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto r = a.checkpoints(plan, target);
      if (failed(out, r, code)) return code;
      print_checkpoints(out, *r);
      return code;
    });
  if (*ls)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto cp = a.resolve(spec, plan, target);
      if (failed(out, cp, code)) return code;
      auto r = a.list(*cp, path);
      if (failed(out, r, code)) return code;
      print_listing(out, *cp, path, *r);
      if (path.empty() && !out.json) print_manifest(service::manifest_of_row(cp->row.sources_json), "");
      return code;
    });
  if (*diff)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto older = a.resolve(spec, plan, target);
      if (failed(out, older, code)) return code;
      auto newer = a.resolve(newer_spec, plan, target.empty() ? older->row.target : target);
      if (failed(out, newer, code)) return code;
      auto r = a.diff(*older, *newer, [&](const repo::tree_change& c) { print_change(out, c); });
      if (failed(out, r, code)) return code;
      print_diff_summary(out, *r);
      return code;
    });
  if (*post) {
    output out{g.json, false};
    auto r = service::post_recovery(config_path(g), post_name);
    int code = exit_ok;
    if (failed(out, r, code)) return code;
    print_post_recovery(out, *r);
    return code;
  }
  if (*show)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto cp = a.resolve(spec, plan, target);
      if (failed(out, cp, code)) return code;
      print_show(out, *cp);
      return code;
    });
  if (*restore && resource.empty() && to.empty()) {
    std::fprintf(stderr, "cairn: restore needs --to DIR (or --resource NAME)\n");
    return exit_usage;
  }
  if (*restore && !resource.empty())
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      if (!paths.empty()) {
        print_error(out, error{errc::invalid_input, "restore --resource restores the whole resource: no --path"});
        return static_cast<int>(exit_usage);
      }
      auto cp = a.resolve(spec, plan, target);
      if (failed(out, cp, code)) return code;
      auto r = a.restore_resource(*cp, resource, to);
      if (failed(out, r, code)) return code;
      print_resource_restore(out, *r);
      return code;
    });
  if (*restore)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto cp = a.resolve(spec, plan, target);
      if (failed(out, cp, code)) return code;
      if (restore_dry_run) {
        auto preview = a.restore_preview(*cp, to, paths, restore_delete);
        if (failed(out, preview, code)) return code;
        return print_restore_preview(out, *preview, to);
      }
      service::restore_options o{paths, run_post_restore};
      o.delete_extra = restore_delete;
      auto r = a.restore(*cp, to, o);
      if (failed(out, r, code)) return code;
      return print_restore(out, *r, to);
    });
  if (*check)
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      auto r = a.check(target, read_data, repair);
      if (failed(out, r, code)) return code;
      return print_check(out, *r);
    });
  if (*key && *key_generate)
    return key_generate_command(output{g.json, false}, private_key_path, with_passphrase);
  if (*key) {
    return with_app(g, [&](service::application& a, const output& out) {
      int code = exit_ok;
      expected<std::vector<service::key_line>> r = fail(errc::invalid_input, "no key command");
      if (*key_list) r = a.key_list(target);
      if (*key_add) {
        if (new_keyfile.empty() && !add_password && !add_tpm) {
          print_error(out, error{errc::invalid_input, "key add needs --keyfile PATH, --password or --tpm"});
          return static_cast<int>(exit_usage);
        }
        auto kind = add_tpm ? crypto::slot_kind::tpm
                    : add_password ? crypto::slot_kind::password : crypto::slot_kind::keyfile;
        r = a.key_add(target, kind, new_keyfile);
      }
      if (*key_remove) r = a.key_remove(target, slot);
      if (*key_passwd) r = a.key_passwd(target, slot);
      if (failed(out, r, code)) return code;
      print_keys(out, *r);
      return code;
    });
  }
  return exit_usage;
}

}  // namespace cairn::cli
