// The engine: owns the actor system and the long-lived actors (keyring,
// catalog writer, supervisor, scheduler) and offers what the commands need of
// them as blocking calls: open a target, run plans, restore, ask the catalog
// writer or the keyring, run the daemon's scheduler. It decides nothing about
// commands (service/ does); it orders, spawns and waits. Methods block the
// caller's thread; stop() may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actors/protocol/plan.hpp"
#include "actors/protocol/progress.hpp"
#include "actors/protocol/restore.hpp"
#include "actors/protocol/scheduler.hpp"
#include "actors/protocol/catalog.hpp"
#include "actors/protocol/keyring.hpp"
#include "actors/protocol/target.hpp"
#include "base/pause_gate.hpp"
#include "catalog/catalog.hpp"
#include "config/suite_config.hpp"
#include "recovery/bootstrap.hpp"

namespace cairn::actors {

struct engine_options {
  std::optional<std::filesystem::path> keyfile;  // open through this keyfile instead
  bool ask_password = false;                     // open through a password instead
  progress_renderer renderer;                    // called every 250 ms during long commands
  size_t threads = 0;                            // 0: one per core
  bool background = false;                       // lower CPU and I/O priority (daemon.nice, daemon.io)
  std::function<void(const std::string&)> on_warning;  // "target: what", a harmless problem
  std::optional<std::filesystem::path> private_key;    // write-only repositories: read with this private key
};

// What the daemon's scheduler reports, on its own thread.
struct daemon_hooks {
  std::map<std::string, config::run_history> history;  // per plan, from the catalog
  std::function<void(const plan_report&)> on_run;
  std::function<void(const next_run&)> on_next;
};

class engine {
public:
  static expected<std::unique_ptr<engine>> start(std::shared_ptr<const config::suite_config> suite,
                                                 engine_options options);
  ~engine();

  const config::suite_config& suite() const;
  const engine_options& options() const;

  // Refuses a target that cannot work as configured (exit 2) before any work
  // starts, rather than as one target's failure among others ("": all).
  status preflight(const std::string& target) const;
  // Opens a target's repository through a short-lived target actor.
  expected<open_result> open_target(const std::string& name, open_mode mode, const repo::create_options& create = {});

  // The catalog, through its single writer (state_dir is created on first use).
  expected<std::string> setting(const std::string& key);
  status set_setting(const std::string& key, const std::string& value);
  status record_target(const target_record& record);
  status record_checkpoint(const catalog::checkpoint_row& row);  // cairn copy's
  expected<std::vector<catalog::checkpoint_row>> catalog_checkpoints(const std::string& plan, const std::string& target);
  status forget_in_catalog(const std::string& target, const std::string& id);

  // A new key slot from the keyring (it asks for a password or reads a keyfile).
  expected<crypto::key_slot> new_slot(const slot_request& request);

  // Runs plans now (empty: all) through a supervisor, progress to options().renderer.
  expected<std::vector<plan_report>> run_plans(const std::vector<std::string>& plans);
  // Restores through a restorer actor; `renderer` sees its progress.
  expected<restore_report> restore(const restore_request& request, progress_renderer renderer);

  // The daemon: runs the scheduler until stop() (false) or reload() (true).
  expected<bool> run_scheduler(daemon_hooks hooks);
  void reload();
  // While run_scheduler runs: "started", "queued" or "running"; cancel (true when it ran or was queued).
  expected<std::string> start_plan(const std::string& plan);
  expected<bool> cancel_plan(const std::string& plan);
  // The plan running under the scheduler now, and its progress.
  std::optional<std::pair<std::string, progress_snapshot>> running();

  std::shared_ptr<pause_gate> gate() const;
  // Set by stop(): long maintenance stops at its next safe point.
  const std::atomic<bool>& stopping() const;
  void stop();

private:
  struct impl;
  explicit engine(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

// Unlocks a repository for bootstrap (no configuration yet): a keyring of its
// own, through `keyfile` or a password prompt. Lives as long as the object.
class bootstrap_keyring {
public:
  bootstrap_keyring(std::optional<std::filesystem::path> keyfile, bool password,
                    std::optional<std::filesystem::path> private_key = std::nullopt);
  ~bootstrap_keyring();
  recovery::unlocker unlocker();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace cairn::actors
