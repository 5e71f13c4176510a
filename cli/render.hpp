// Rendering of command results: human text and JSON lines, and the progress
// line on a terminal. Single-threaded except render_progress, which the
// progress actor calls from its own thread while main waits.
#pragma once

#include <string>
#include <vector>

#include "base/log.hpp"
#include "service/application.hpp"

namespace cairn::cli {

struct output {
  bool json = false;
  bool progress = false;  // stderr is a terminal and --quiet is off
};

// The one-line error on stderr (and a JSON object on stdout with --json).
void print_error(const output& out, const error& e);
void print_warning(const std::string& text);

progress_renderer progress_line(bool enabled);
void clear_progress(const output& out);

void print_init(const output& out, const service::init_report& r);
// Returns the exit code the run deserves.
int print_backup(const output& out, const std::vector<plan_report>& reports);
// backup --dry-run: each file a backup would read, per source and in total.
// Returns the exit code (1 when a source cannot be read at all: the backup would fail).
int print_dry_run(const output& out, const std::vector<service::dry_run_source>& sources);
void print_checkpoints(const output& out, const std::vector<catalog::checkpoint_row>& rows);
void print_listing(const output& out, const service::resolved_checkpoint& cp, const std::string& path,
                   const std::vector<repo::node>& nodes);
int print_restore(const output& out, const restore_report& r, const std::string& to);
int print_check(const output& out, const std::vector<service::check_line>& lines);
void print_keys(const output& out, const std::vector<service::key_line>& lines);
// cairn daemon: one run's outcome (as backup prints it, plus a failed run's
// reason), and when a plan runs next. Each line is flushed at once. Under
// systemd (cli/log.hpp) they are journal entries with fields instead; lines
// below --log-level are left out (a run's level: ok info, partial warn, failed error).
int print_daemon_run(const output& out, const plan_report& r);
void print_next_run(const output& out, const next_run& n);
void print_daemon_event(const output& out, const std::string& what, log_level level = log_level::info);
// Returns the exit code (1 when a checkpoint or target failed).
int print_forget(const output& out, const std::vector<service::forget_line>& lines, bool dry_run);
int print_prune(const output& out, const std::vector<service::prune_line>& lines, bool dry_run);
// Exit code 1 when some plan's last run failed (for monitoring).
// `live`: the daemon's run in progress, when a daemon answered.
int print_status(const output& out, const service::suite_status& s,
                 const std::optional<service::live_run>& live = std::nullopt);
void print_runs(const output& out, const std::vector<catalog::run_row>& runs);
void print_change(const output& out, const repo::tree_change& c);
void print_diff_summary(const output& out, const repo::diff_summary& s);
// config check: the effective YAML (--json: one `config` object holding it).
void print_config(const output& out, const std::string& file, const std::string& effective_yaml);
void print_bootstrap(const output& out, const recovery::bootstrap_report& r);

// Application resources (render_resources.cpp).
void print_manifest(const std::vector<repo::resource_manifest>& resources, const char* indent);
void print_show(const output& out, const service::resolved_checkpoint& cp);
void print_resource_restore(const output& out, const service::resource_restore_report& r);
void print_source_load(const output& out, const service::source_load_report& r);
void print_post_recovery(const output& out, const service::post_recovery_report& r);

// Escapes bytes that would break a terminal line (newlines, control, invalid UTF-8).
std::string printable(const std::string& name);

}  // namespace cairn::cli
