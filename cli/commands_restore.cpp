// Reading checkpoints back: checkpoints, ls, diff, show, restore, post-recovery.
#include "cli/command_context.hpp"

#include <cstdio>

#include "cli/render_browse.hpp"

namespace cairn::cli {

namespace {

// A checkpoint named on the command line: CHECKPOINT [--plan P] [--target T].
struct named {
  std::string spec, plan, target;
};

void add_named(CLI::App* sub, named& n, const char* target_help = "Only checkpoints of this target") {
  sub->add_option("checkpoint", n.spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  sub->add_option("--plan", n.plan, "The plan for latest")->option_text("P");
  sub->add_option("--target", n.target, target_help)->option_text("T");
}

struct restore_args {
  named cp;
  std::string to, resource, load;
  std::vector<std::string> paths;
  bool run_post_restore = false, delete_extra = false, dry_run = false;
};

int restore_files(service::application& a, const output& out, const restore_args& o) {
  int code = exit_ok;
  auto cp = a.resolve(o.cp.spec, o.cp.plan, o.cp.target);
  if (failed(out, cp, code)) return code;
  if (o.dry_run) {
    auto preview = a.restore_preview(*cp, o.to, o.paths, o.delete_extra);
    if (failed(out, preview, code)) return code;
    return print_restore_preview(out, *preview, o.to);
  }
  service::restore_options ro{o.paths, o.run_post_restore};
  ro.delete_extra = o.delete_extra;
  auto r = a.restore(*cp, o.to, ro);
  if (failed(out, r, code)) return code;
  return print_restore(out, *r, o.to);
}

int restore_resource(service::application& a, const output& out, const restore_args& o) {
  int code = exit_ok;
  if (!o.paths.empty()) {
    print_error(out, error{errc::invalid_input, "restore --resource restores the whole resource: no --path"});
    return static_cast<int>(exit_usage);
  }
  auto cp = a.resolve(o.cp.spec, o.cp.plan, o.cp.target);
  if (failed(out, cp, code)) return code;
  auto r = a.restore_resource(*cp, o.resource, o.to);
  if (failed(out, r, code)) return code;
  print_resource_restore(out, *r);
  return code;
}

int load_source(service::application& a, const output& out, const restore_args& o) {
  int code = exit_ok;
  if (!o.paths.empty() || !o.to.empty() || !o.resource.empty() || o.delete_extra || o.dry_run || o.run_post_restore) {
    print_error(out, error{errc::invalid_input, "restore --load hands the source's output to its restore_command: "
                                                "no --to, --path, --resource, --delete, --dry-run or --run-post-restore"});
    return static_cast<int>(exit_usage);
  }
  auto cp = a.resolve(o.cp.spec, o.cp.plan, o.cp.target);
  if (failed(out, cp, code)) return code;
  auto r = a.load_source(*cp, o.load);
  if (failed(out, r, code)) return code;
  print_source_load(out, *r);
  return code;
}

void add_restore(CLI::App& app, context& ctx) {
  auto o = std::make_shared<restore_args>();
  auto* restore = app.add_subcommand("restore", "Restore a checkpoint, or parts of it, into a directory");
  restore->add_option("checkpoint", o->cp.spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  restore->add_option("--to", o->to, "Destination directory (created; DIR/SOURCE/... is recreated); with --resource: "
                                     "CAIRN_DESTINATION for its recover command")->option_text("DIR");
  restore->add_option("--resource", o->resource, "Restore this application resource through its recover command "
                                                 "(docs/RESOURCES.md)")->option_text("NAME");
  restore->add_option("--load", o->load, "Stream this command source's stored output into its restore_command "
                                         "(from this YAML), e.g. a database dump loaded back")->option_text("SOURCE");
  restore->add_option("--path", o->paths, "Only this file or subtree (repeatable): SOURCE/dir/file")->option_text("P");
  restore->add_option("--plan", o->cp.plan, "The plan for latest")->option_text("P");
  restore->add_option("--target", o->cp.target, "Restore from this target")->option_text("T");
  restore->add_flag("--run-post-restore", o->run_post_restore,
                    "Also run post-restore steps that the checkpoint carries but this YAML does not (check them first)");
  restore->add_flag("--delete", o->delete_extra,
                    "Make the restored directories exactly the checkpoint: remove what it does not have");
  restore->add_flag("--dry-run", o->dry_run,
                    "Only list what would be created (+), changed (M) and, with --delete, removed (-)");
  restore->footer("Example: cairn restore latest --to /tmp/r --path alice/docs/a.txt\n"
                  "         cairn restore latest --to /home --delete --dry-run\n"
                  "         cairn restore latest --resource firefox\n"
                  "         cairn restore latest --load pgdump");
  restore->callback([&ctx, o] {
    if (o->resource.empty() && o->to.empty() && o->load.empty()) {
      ctx.action = [] {
        std::fprintf(stderr, "cairn: restore needs --to DIR (or --resource NAME, or --load SOURCE)\n");
        return static_cast<int>(exit_usage);
      };
      return;
    }
    ctx.action = [&ctx, o] {
      return with_app(ctx.g, [o](service::application& a, const output& out) {
        if (!o->load.empty()) return load_source(a, out, *o);
        return o->resource.empty() ? restore_files(a, out, *o) : restore_resource(a, out, *o);
      });
    };
  });
}

}  // namespace

void add_restore_commands(CLI::App& app, context& ctx) {
  auto list = std::make_shared<named>();
  auto* checkpoints = app.add_subcommand("checkpoints", "List checkpoints, newest first");
  checkpoints->add_option("--plan", list->plan, "Only this plan")->option_text("P");
  checkpoints->add_option("--target", list->target, "Only this target")->option_text("T");
  checkpoints->footer("Example: cairn checkpoints --plan home");
  on_app_command(checkpoints, ctx, [list](service::application& a, const output& out) {
    int code = exit_ok;
    auto r = a.checkpoints(list->plan, list->target);
    if (failed(out, r, code)) return code;
    print_checkpoints(out, *r);
    return code;
  });

  auto ls_cp = std::make_shared<named>();
  auto ls_path = std::make_shared<std::string>();
  auto* ls = app.add_subcommand("ls", "List the entries of a checkpoint at a path");
  ls->add_option("checkpoint", ls_cp->spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  ls->add_option("path", *ls_path, "A path inside it: SOURCE/dir/...")->option_text("PATH");
  ls->add_option("--plan", ls_cp->plan, "The plan for latest")->option_text("P");
  ls->add_option("--target", ls_cp->target, "Only checkpoints of this target")->option_text("T");
  ls->footer("Example: cairn ls latest alice/docs");
  on_app_command(ls, ctx, [ls_cp, ls_path](service::application& a, const output& out) {
    int code = exit_ok;
    auto cp = a.resolve(ls_cp->spec, ls_cp->plan, ls_cp->target);
    if (failed(out, cp, code)) return code;
    auto r = a.list(*cp, *ls_path);
    if (failed(out, r, code)) return code;
    print_listing(out, *cp, *ls_path, *r);
    if (ls_path->empty() && !out.json) print_manifest(service::manifest_of_row(cp->row.sources_json), "");
    return code;
  });

  auto older = std::make_shared<named>();
  auto newer_spec = std::make_shared<std::string>();
  auto* diff = app.add_subcommand("diff", "Show what changed between two checkpoints");
  diff->add_option("older", older->spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  diff->add_option("newer", *newer_spec, "An id, a unique id prefix, or latest")->required()->option_text("CHECKPOINT");
  diff->add_option("--plan", older->plan, "The plan for latest")->option_text("P");
  diff->add_option("--target", older->target, "The target of both (default: the first one's)")->option_text("T");
  diff->footer("+ added, - removed, M content changed, U metadata only, ~ type changed.\n"
               "Unchanged subtrees are skipped without being read. Example: cairn diff 3fa2c01b latest");
  on_app_command(diff, ctx, [older, newer_spec](service::application& a, const output& out) {
    int code = exit_ok;
    auto from = a.resolve(older->spec, older->plan, older->target);
    if (failed(out, from, code)) return code;
    auto to = a.resolve(*newer_spec, older->plan, older->target.empty() ? from->row.target : older->target);
    if (failed(out, to, code)) return code;
    auto r = a.diff(*from, *to, [&](const repo::tree_change& c) { print_change(out, c); });
    if (failed(out, r, code)) return code;
    print_diff_summary(out, *r);
    return code;
  });

  add_restore(app, ctx);

  auto shown = std::make_shared<named>();
  auto* show = app.add_subcommand("show", "Show a checkpoint: plan, target, host, sources and its resource manifest");
  add_named(show, *shown);
  on_app_command(show, ctx, [shown](service::application& a, const output& out) {
    int code = exit_ok;
    auto cp = a.resolve(shown->spec, shown->plan, shown->target);
    if (failed(out, cp, code)) return code;
    print_show(out, *cp);
    return code;
  });

  auto post_name = std::make_shared<std::string>();
  auto* post = app.add_subcommand("post-recovery", "Run an application resource's post_recovery step once, after "
                                                   "cairn restore --resource (the application calls it at its start)");
  post->add_option("name", *post_name, "The resource")->required()->option_text("NAME");
  post->footer("Exits 0 with nothing to do when no restore of NAME is waiting for it.");
  post->callback([&ctx, post_name] {
    ctx.action = [&ctx, post_name] {
      output out{ctx.g.json, false};
      auto r = service::post_recovery(config_path(ctx.g), *post_name);
      int code = exit_ok;
      if (failed(out, r, code)) return code;
      print_post_recovery(out, *r);
      return code;
    };
  });
}

}  // namespace cairn::cli
