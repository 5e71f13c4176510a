// Looking after repositories: check, forget, prune.
#include "cli/command_context.hpp"

#include <unistd.h>

#include <cstdlib>

namespace cairn::cli {

namespace {

struct maintenance_args {
  std::string target;
  bool read_data = false, repair = false;
  std::vector<std::string> plans;
  std::vector<std::string> forget_ids;
  bool dry_run = false, and_prune = false;
};

int forget(service::application& a, const output& out, const maintenance_args& o) {
  int code = exit_ok;
  expected<std::vector<service::forget_line>> r = std::vector<service::forget_line>{};
  if (!o.forget_ids.empty()) {
    std::vector<service::resolved_checkpoint> named;
    for (const auto& id : o.forget_ids) {
      auto cp = a.resolve(id, o.plans.empty() ? "" : o.plans.front(), o.target);
      if (failed(out, cp, code)) return code;
      named.push_back(std::move(*cp));
    }
    r = a.forget_named(named, o.dry_run);
  } else {
    r = a.forget(o.plans, o.target, o.dry_run);
  }
  if (failed(out, r, code)) return code;
  return print_forget(out, *r, o.dry_run);
}

int prune(service::application& a, const output& out, const maintenance_args& o) {
  int code = exit_ok;
  repo::prune_options po;
  po.dry_run = o.dry_run;
  // For the crash tests: die abruptly right after the named step.
  if (const char* stop = std::getenv("CAIRN_TEST_PRUNE_KILL_AFTER"))
    po.on_step = [stop = std::string(stop)](const std::string& s) { if (s == stop) _exit(137); };
  auto r = a.prune(o.target, po);
  if (failed(out, r, code)) return code;
  return print_prune(out, *r, o.dry_run);
}

}  // namespace

void add_maintenance_commands(CLI::App& app, context& ctx) {
  auto o = std::make_shared<maintenance_args>();
  auto* check = app.add_subcommand("check", "Verify repositories: structure, and with --read-data every byte");
  check->add_flag("--read-data", o->read_data, "Download and verify every pack and blob");
  check->add_flag("--repair", o->repair,
                  "First rewrite a damaged index from the packs' own tables of contents (exclusive lock)");
  check->add_option("--target", o->target, "Only this target")->option_text("T");
  check->footer("Example: cairn check --read-data");
  on_app_command(check, ctx, [o](service::application& a, const output& out) {
    int code = exit_ok;
    auto r = a.check(o->target, o->read_data, o->repair);
    if (failed(out, r, code)) return code;
    return print_check(out, *r);
  });

  auto* forget_cmd = app.add_subcommand("forget", "Remove checkpoints that the plans' keep: policies do not keep");
  forget_cmd->add_option("plans", o->plans, "Plans (all that have a keep: policy when none is named)")->option_text("PLAN...");
  forget_cmd->add_option("--target", o->target, "Only this target")->option_text("T");
  forget_cmd->add_flag("--dry-run", o->dry_run, "Only show what would be kept and forgotten, and why");
  forget_cmd->add_flag("--prune", o->and_prune, "Then delete the data nothing needs any more (cairn prune)");
  forget_cmd->add_option("--id", o->forget_ids,
                         "Forget this checkpoint (an id or unique prefix; repeatable) instead of applying policies")
    ->option_text("CHECKPOINT");
  forget_cmd->footer("A policy, per plan in the YAML: keep: {last: 3, daily: 7, weekly: 4, monthly: 12, within: 2d}.\n"
                     "Periods are calendar periods in local time; the newest checkpoint is always kept.\n"
                     "Example: cairn forget --dry-run");
  on_app_command(forget_cmd, ctx, [o](service::application& a, const output& out) {
    int code = forget(a, out, *o);
    if (!o->and_prune || code != exit_ok) return code;
    return prune(a, out, *o);
  });

  auto* prune_cmd = app.add_subcommand("prune", "Delete data that no checkpoint needs any more");
  prune_cmd->add_option("--target", o->target, "Only this target")->option_text("T");
  prune_cmd->add_flag("--dry-run", o->dry_run, "Only show what would be deleted");
  prune_cmd->footer("Takes the repository's exclusive lock (backups wait or fail meanwhile). Packs nothing\n"
                    "uses are deleted; packs mostly unused are rewritten. Safe to kill at any moment.\n"
                    "Example: cairn prune --target usb");
  on_app_command(prune_cmd, ctx, [o](service::application& a, const output& out) { return prune(a, out, *o); });
}

}  // namespace cairn::cli
