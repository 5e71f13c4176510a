// The suite's commands: what `cairn`, the control API and the web page can
// ask of it. Loads the configuration, decides what each command does, and
// leaves ordering and concurrency to the engine's actors (actors/engine.hpp).
// cli/ and api/ only translate requests into these calls and results into
// text or JSON (service/json.hpp). Methods run on the caller's thread and
// block; stop() may be called from any thread (the signal thread).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backup/dry_run.hpp"
#include "actors/engine.hpp"
#include "catalog/catalog.hpp"
#include "config/suite_config.hpp"
#include "recovery/bootstrap.hpp"
#include "recovery/restore_mirror.hpp"
#include "repo/checker.hpp"
#include "repo/copier.hpp"
#include "repo/pruner.hpp"
#include "repo/tree_diff.hpp"
#include "service/resources.hpp"
#include "service/source_load.hpp"

namespace cairn::service {

using actors::engine;
using backup::dry_run_source;

// How a finished run ended (catalog/run_status.hpp).
catalog::run_status status_of(const plan_report& report);

// `cairn backup --dry-run`: what a backup of `plans` (empty: all) would read,
// from the sources and the catalog's file cache alone; writes nothing.
expected<std::vector<dry_run_source>> dry_run(const std::filesystem::path& config_file,
                                              const std::vector<std::string>& plans);

struct app_options {
  std::filesystem::path config_file;
  std::optional<std::filesystem::path> keyfile;  // open through this keyfile instead
  bool ask_password = false;                     // open through a password instead
  std::optional<std::filesystem::path> private_key;  // write-only repositories: read with this private key
  progress_renderer renderer;                    // called every 250 ms during long commands
  size_t threads = 0;                            // 0: one per core
  bool background = false;  // cairn daemon: lower CPU and I/O priority (daemon.nice, daemon.io)
  // One line per harmless problem met while opening a repository (a damaged
  // index file that was skipped), prefixed by the target's name.
  std::function<void(const std::string&)> on_warning;
};


struct init_line {
  std::string target;
  std::string location;
  std::string repository_id;
  bool created = false;
};

struct init_report {
  std::vector<init_line> targets;
  std::string keyfile;           // set when init created it
  std::string recovery_keyfile;  // tpm mode: set when init created it
};

// A checkpoint named on the command line, found in the catalog.
struct resolved_checkpoint {
  catalog::checkpoint_row row;
  object_id id;
};

struct key_line {
  std::string target;
  std::string id;
  std::string kind;           // keyfile, password, tpm
  int64_t created_ns = 0;
  std::vector<int> pcrs;      // tpm
  bool current = false;       // the slot that opened the repository in this command
};

struct check_line {
  std::string target;
  std::string error;         // the repository could not be opened or read
  repo::check_report report;
};

// One checkpoint as a retention policy judged it.
struct forget_line {
  std::string plan;
  std::string target;
  std::string id;
  int64_t time_ns = 0;
  bool keep = false;
  std::vector<std::string> reasons;  // why it is kept
  std::string error;                 // it could not be removed
};

// What `cairn status` shows of a plan.
struct plan_status {
  std::string plan;
  std::string schedule;                 // as written; empty: only by hand
  int64_t next_due_ns = 0;              // with a schedule; at or before now: due
  std::string keep;                     // the policy, e.g. "last 3, daily 7"
  std::optional<catalog::run_row> last_run;
  // The newest run that ended on its own (ok, skipped, partial or failed): a
  // run cancelled by the user or by the daemon's stop says nothing about
  // whether the plan works, so it must not hide the failure before it.
  std::optional<catalog::run_row> last_verdict;
  bool failing() const { return last_verdict && catalog::went_wrong(last_verdict->status); }
  std::optional<int64_t> last_good_ns;  // start of the last run that committed everywhere
  std::optional<int> running_pid;       // a backup of this plan runs now (daemon or by hand)
  struct target_line {
    std::string target;
    size_t checkpoints = 0;
    int64_t newest_ns = 0;
    uint64_t bytes = 0;                 // of the newest
  };
  std::vector<target_line> targets;
  // A write-only machine keeps no checkpoint list (docs/THREAT-MODEL.md):
  // `targets` then says nothing about checkpoints, only which targets exist.
  bool checkpoints_hidden = false;
};

struct suite_status {
  std::optional<int> daemon_pid;        // a cairn daemon runs for this state_dir
  std::vector<plan_status> plans;
};

// A run under the daemon, now.
struct live_run {
  std::string plan;
  progress_snapshot progress;
  std::string paused;  // why it waits ("" when it goes on)
};

struct restore_options {
  std::vector<std::string> paths;     // "source/dir/file"; empty: everything
  bool run_checkpoint_steps = false;  // the post-restore steps the checkpoint carries (consent)
  progress_renderer renderer;         // where the progress goes (default: app_options::renderer)
  // Another user than this process's asked (the API): the destination must
  // be an existing directory of theirs, what is restored becomes theirs
  // (no setuid, no devices), and no post-restore step runs.
  std::optional<fs::owner_override> as_owner;
  // --delete: first remove what the restored directories hold that the
  // checkpoint does not (recovery/restore_mirror.hpp).
  bool delete_extra = false;
  // Set from any thread to cancel (restore_request::cancel): the result is
  // then the error `cancelled`, and no unfinished file is left. stop()
  // cancels every running restore too.
  std::shared_ptr<std::atomic<bool>> cancel;
};

struct prune_line {
  std::string target;
  std::string error;
  repo::prune_report report;
};

struct daemon_callbacks {
  std::function<void(const plan_report&)> on_run;  // after each run
  std::function<void(const next_run&)> on_next;    // when a plan's next run is known
  // After a good run of a plan with a keep: policy, its forget; and a prune of
  // its targets when one freed checkpoints and the last prune is daemon.prune_every old.
  std::function<void(const expected<std::vector<forget_line>>&)> on_forget;
  std::function<void(const expected<std::vector<prune_line>>&)> on_prune;
};

// cairn find: one matching entry of one checkpoint.
struct found_line {
  catalog::checkpoint_row checkpoint;
  std::string path;  // "source/dir/name"
  fs::metadata meta;
};

struct find_summary {
  std::string target;
  size_t checkpoints = 0;           // searched
  size_t checkpoints_matching = 0;  // holding at least one match
  size_t matches = 0;
  size_t trees_read = 0;            // distinct (tree, path) pairs read
  std::vector<std::string> warnings;  // checkpoints that could not be read
};

// cairn history: one version of a path, over consecutive checkpoints.
struct history_line {
  catalog::checkpoint_row first;  // where this version appears
  catalog::checkpoint_row last;   // the last checkpoint that still has it
  size_t checkpoints = 0;
  bool present = false;           // false: the path is absent from these checkpoints
  repo::node entry;               // metadata as in `first`
  std::string content;            // repo::content_id
};

struct history_report {
  std::string target;
  std::string path;
  std::vector<history_line> versions;  // oldest first
  std::vector<std::string> warnings;
};

// cairn copy: one checkpoint of the source target.
struct copy_line {
  std::string from_id;         // on the source target
  std::string to_id;           // on the destination ("" when not copied)
  std::string plan;
  int64_t time_ns = 0;
  bool already = false;        // the destination holds it already (same plan, host and time)
  std::string error;           // it could not be copied
  repo::copy_stats stats;
};

struct bootstrap_request {
  std::string target_url;                    // a path, file:///path, sftp://, s3://, s3+http://
  std::filesystem::path identity;            // sftp: the private key
  std::filesystem::path known_hosts;         // sftp: default ~/.ssh/known_hosts
  std::filesystem::path suite_file;          // instead of a target
  std::filesystem::path state_dir;
  std::filesystem::path config_out;          // empty: state_dir/cairn.yaml
  bool rebuild = false;                      // no suite state: rebuild from the checkpoints
  std::optional<std::filesystem::path> keyfile;
  bool password = false;
  std::optional<std::filesystem::path> private_key;  // write-only backups
};

class application {
public:
  // Recovers a suite on a new machine (no configuration needed).
  static expected<recovery::bootstrap_report> bootstrap(const bootstrap_request& request);

