// The running service: status, run, cancel, pause, resume, runs, ui, daemon.
// Those that steer a run ask the daemon through its API (cli/daemon.cpp).
#include "cli/command_context.hpp"

#include "cli/daemon.hpp"

namespace cairn::cli {

namespace {

struct daemon_args {
  std::string plan;
  size_t limit = 20;
};

// ctx.action = fn(config file, plan, output) without the application.
template <class F>
void on_daemon_command(CLI::App* sub, context& ctx, std::shared_ptr<daemon_args> o, F fn) {
  sub->callback([&ctx, o, fn] {
    ctx.action = [&ctx, o, fn] { return fn(config_path(ctx.g), o->plan, output{ctx.g.json, false}); };
  });
}

}  // namespace

void add_daemon_commands(CLI::App& app, context& ctx) {
  auto o = std::make_shared<daemon_args>();
  auto* status = app.add_subcommand("status", "Show each plan's schedule, last and next run, and checkpoints");
  status->footer("From the catalog only: no target is contacted. Exit code 1 when a plan's last run failed.\n"
                 "Example: cairn status --json");
  on_app_command(status, ctx, [](service::application& a, const output& out) {
    int code = exit_ok;
    auto r = a.summary();
    if (failed(out, r, code)) return code;
    return print_status(out, *r, r->daemon_pid ? daemon_live_run(a) : std::nullopt);
  });

  auto* run_now = app.add_subcommand("run", "Run a plan now: through the daemon when one runs, else here");
  run_now->add_option("plan", o->plan, "The plan")->required()->option_text("PLAN");
  run_now->footer("The daemon runs it at once, or after the plan it runs now; cairn status shows its\n"
                  "progress. Without a daemon it runs here, as cairn backup PLAN does. Example: cairn run home");
  run_now->callback([&ctx, o] {
    ctx.action = [&ctx, o] {
      if (auto code = ask_daemon_to_run(config_path(ctx.g), o->plan, output{ctx.g.json, false})) return *code;
      return with_app(ctx.g, [o](service::application& a, const output& out) {  // no daemon: run it here
        int code = exit_ok;
        auto r = a.backup({o->plan});
        if (failed(out, r, code)) return code;
        return print_backup(out, *r);
      });
    };
  });

  auto* cancel = app.add_subcommand("cancel", "Cancel a plan the daemon runs (or has queued)");
  cancel->add_option("plan", o->plan, "The plan")->required()->option_text("PLAN");
  cancel->footer("Nothing half-written is committed; the next run reuses what was uploaded. Example: cairn cancel home");
  on_daemon_command(cancel, ctx, o, ask_daemon_to_cancel);
  auto* pause = app.add_subcommand("pause", "Pause the daemon's run (or the whole daemon): reading and uploads wait");
  pause->add_option("plan", o->plan, "Only while this plan runs")->option_text("PLAN");
  pause->footer("Reading stops at the next chunk and uploads at the next pack; locks stay refreshed and\n"
                "no new run starts until cairn resume. Example: cairn pause");
  on_daemon_command(pause, ctx, o, [](const std::string& config, const std::string& plan, const output& out) {
    return ask_daemon_to(config, "pause", plan, out);
  });
  auto* resume = app.add_subcommand("resume", "Resume what cairn pause held");
  resume->add_option("plan", o->plan, "The plan")->option_text("PLAN");
  resume->footer("Example: cairn resume");
  on_daemon_command(resume, ctx, o, [](const std::string& config, const std::string& plan, const output& out) {
    return ask_daemon_to(config, "resume", plan, out);
  });

  auto* runs = app.add_subcommand("runs", "List past runs, newest first, with what each cost");
  runs->add_option("--plan", o->plan, "Only this plan")->option_text("P");
  runs->add_option("--limit", o->limit, "At most this many (default 20)")->option_text("N");
  runs->footer("Example: cairn runs --plan home");
  on_app_command(runs, ctx, [o](service::application& a, const output& out) {
    int code = exit_ok;
    auto r = a.runs(o->plan, o->limit);
    if (failed(out, r, code)) return code;
    print_runs(out, *r);
    return code;
  });

  auto* ui = app.add_subcommand("ui", "Print a one-time login URL to the daemon's web dashboard (api.web)");
  ui->footer("The URL holds a secret that works once, within 5 minutes, and becomes a session cookie.\n"
             "Example: cairn ui   (docs/WEB.md)");
  ui->callback([&ctx] { ctx.action = [&ctx] { return ask_daemon_for_ui(config_path(ctx.g), output{ctx.g.json, false}); }; });

  auto* daemon = app.add_subcommand("daemon", "Run the plans on their schedules (the system service)");
  daemon->footer("Runs each plan whose schedule: says so, one at a time, at low CPU and I/O priority\n"
                 "(daemon.nice, daemon.io); catches up runs missed while the machine was off; retries a\n"
                 "failed run after daemon.retry. SIGTERM stops (a running backup is abandoned cleanly),\n"
                 "SIGHUP reloads the configuration once the running backup is done.\n"
                 "Example: cairn -c /etc/cairn/cairn.yaml daemon   (see examples/cairn.service)");
  daemon->callback([&ctx] {
    ctx.action = [&ctx] { return run_daemon({config_path(ctx.g), ctx.g.keyfile, ctx.g.password, ctx.g.json}); };
  });
}

}  // namespace cairn::cli
