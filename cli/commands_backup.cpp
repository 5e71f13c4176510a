// init and backup (and backup --dry-run).
#include "cli/command_context.hpp"

namespace cairn::cli {

namespace {

struct backup_options {
  std::vector<std::string> plans;
  bool dry_run = false;
};

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

}  // namespace

void add_backup_commands(CLI::App& app, context& ctx) {
  auto* init = app.add_subcommand("init", "Create the repositories of every target (and the keyfile)");
  init->footer("Example: cairn -c cairn.yaml init");
  on_app_command(init, ctx, [](service::application& a, const output& out) {
    int code = exit_ok;
    auto r = a.init();
    if (failed(out, r, code)) return code;
    print_init(out, *r);
    return code;
  });

  auto o = std::make_shared<backup_options>();
  auto* backup = app.add_subcommand("backup", "Back up plans (all when none is named)");
  backup->add_option("plans", o->plans, "Plans to run")->option_text("PLAN...");
  backup->add_flag("--dry-run", o->dry_run,
                   "Only list the files a backup would read, and the totals: no target, key or command is used");
  backup->footer("Example: cairn backup home --json");
  backup->callback([&ctx, o] {
    if (o->dry_run) {
      ctx.action = [&ctx, o] { return backup_dry_run_command(ctx.g, o->plans); };
      return;
    }
    ctx.action = [&ctx, o] {
      return with_app(ctx.g, [o](service::application& a, const output& out) {
        int code = exit_ok;
        auto r = a.backup(o->plans);
        if (failed(out, r, code)) return code;
        return print_backup(out, *r);
      });
    };
  });
}

}  // namespace cairn::cli