  static expected<std::unique_ptr<application>> start(app_options options);
  ~application();

  const config::suite_config& config() const;

  expected<init_report> init();
  // Empty `plans`: all of them. Unknown plans and missing sources are
  // invalid_input naming file:line:col.
  expected<std::vector<plan_report>> backup(const std::vector<std::string>& plans);
  expected<std::vector<catalog::checkpoint_row>> checkpoints(const std::string& plan,
                                                              const std::string& target);
  // `spec`: an id, a unique prefix, or "latest" (of `plan`, or of the only plan).
  expected<resolved_checkpoint> resolve(const std::string& spec, const std::string& plan,
                                        const std::string& target);
  // The entries at `path` ("" = the root: one per source) of a checkpoint.
  expected<std::vector<repo::node>> list(const resolved_checkpoint& cp, const std::string& path);
  // What changed from `older` to `newer` (both in one repository), reported
  // change by change in path order.
  expected<repo::diff_summary> diff(const resolved_checkpoint& older, const resolved_checkpoint& newer,
                                    const std::function<void(const repo::tree_change&)>& on_change);
  // Post-restore steps run from the local YAML's plan of the checkpoint;
  // those the checkpoint carries only with `run_checkpoint_steps`.
  expected<restore_report> restore(const resolved_checkpoint& cp, const std::filesystem::path& to,
                                   const restore_options& options);

  // Browsing and reaching checkpoints (service/restore_preview.cpp,
  // service/find_history.cpp, service/copy.cpp).
  // restore --dry-run: what a restore would create, change and (with
  // `removals`) remove at `to`; touches nothing there.
  expected<recovery::mirror_report> restore_preview(const resolved_checkpoint& cp, const std::filesystem::path& to,
                                                    const std::vector<std::string>& paths, bool removals);
  // The checkpoints (of `plan`, or all) of one target (`target`, else the
  // first in the YAML that has any) that hold entries whose path matches
  // `pattern`: each match, newest checkpoint first.
  expected<find_summary> find(const std::string& pattern, const std::string& plan, const std::string& target,
                              const std::function<void(const found_line&)>& on_found);
  // Every distinct version of `path` across those checkpoints, oldest first.
  expected<history_report> history(const std::string& path, const std::string& plan, const std::string& target);
  // Copies checkpoints (the named ones, else all of `from`) to the target
  // `to`, re-encrypted with its keys; only blobs it lacks are uploaded, each
  // checkpoint after its data, and recorded in the catalog. Those `to`
  // already holds are skipped, so a copy run again does nothing.
  expected<std::vector<copy_line>> copy(const std::string& from, const std::string& to,
                                        const std::vector<std::string>& checkpoints);
  // A target's repository opened for reading (cairn mount reads through it).
  expected<open_result> open_for_reading(const std::string& target);
  // An application resource of a checkpoint: restored into a recovery folder
  // under state_dir, handed to the local descriptor's recover command with
  // CAIRN_DESTINATION = `destination` ("" : the application's own place),
  // then removed (service/resources.cpp, docs/RESOURCES.md).
  expected<resource_restore_report> restore_resource(const resolved_checkpoint& cp, const std::string& name,
                                                     const std::filesystem::path& destination);
  // A command source's stored output of a checkpoint, streamed into the
  // standard input of its restore_command from this YAML (never from the
  // checkpoint), with the source's timeout (service/source_load.cpp).
  expected<source_load_report> load_source(const resolved_checkpoint& cp, const std::string& name);
  // Checks every target (or one). With `repair`, first rewrites the index of
  // a target whose index files are damaged (repo::repair_index). Compares the
  // catalog with each target: checkpoints it lists that the target lost are
  // errors and are marked vanished in the catalog (cairn checkpoints shows it).
  expected<std::vector<check_line>> check(const std::string& target, bool read_data, bool repair = false);

  // Applies the plans' keep: policies (all plans that have one when `plans`
  // is empty) on every target (or one): removes the checkpoints they do not
  // keep, from the target and then the catalog. The data stays until prune.
  expected<std::vector<forget_line>> forget(const std::vector<std::string>& plans, const std::string& target,
                                            bool dry_run);
  // Forgets exactly these checkpoints (named on the command line).
  expected<std::vector<forget_line>> forget_named(const std::vector<resolved_checkpoint>& checkpoints, bool dry_run);
  // Deletes data no checkpoint needs, on every target (or one), under the
  // repository's exclusive lock.
  expected<std::vector<prune_line>> prune(const std::string& target, const repo::prune_options& options);

  // Plans, schedules, last and next runs, checkpoints per target; from the
  // catalog only (no target is contacted).
  expected<suite_status> summary();

  // Key slots of every target (or one). Changes rewrite only the repository
  // header, atomically, under an exclusive lock; data is never re-encrypted.
  expected<std::vector<key_line>> key_list(const std::string& target);
  expected<std::vector<key_line>> key_add(const std::string& target, crypto::slot_kind kind,
                                          const std::filesystem::path& keyfile);
  // Refuses to remove the last slot, or the slot that opened the repository.
  expected<std::vector<key_line>> key_remove(const std::string& target, const std::string& slot);
  expected<std::vector<key_line>> key_passwd(const std::string& target, const std::string& slot);

  // Runs the plans on their schedules, one run at a time, until stop()
  // (returns false) or reload() (returns true once the running plan is done:
  // the caller reads the configuration again). One daemon per state_dir.
  expected<bool> daemon(const daemon_callbacks& callbacks);
  void reload();

  // While daemon() runs (from other threads, e.g. the API's): start a plan
  // now ("started", "queued" behind the running one, or "running"), cancel
  // it (true when it ran or was queued), and what runs now.
  expected<std::string> run_now(const std::string& plan);
  expected<bool> cancel(const std::string& plan);
  std::optional<live_run> live();
  // Holds reading and uploads at the next chunk and pack (locks stay
  // refreshed) and starts no new run, until resume(). `plan`: only when it
  // runs now (not_found otherwise); "": the whole daemon.
  expected<bool> pause(const std::string& plan);
  expected<bool> resume(const std::string& plan);
  // "" when not paused; else why (by request, on battery, machine busy).
  std::string paused_why() const;
  // Past runs, newest first, from the catalog ("" : every plan).
  expected<std::vector<catalog::run_row>> runs(const std::string& plan, size_t limit);

  void stop();

private:
  application(std::shared_ptr<const config::suite_config> suite, std::unique_ptr<engine> e, app_options options);
  void maintain(const plan_report& r, const daemon_callbacks& callbacks);
  // Removes the checkpoints `lines` do not keep: from the target, then the catalog.
  status remove_forgotten(std::vector<forget_line>& lines);
  // Write-only suites keep no checkpoint rows: the checkpoints are read from
  // the targets, which needs the private key (or an administrator's slot).
  expected<std::vector<catalog::checkpoint_row>> write_only_checkpoints(const std::string& plan,
                                                                         const std::string& target);

  std::shared_ptr<const config::suite_config> suite_;
  std::unique_ptr<engine> engine_;
  app_options options_;
};

}  // namespace cairn::service
