#include "actors/app.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <set>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "actors/backends.hpp"
#include "actors/catalog_writer.hpp"
#include "actors/error.hpp"
#include "actors/keyring.hpp"
#include "actors/progress.hpp"
#include "actors/register.hpp"
#include "actors/restorer.hpp"
#include "actors/plan_runner.hpp"
#include "actors/scheduler.hpp"
#include "actors/supervisor.hpp"
#include "actors/target.hpp"
#include "actors/timeouts.hpp"
#include "base/clock.hpp"
#include "config/yaml_edit.hpp"
#include "crypto/secret.hpp"
#include "fs/machine_state.hpp"
#include "fs/process_lock.hpp"
#include "repo/repo_format.hpp"
#include "repo/temporaries.hpp"
#include "targets/local_target.hpp"

#include <nlohmann/json.hpp>

namespace cairn::actors {

namespace fs = std::filesystem;

struct application::impl {
  app_options options;
  std::shared_ptr<const config::suite_config> suite;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  keyring_actor keyring;
  catalog_actor catalog;
  std::mutex mutex;  // guards supervisor for stop()
  supervisor_actor supervisor;
  scheduler_actor scheduler;
  progress_actor daemon_progress;  // the daemon's runs report here
  std::shared_ptr<pause_gate> gate = std::make_shared<pause_gate>();
  std::atomic<bool> stopping{false};
  std::atomic<bool> reloading{false};

  ~impl() {
    if (!sys) return;
    for (auto a : {caf::actor_cast<caf::actor>(keyring), caf::actor_cast<caf::actor>(catalog),
                   caf::actor_cast<caf::actor>(supervisor), caf::actor_cast<caf::actor>(scheduler)})
      if (a) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    keyring = nullptr;
    catalog = nullptr;
    supervisor = nullptr;
    scheduler = nullptr;
    sys.reset();  // waits for every actor to finish
  }

  size_t threads() const {
    return options.threads ? options.threads : std::max(2u, std::thread::hardware_concurrency());
  }

  // Spawns the single catalog writer (creating state_dir on first use).
  status ensure_catalog() {
    if (catalog) return {};
    CAIRN_ASSIGN(auto db, catalog::catalog::open(suite->state_dir));
    catalog = sys->spawn<caf::detached>(catalog_writer, std::shared_ptr<catalog::catalog>(std::move(db)),
                                        suite->state_dir);
    return {};
  }

  progress_actor spawn_progress() { return sys->spawn(progress, options.renderer); }

  template <class T, class... Ts>
  expected<T> ask(const caf::scoped_actor& self, std::chrono::seconds timeout,
                  const caf::actor& dest, Ts&&... xs) {
    expected<T> out = fail(errc::io, "no reply");
    self->request(dest, timeout, std::forward<Ts>(xs)...)
      .receive([&](T& value) { out = std::move(value); },
               [&](caf::error& e) { out = fail(from_caf(e)); });
    return out;
  }

  // Removes the checkpoints `lines` do not keep: from the target first, so
  // that if this stops half-way the catalog still lists them and the next
  // forget finishes the job; then from the catalog. Errors go on the lines.
  status remove_forgotten(std::vector<forget_line>& lines) {
    CAIRN_TRY(ensure_catalog());
    caf::scoped_actor self{*sys};
    auto cat = caf::actor_cast<caf::actor>(catalog);
    std::map<std::string, expected<open_result>> opened;  // per target, opened once
    for (auto& line : lines) {
      if (line.keep) continue;
      auto it = opened.find(line.target);
      if (it == opened.end()) it = opened.emplace(line.target, open_target(line.target, open_mode::state)).first;
      auto id = object_id::parse(line.id);
      status st = !it->second ? status(fail(it->second.error()))
                  : !id       ? status(fail(errc::corrupt, "bad checkpoint id in the catalog"))
                              : it->second->repo->remove_checkpoint(*id);
      if (!st && st.error().code() != errc::not_found) {
        line.error = describe(st.error());
        continue;
      }
      auto r = ask<bool>(self, timeouts::catalog, cat, atom::forget::value, line.target, line.id);
      if (!r) line.error = describe(r.error());
    }
    return {};
  }

  // Refuses a target that cannot work as configured (exit 2) before any work
  // starts, rather than as one target's failure among others.
  status preflight(const std::string& only) const {
    for (const auto& t : suite->targets)
      if (only.empty() || t.name == only) CAIRN_TRY(check_target_config(t));
    return {};
  }

  // Opens a target's repository for reading through a short-lived target actor.
  expected<open_result> open_target(const std::string& name, open_mode mode,
                                    const repo::create_options& create = {}) {
    const auto* t = suite->find_target(name);
    if (!t) return fail(errc::invalid_input, "no target named \"" + name + "\" in " + suite->file.string());
    CAIRN_ASSIGN(auto backend, make_backend(*t));
    target_options o{t->name, backend, keyring, progress_actor{}, create,
                     mode == open_mode::create ? "init" : "read"};
    auto actor = sys->spawn<caf::detached>(target, o);
    caf::scoped_actor self{*sys};
    auto r = ask<open_result>(self, timeouts::open, caf::actor_cast<caf::actor>(actor),
                              atom::open::value, mode);
    self->send_exit(actor, caf::exit_reason::user_shutdown);
    if (r && options.on_warning)
      for (const auto& w : r->warnings) options.on_warning(name + ": " + w);
    if (r && r->repo && t->type == "local")
      r->repo->on_exclusive_lock([root = t->path, name, warn = options.on_warning] {
        auto left = repo::remove_leftover_temporaries(root, repo::repository_lock::stale_after_ns);
        if (warn)
          for (const auto& f : left.removed) warn(name + ": removed " + f + ", left by a killed writer");
      });
    return r;
  }
};

namespace {

// The daemon must not be noticed: a higher nice value, and the idle I/O class
// (the kernel serves its reads and writes only when nobody else needs the disk).
void lower_priority(const config::daemon_config& d) {
  if (d.nice > 0) setpriority(PRIO_PROCESS, 0, d.nice);
  if (d.idle_io) {
    constexpr int who_process = 1, class_idle = 3, class_shift = 13;
    syscall(SYS_ioprio_set, who_process, 0, class_idle << class_shift);
  }
}

}  // namespace

application::application(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
application::~application() = default;

expected<std::unique_ptr<application>> application::start(app_options options) {
  crypto::disable_core_dumps();
  auto p = std::make_unique<impl>();
  CAIRN_ASSIGN(auto suite, config::load_config(options.config_file));
  p->suite = std::make_shared<const config::suite_config>(std::move(suite));
  p->options = std::move(options);
  // Before the actor system starts its threads: they inherit the priority.
  if (p->options.background) lower_priority(p->suite->daemon);
  p->cfg.set("scheduler.max-threads", static_cast<int>(p->threads()));
  // Idle workers poll less: the sources and targets do their I/O on their own
  // threads, and busy polling only steals CPU from them.
  p->cfg.set("work-stealing.aggressive-poll-attempts", 10);
  p->cfg.set("work-stealing.moderate-poll-attempts", 50);
  p->cfg.set("work-stealing.moderate-sleep-duration", caf::timespan{std::chrono::microseconds(200)});
  register_protocols(p->cfg);
  p->sys = std::make_unique<caf::actor_system>(p->cfg);
  keyring_options k{p->suite->keyring, p->suite->state_dir, p->options.keyfile, p->options.ask_password};
  p->keyring = p->sys->spawn<caf::detached>(keyring, k);
  return std::unique_ptr<application>(new application(std::move(p)));
}

const config::suite_config& application::config() const { return *impl_->suite; }

expected<init_report> application::init() {
  auto& d = *impl_;
  CAIRN_TRY(d.ensure_catalog());
  caf::scoped_actor self{*d.sys};
  auto cat = caf::actor_cast<caf::actor>(d.catalog);
  CAIRN_ASSIGN(auto seed_text, d.ask<std::string>(self, timeouts::catalog, cat, atom::get::value,
                                                   std::string("chunker_seed")));
  CAIRN_ASSIGN(auto suite_id, d.ask<std::string>(self, timeouts::catalog, cat, atom::get::value,
                                                  std::string("suite_id")));
  if (suite_id.empty())
    CAIRN_TRY(d.ask<bool>(self, timeouts::catalog, cat, atom::set::value, std::string("suite_id"),
                          to_hex(crypto::random_bytes(16))));
  if (seed_text.empty()) {
    auto raw = crypto::random_bytes(8);
    uint64_t seed = 0;
    for (auto b : raw) seed = seed << 8 | b;
    seed_text = std::to_string(seed);
    CAIRN_TRY(d.ask<bool>(self, timeouts::catalog, cat, atom::set::value,
                          std::string("chunker_seed"), seed_text));
  }
  repo::create_options create;
  create.chunker.seed = std::stoull(seed_text);
  bool keyfile_existed = d.suite->keyring.mode != "keyfile" || fs::exists(d.suite->keyring.keyfile);
  bool recovery_existed = d.suite->keyring.mode != "tpm" || fs::exists(d.suite->keyring.recovery_keyfile);
  init_report report;
  for (const auto& t : d.suite->targets) {
    auto r = d.open_target(t.name, open_mode::create, create);
    if (!r) return fail(r.error());
    const auto& h = r->repo->header();
    report.targets.push_back({t.name, r->repo->describe(), h.repository_id, r->created});
    CAIRN_TRY(d.ask<bool>(self, timeouts::catalog, cat, atom::record::value,
                          target_record{t.name, r->repo->describe(), h.repository_id}));
  }
  if (!keyfile_existed && fs::exists(d.suite->keyring.keyfile))
    report.keyfile = d.suite->keyring.keyfile.string();
  if (!recovery_existed && fs::exists(d.suite->keyring.recovery_keyfile))
    report.recovery_keyfile = d.suite->keyring.recovery_keyfile.string();
  return report;
}

expected<std::vector<plan_report>> application::backup(const std::vector<std::string>& plans) {
  auto& d = *impl_;
  for (const auto& name : plans)
    if (!d.suite->find_plan(name))
      return fail(errc::invalid_input, "no plan named \"" + name + "\" in " + d.suite->file.string());
  if (d.suite->plans.empty())
    return fail(errc::invalid_input, d.suite->file.string() + " defines no plans");
  for (const auto& p : d.suite->plans) {
    if (!plans.empty() && std::find(plans.begin(), plans.end(), p.name) == plans.end()) continue;
    for (const auto& s : p.sources) {
      if (s.type == "command") continue;
      std::error_code ec;
      if (!fs::exists(s.path, ec))
        return fail(errc::invalid_input, s.where.str() + ": source path " + s.path.string() +
                                           " of plan \"" + p.name + "\" does not exist");
    }
  }
  for (const auto& p : d.suite->plans) {
    if (!plans.empty() && std::find(plans.begin(), plans.end(), p.name) == plans.end()) continue;
    for (const auto& t : p.targets) CAIRN_TRY(d.preflight(t));
  }
  CAIRN_TRY(d.ensure_catalog());
  auto progress_handle = d.spawn_progress();
  {
    std::lock_guard lock(d.mutex);
    supervisor_options o{d.suite, d.keyring, d.catalog, progress_handle, d.threads(),
                         static_cast<bool>(d.options.renderer)};
    d.supervisor = d.sys->spawn(supervisor, o);
  }
  if (d.stopping) stop();
  caf::scoped_actor self{*d.sys};
  auto r = d.ask<std::vector<plan_report>>(self, timeouts::run, caf::actor_cast<caf::actor>(d.supervisor),
                                           atom::run::value, run_request{plans});
  self->send_exit(progress_handle, caf::exit_reason::user_shutdown);
  return r;
}

expected<std::vector<catalog::checkpoint_row>> application::checkpoints(const std::string& plan,
                                                                         const std::string& target) {
  auto db = catalog::catalog::open(impl_->suite->state_dir, true);
  if (!db && db.error().code() == errc::not_found) return std::vector<catalog::checkpoint_row>{};
  if (!db) return fail(db.error());
  return (*db)->checkpoints(plan, target);
}

expected<resolved_checkpoint> application::resolve(const std::string& spec, const std::string& plan,
                                                   const std::string& target) {
  auto& suite = *impl_->suite;
  if (!plan.empty() && !suite.find_plan(plan))
    return fail(errc::invalid_input, "no plan named \"" + plan + "\" in " + suite.file.string());
  if (!target.empty() && !suite.find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + suite.file.string());
  CAIRN_ASSIGN(auto rows, checkpoints(spec == "latest" ? plan : "", target));
  std::vector<catalog::checkpoint_row> found;
  if (spec == "latest") {
    if (plan.empty() && suite.plans.size() != 1)
      return fail(errc::invalid_input, "\"latest\" needs --plan: " + suite.file.string() + " has " +
                                         std::to_string(suite.plans.size()) + " plans");
    std::string p = plan.empty() ? suite.plans.front().name : plan;
    for (auto& r : rows)
      if (r.plan == p) {
        found.push_back(r);
        break;  // rows are newest first
      }
    if (found.empty()) return fail(errc::not_found, "plan \"" + p + "\" has no checkpoint yet");
  } else {
    if (spec.size() < 4 || spec.find_first_not_of("0123456789abcdef") != std::string::npos)
      return fail(errc::invalid_input, "\"" + spec + "\" is not a checkpoint id, an id prefix of 4 or more hex digits, or latest");
    for (auto& r : rows)
      if (r.id.compare(0, spec.size(), spec) == 0) found.push_back(r);
    if (found.empty()) return fail(errc::not_found, "no checkpoint " + spec);
    if (found.size() > 1)
      return fail(errc::invalid_input, "checkpoint prefix " + spec + " is ambiguous (" +
                                         std::to_string(found.size()) + " match); give more digits");
  }
  auto id = object_id::parse(found.front().id);
  if (!id) return fail(errc::corrupt, "the catalog holds a damaged checkpoint id");
  return resolved_checkpoint{found.front(), *id};
}

expected<std::vector<repo::node>> application::list(const resolved_checkpoint& cp,
                                                    const std::string& path) {
  CAIRN_ASSIGN(auto opened, impl_->open_target(cp.row.target, open_mode::read));
  auto& repo = *opened.repo;
  CAIRN_ASSIGN(auto c, repo.read_checkpoint(cp.id));
  CAIRN_ASSIGN(auto tree, repo.read_tree(c.tree));
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    auto it = std::find_if(tree.nodes.begin(), tree.nodes.end(),
                           [&](const repo::node& n) { return n.name == part; });
    if (it == tree.nodes.end()) return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
    if (it->meta.type != cairn::fs::file_type::directory) {
      if (start < path.size()) return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
      return std::vector<repo::node>{*it};
    }
    CAIRN_ASSIGN(tree, repo.read_tree(it->subtree));
  }
  return std::move(tree.nodes);
}

expected<repo::diff_summary> application::diff(const resolved_checkpoint& older, const resolved_checkpoint& newer,
                                               const std::function<void(const repo::tree_change&)>& on_change) {
  if (older.row.target != newer.row.target)
    return fail(errc::invalid_input, "checkpoints " + older.row.id.substr(0, 8) + " and " + newer.row.id.substr(0, 8) +
                                       " are on different targets (" + older.row.target + ", " + newer.row.target +
                                       "): compare two of one target (--target T)");
  CAIRN_ASSIGN(auto opened, impl_->open_target(older.row.target, open_mode::read));
  auto& repo = *opened.repo;
  CAIRN_ASSIGN(auto a, repo.read_checkpoint(older.id));
  CAIRN_ASSIGN(auto b, repo.read_checkpoint(newer.id));
  return repo::diff_trees(repo, a.tree, b.tree, on_change);
}

expected<restore_report> application::restore(const resolved_checkpoint& cp, const fs::path& to,
                                               const std::vector<std::string>& paths, bool run_checkpoint_steps,
                                               bool delete_extra) {
  auto& d = *impl_;
  CAIRN_ASSIGN(auto opened, d.open_target(cp.row.target, open_mode::read));
  auto progress_handle = d.spawn_progress();
  auto actor = d.sys->spawn<caf::detached>(restorer, progress_handle, size_t{4});
  caf::scoped_actor self{*d.sys};
  std::error_code ec;
  auto destination = fs::absolute(to, ec);
  if (ec) return fail(errc::invalid_input, "cannot use " + to.string() + " as a destination: " + ec.message());
  restore_request req{opened.repo, cp.id, destination, paths, true, {}, run_checkpoint_steps, delete_extra};
  if (const auto* plan = d.suite->find_plan(cp.row.plan))
    for (const auto& src : plan->sources)
      if (!src.post_restore.empty()) req.local_post_restore[src.name] = src.post_restore;
  auto r = d.ask<restore_report>(self, timeouts::restore, caf::actor_cast<caf::actor>(actor),
                                 atom::restore::value, req);
  self->send_exit(actor, caf::exit_reason::user_shutdown);
  self->send_exit(progress_handle, caf::exit_reason::user_shutdown);
  return r;
}

expected<open_result> application::open_for_reading(const std::string& target) {
  return impl_->open_target(target, open_mode::read);
}

status application::record_checkpoint(const catalog::checkpoint_row& row) {
  CAIRN_TRY(impl_->ensure_catalog());
  caf::scoped_actor self{*impl_->sys};
  CAIRN_TRY(impl_->ask<bool>(self, timeouts::catalog, caf::actor_cast<caf::actor>(impl_->catalog),
                             atom::record::value, row));
  return {};
}

namespace {

std::vector<std::string> repair_notes(const repo::repair_report& r) {
  std::vector<std::string> notes;
  for (const auto& id : r.new_index_files)
    notes.push_back("index repaired: wrote " + std::string(repo::index_prefix) + id.hex());
  for (const auto& id : r.removed_index_files)
    notes.push_back("index repaired: removed the damaged " + std::string(repo::index_prefix) + id.hex());
  if (!r.removed_index_files.empty() || r.packs_indexed)
    notes.push_back("index repaired: " + std::to_string(r.packs_indexed) + " pack(s) indexed from their own tables of contents");
  for (const auto& w : r.warnings) notes.push_back(w);
  return notes;
}

// Checkpoints the catalog lists for `target` that the target no longer holds
// are errors (their restore would fail) and are marked in the catalog, so
// `cairn checkpoints` shows them without talking to the target.
void compare_with_catalog(application::impl& d, const std::string& target, const repo::repository& repo,
                          repo::check_report& report) {
  // Read-only first: a check on a machine without a catalog must not create one.
  auto probe = catalog::catalog::open(d.suite->state_dir, true);
  if (!probe) {
    if (probe.error().code() != errc::not_found) report.warnings.push_back("catalog: " + probe.error().message());
    return;
  }
  probe->reset();
  auto db = catalog::catalog::open(d.suite->state_dir, false);
  if (!db) {
    report.warnings.push_back("catalog: " + db.error().message());
    return;
  }
  // The catalog before the target: a backup writes the target first, so a
  // row read now is on the target by the time it is listed.
  auto rows = (*db)->checkpoints("", target);
  if (!rows) {
    report.warnings.push_back("catalog: " + rows.error().message());
    return;
  }
  auto on_target = repo.list_checkpoints();
  if (!on_target) {
    if (on_target.error().code() != errc::unsupported)
      report.errors.push_back("cannot list checkpoints: " + on_target.error().message());
    return;
  }
  std::unordered_set<object_id> present(on_target->begin(), on_target->end());
  for (const auto& row : *rows) {
    auto id = object_id::parse(row.id);
    bool gone = !id || !present.count(*id);
    if (gone)
      report.errors.push_back("checkpoint " + row.id.substr(0, 8) + " (plan " + row.plan + ", " +
                              format_time(row.time_ns) + ") is in the catalog but gone from the target");
    if (gone != row.vanished) {
      auto st = (*db)->set_vanished(target, row.id, gone, now_ns());
      if (!st) report.warnings.push_back("catalog: " + st.error().message());
    }
  }
}

}  // namespace

expected<std::vector<check_line>> application::check(const std::string& target, bool read_data, bool repair) {
  auto& d = *impl_;
  if (!target.empty() && !d.suite->find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + d.suite->file.string());
  CAIRN_TRY(d.preflight(target));
  std::vector<check_line> out;
  for (const auto& t : d.suite->targets) {
    if (!target.empty() && t.name != target) continue;
    check_line line{t.name, "", {}};
    auto opened = d.open_target(t.name, open_mode::read);
    if (!opened) {
      line.error = describe(opened.error());
      out.push_back(std::move(line));
      continue;
    }
    std::vector<std::string> repaired;
    if (repair) {
      auto r = repo::repair_index(*opened->repo);
      if (!r) {
        line.error = describe(r.error().with_context(t.name + ": index repair"));
        out.push_back(std::move(line));
        continue;
      }
      repaired = repair_notes(*r);
    }
    repo::check_options o;
    o.read_data = read_data;
    if (d.options.renderer)
      o.on_progress = [&](size_t done, size_t total, uint64_t bytes) {
        progress_snapshot s;
        s.phase = "checking " + t.name;
        s.done.files = done;
        s.total.files = total;
        s.done.bytes = bytes;
        d.options.renderer(s);
      };
    auto r = repo::check_repository(*opened->repo, o);
    if (!r) line.error = describe(r.error());
    else line.report = std::move(*r);
    for (auto& note : repaired) line.report.warnings.push_back(std::move(note));
    if (r) compare_with_catalog(d, t.name, *opened->repo, line.report);
    out.push_back(std::move(line));
  }
  return out;
}

namespace {

std::vector<key_line> lines_of(const std::string& target, const repo::repository_header& h,
                               const std::string& current) {
  std::vector<key_line> out;
  for (const auto& s : h.key_slots)
    out.push_back({target, s.id, std::string(crypto::to_string(s.kind)), s.created_ns, s.pcrs, s.id == current});
  return out;
}

}  // namespace

// Runs `change` on the header of every selected target under an exclusive
// lock and writes it back in one atomic put.
template <class F>
expected<std::vector<key_line>> for_each_header(application::impl& d, const std::string& target,
                                                bool writing, F&& change) {
  if (!target.empty() && !d.suite->find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + d.suite->file.string());
  std::vector<key_line> out;
  for (const auto& t : d.suite->targets) {
    if (!target.empty() && t.name != target) continue;
    CAIRN_ASSIGN(auto opened, d.open_target(t.name, open_mode::read));
    auto& repo = *opened.repo;
    if (repo.header().encryption == crypto::encryption::none) {
      if (writing) return fail(errc::invalid_input, t.name + ": the repository is not encrypted: it has no key slots");
      continue;
    }
    std::unique_ptr<repo::repository_lock> lock;
    if (writing) {
      CAIRN_ASSIGN(lock, repo.lock(true, "key change"));
    }
    // Fresh from the target: another machine may have changed it meanwhile.
    CAIRN_ASSIGN(auto header, repo::repository::read_header(*repo.target()));
    CAIRN_TRY(change(t.name, repo, header, opened.slot));
    if (writing) {
      auto cipher = crypto::object_cipher(header.encryption, repo.keys());
      CAIRN_TRY(repo::verify_header(header, cipher));  // keys still open the settings
      CAIRN_TRY(repo.write_header(header));
    }
    for (auto& l : lines_of(t.name, header, opened.slot)) out.push_back(std::move(l));
  }
  return out;
}

expected<std::vector<key_line>> application::key_list(const std::string& target) {
  return for_each_header(*impl_, target, false,
                         [](const std::string&, repo::repository&, repo::repository_header&,
                            const std::string&) -> status { return {}; });
}

expected<std::vector<key_line>> application::key_add(const std::string& target, crypto::slot_kind kind,
                                                     const std::filesystem::path& keyfile) {
  auto& d = *impl_;
  return for_each_header(d, target, true,
                         [&](const std::string&, repo::repository& repo, repo::repository_header& h,
                             const std::string&) -> status {
                           caf::scoped_actor self{*d.sys};
                           std::error_code ec;
                           auto path = keyfile.empty() ? keyfile : fs::absolute(keyfile, ec);
                           slot_request req{h.repository_id, repo.keys(), kind, path};
                           CAIRN_ASSIGN(auto slot, d.ask<crypto::key_slot>(self, timeouts::unlock,
                                                                           caf::actor_cast<caf::actor>(d.keyring),
                                                                           atom::add::value, req));
                           h.key_slots.push_back(std::move(slot));
                           return {};
                         });
}

expected<std::vector<key_line>> application::key_remove(const std::string& target, const std::string& slot) {
  bool found = false;
  auto r = for_each_header(*impl_, target, true,
                           [&](const std::string& name, repo::repository&, repo::repository_header& h,
                               const std::string& current) -> status {
                             auto it = std::find_if(h.key_slots.begin(), h.key_slots.end(),
                                                    [&](const crypto::key_slot& s) { return s.id == slot; });
                             if (it == h.key_slots.end()) return {};
                             found = true;
                             if (h.key_slots.size() == 1)
                               return fail(errc::invalid_input, name + ": key slot " + slot +
                                                                  " is the last one: without it nothing opens the repository");
                             if (slot == current)
                               return fail(errc::invalid_input,
                                           name + ": key slot " + slot +
                                             " is the one that opened the repository in this command; open it through another slot (--keyfile or --password) to remove this one");
                             h.key_slots.erase(it);
                             return {};
                           });
  if (r && !found) return fail(errc::not_found, "no key slot " + slot + (target.empty() ? "" : " in target " + target));
  return r;
}

expected<std::vector<key_line>> application::key_passwd(const std::string& target, const std::string& slot) {
  auto& d = *impl_;
  bool found = false;
  auto r = for_each_header(d, target, true,
                           [&](const std::string& name, repo::repository& repo, repo::repository_header& h,
                               const std::string&) -> status {
                             auto it = std::find_if(h.key_slots.begin(), h.key_slots.end(),
                                                    [&](const crypto::key_slot& s) { return s.id == slot; });
                             if (it == h.key_slots.end()) return {};
                             found = true;
                             if (it->kind != crypto::slot_kind::password)
                               return fail(errc::invalid_input, name + ": key slot " + slot + " is a " +
                                                                  std::string(crypto::to_string(it->kind)) +
                                                                  " slot, not a password slot");
                             caf::scoped_actor self{*d.sys};
                             slot_request req{h.repository_id, repo.keys(), crypto::slot_kind::password, {}};
                             CAIRN_ASSIGN(auto fresh, d.ask<crypto::key_slot>(self, timeouts::unlock,
                                                                             caf::actor_cast<caf::actor>(d.keyring),
                                                                             atom::add::value, req));
                             // A new id too: the id is bound into the wrapped key.
                             *it = std::move(fresh);
                             return {};
                           });
  if (r && !found) return fail(errc::not_found, "no key slot " + slot + (target.empty() ? "" : " in target " + target));
  return r;
}

namespace {

// The YAML mapping of a target, for a rebuilt configuration.
std::string yaml_of(const config::target_config& t) {
  auto q = [](const std::string& v) { return nlohmann::json(v).dump(); };
  if (t.type == "local") return "type: local\n    path: " + q(t.path.string());
  if (t.type == "sftp")
    return "type: sftp\n    host: " + q(t.host) + "\n    port: " + std::to_string(t.port ? t.port : 22) +
           "\n    user: " + q(t.user) + "\n    path: " + q(t.path.string()) + "\n    identity: " +
           q(t.identity.string()) + (t.known_hosts.empty() ? "" : "\n    known_hosts: " + q(t.known_hosts.string()));
  return "type: s3\n    endpoint: " + q(t.endpoint) + "\n    bucket: " + q(t.bucket) + "\n    prefix: " + q(t.prefix);
}

}  // namespace

namespace {

// The recovered YAML uses the recovered credentials, and the commands it
// would run are shown: they came from a target.
void adopt_recovered_config(recovery::bootstrap_report& report) {
  std::ifstream in(report.config, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto adopted = config::adopt_recovered(text, report.config, report.catalog.parent_path() / "credentials");
  for (auto& n : adopted.notes) report.notes.push_back(std::move(n));
  if (adopted.yaml == text) return;
  auto temp = report.config;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << adopted.yaml;
    if (!out) return report.notes.push_back("cannot write " + temp.string());
  }
  fs::permissions(temp, fs::perms::owner_read | fs::perms::owner_write);
  std::error_code ec;
  fs::rename(temp, report.config, ec);
  if (ec) report.notes.push_back("cannot write " + report.config.string() + ": " + ec.message());
}

}  // namespace

expected<recovery::bootstrap_report> application::bootstrap(const bootstrap_request& r) {
  crypto::disable_core_dumps();
  if (r.state_dir.empty()) return fail(errc::invalid_input, "bootstrap needs --state-dir DIR");
  if (r.target_url.empty() == r.suite_file.empty())
    return fail(errc::invalid_input, "bootstrap needs a target URL or --suite-file FILE (one of them)");
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  register_protocols(cfg);
  caf::actor_system sys{cfg};
  keyring_options k;
  k.config.mode = r.keyfile ? "keyfile" : r.password ? "password" : "none";
  k.keyfile = r.keyfile;
  k.ask_password = r.password;
  keyring_actor keyring = sys.spawn<caf::detached>(actors::keyring, k);
  recovery::unlocker unlock = [&](const std::vector<crypto::key_slot>& slots, const std::string& id,
                                  crypto::encryption enc) -> expected<crypto::key_ptr> {
    if (enc != crypto::encryption::none && !r.keyfile && !r.password) {
      bool tpm = std::any_of(slots.begin(), slots.end(),
                             [](const crypto::key_slot& s) { return s.kind == crypto::slot_kind::tpm; });
      if (tpm)
        return fail(errc::invalid_input,
                    "the suite was opened by the old machine's TPM, which does not move to new hardware: "
                    "give --keyfile with the recovery keyfile (then re-seal here: cairn key add --tpm)");
      return fail(errc::invalid_input, "the backups are encrypted: give --keyfile PATH or --password");
    }
    caf::scoped_actor self{sys};
    expected<crypto::key_ptr> out = fail(errc::io, "no reply");
    self->request(keyring, timeouts::unlock, atom::unlock::value, unlock_request{"bootstrap", id, enc, slots})
      .receive([&](key_handle& h) { out = h.keys; }, [&](caf::error& e) { out = fail(from_caf(e)); });
    return out;
  };
  recovery::bootstrap_options o{r.state_dir, r.config_out};
  expected<recovery::bootstrap_report> report = fail(errc::invalid_input, "");
  if (!r.suite_file.empty()) {
    report = recovery::bootstrap_from_file(r.suite_file, unlock, o);
  } else {
    config::target_config cfg;
    cfg.name = "recovered";
    auto parsed = config::parse_target_url(r.target_url, cfg);
    std::error_code ec;
    if (cfg.type == "local") cfg.path = fs::absolute(cfg.path, ec);
    if (!r.identity.empty()) cfg.identity = fs::absolute(r.identity, ec);
    if (!r.known_hosts.empty()) cfg.known_hosts = fs::absolute(r.known_hosts, ec);
    if (parsed && cfg.type == "sftp" && cfg.identity.empty())
      parsed = fail(errc::invalid_input, "an sftp:// target needs --identity FILE (the private key)");
    auto target = parsed ? make_backend(cfg) : expected<targets::target_ptr>(fail(parsed.error()));
    if (!target) {
      report = fail(target.error());
    } else if (r.rebuild) {
      recovery::rebuild_options ro;
      ro.target_yaml = yaml_of(cfg);
      ro.keyring_yaml = r.keyfile ? "mode: keyfile\n  keyfile: " + fs::absolute(*r.keyfile).string()
                        : r.password ? std::string("mode: password") : std::string("mode: none");
      report = recovery::rebuild_catalog(*target, unlock, o, ro);
    } else {
      report = recovery::bootstrap_from_target(**target, unlock, o);
    }
  }
  caf::anon_send_exit(keyring, caf::exit_reason::user_shutdown);
  if (report && !report->rebuilt) adopt_recovered_config(*report);
  return report;
}

expected<std::vector<forget_line>> application::forget(const std::vector<std::string>& plans,
                                                        const std::string& target, bool dry_run) {
  auto& d = *impl_;
  if (!target.empty() && !d.suite->find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + d.suite->file.string());
  std::vector<const config::plan_config*> chosen;
  for (const auto& name : plans) {
    const auto* p = d.suite->find_plan(name);
    if (!p) return fail(errc::invalid_input, "no plan named \"" + name + "\" in " + d.suite->file.string());
    if (p->keep.empty())
      return fail(errc::invalid_input, p->where.str() + ": plan \"" + name + "\" has no keep: policy, so "
                                       "forget would not know what to keep (add e.g. keep: {daily: 7, weekly: 4})");
    chosen.push_back(p);
  }
  if (plans.empty())
    for (const auto& p : d.suite->plans)
      if (!p.keep.empty()) chosen.push_back(&p);
  if (chosen.empty())
    return fail(errc::invalid_input, d.suite->file.string() + ": no plan has a keep: policy, so there is "
                                     "nothing to forget (add e.g. keep: {daily: 7, weekly: 4} to a plan)");
  for (const auto* p : chosen)
    for (const auto& t : p->targets)
      if (!dry_run && (target.empty() || t == target)) CAIRN_TRY(d.preflight(t));
  CAIRN_TRY(d.ensure_catalog());
  caf::scoped_actor self{*d.sys};
  auto cat = caf::actor_cast<caf::actor>(d.catalog);
  std::vector<forget_line> out;
  int64_t now = now_ns();
  for (const auto* p : chosen) {
    for (const auto& t : p->targets) {
      if (!target.empty() && t != target) continue;
      CAIRN_ASSIGN(auto rows, d.ask<std::vector<catalog::checkpoint_row>>(self, timeouts::catalog, cat,
                                                                          atom::list::value, p->name, t));
      std::vector<config::dated_checkpoint> dated;
      for (const auto& r : rows) dated.push_back({r.id, r.time_ns});
      for (auto& x : config::apply_policy(std::move(dated), p->keep, now))
        out.push_back({p->name, t, x.id, x.time_ns, x.keep, std::move(x.reasons), {}});
    }
  }
  if (!dry_run) CAIRN_TRY(d.remove_forgotten(out));
  return out;
}

expected<suite_status> application::summary() {
  auto& d = *impl_;
  suite_status out;
  out.daemon_pid = cairn::fs::process_lock::holder(d.suite->state_dir / "locks" / "daemon.lock");
  auto db = catalog::catalog::open(d.suite->state_dir, true);
  if (!db && db.error().code() != errc::not_found) return fail(db.error());
  int64_t now = now_ns();
  for (const auto& p : d.suite->plans) {
    plan_status s;
    s.plan = p.name;
    s.schedule = p.when.text;
    const auto& k = p.keep;
    for (auto [n, what] : {std::pair{k.last, "last"}, {k.hourly, "hourly"}, {k.daily, "daily"}, {k.weekly, "weekly"},
                           {k.monthly, "monthly"}, {k.yearly, "yearly"}})
      if (n) s.keep += (s.keep.empty() ? "" : ", ") + std::string(what) + " " + std::to_string(n);
    if (k.within.count()) s.keep += (s.keep.empty() ? "" : ", ") + std::string("within ") + std::to_string(k.within.count()) + "s";
    config::run_history h;
    if (db) {
      CAIRN_ASSIGN(auto runs, (*db)->runs(p.name, 200));
      if (!runs.empty()) s.last_run = runs.front();
      h = history_of(runs);
      for (const auto& t : p.targets) {
        CAIRN_ASSIGN(auto rows, (*db)->checkpoints(p.name, t));
        plan_status::target_line line{t, rows.size(), 0, 0};
        if (!rows.empty()) line.newest_ns = rows.front().time_ns, line.bytes = rows.front().bytes;
        s.targets.push_back(line);
      }
    } else {
      for (const auto& t : p.targets) s.targets.push_back({t, 0, 0, 0});
    }
    s.last_good_ns = h.last_good_start_ns;
    s.running_pid = cairn::fs::process_lock::holder(d.suite->state_dir / "locks" / ("plan-" + p.name + ".lock"));
    if (!p.when.empty()) s.next_due_ns = config::next_due(p.when, h, now, d.suite->daemon.retry);
    out.plans.push_back(std::move(s));
  }
  return out;
}

expected<std::vector<forget_line>> application::forget_named(const std::vector<resolved_checkpoint>& checkpoints,
                                                              bool dry_run) {
  std::vector<forget_line> out;
  for (const auto& cp : checkpoints)
    out.push_back({cp.row.plan, cp.row.target, cp.row.id, cp.row.time_ns, false, {"named"}, {}});
  if (!dry_run) CAIRN_TRY(impl_->remove_forgotten(out));
  return out;
}

expected<std::vector<prune_line>> application::prune(const std::string& target, const repo::prune_options& options) {
  auto& d = *impl_;
  if (!target.empty() && !d.suite->find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + d.suite->file.string());
  CAIRN_TRY(d.preflight(target));
  std::vector<prune_line> out;
  for (const auto& t : d.suite->targets) {
    if (!target.empty() && t.name != target) continue;
    prune_line line{t.name, {}, {}};
    auto opened = d.open_target(t.name, open_mode::read);
    auto r = opened ? repo::prune_repository(*opened->repo, options) : expected<repo::prune_report>(fail(opened.error()));
    if (r) line.report = std::move(*r);
    else line.error = describe(r.error());
    out.push_back(std::move(line));
  }
  return out;
}

namespace {

// daemon.pause_when: looks at the machine every pause_check and holds the
// gate (with the reason) while a condition is true. Stops with the daemon.
class pause_watch {
public:
  pause_watch(const config::daemon_config& config, std::shared_ptr<pause_gate> gate)
    : config_(config), gate_(std::move(gate)) {
    if (!config_.pause_on_battery && config_.pause_cpu_some_avg10 <= 0 && config_.pause_io_some_avg10 <= 0) return;
    thread_ = std::thread([this] { loop(); });
  }
  ~pause_watch() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
    for (const auto& r : held_) gate_->release(r);
  }

private:
  void set(const std::string& reason, bool on) {
    if (on && gate_->hold(reason)) held_.insert(reason);
    if (!on && gate_->release(reason)) held_.erase(reason);
  }
  void look() {
    set("on battery", config_.pause_on_battery && cairn::fs::on_battery(config_.sysfs_root));
    auto busy = [&](const char* resource, double limit) {
      if (limit <= 0) return;
      auto p = cairn::fs::pressure_some_avg10(config_.procfs_root, resource);
      // One reason per resource; its text names the threshold, not the moving value.
      set(std::string("machine busy (") + resource + " pressure above " + std::to_string(static_cast<int>(limit)) + "%)",
          p && *p > limit);
    };
    busy("cpu", config_.pause_cpu_some_avg10);
    busy("io", config_.pause_io_some_avg10);
  }
  void loop() {
    std::unique_lock lock(mutex_);
    do {
      lock.unlock();
      look();
      lock.lock();
    } while (!cv_.wait_for(lock, config_.pause_check, [this] { return done_; }));
  }

  config::daemon_config config_;
  std::shared_ptr<pause_gate> gate_;
  std::set<std::string> held_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

expected<bool> application::daemon(const daemon_callbacks& callbacks) {
  auto& d = *impl_;
  if (std::none_of(d.suite->plans.begin(), d.suite->plans.end(), [](auto& p) { return !p.when.empty(); }))
    return fail(errc::invalid_input, d.suite->file.string() + ": no plan has a schedule, so the daemon has "
                                     "nothing to do (add e.g. schedule: daily 02:30 to a plan)");
  CAIRN_TRY(d.preflight(""));
  CAIRN_TRY(d.ensure_catalog());
  CAIRN_ASSIGN(auto lock, cairn::fs::process_lock::acquire(d.suite->state_dir / "locks" / "daemon.lock",
                                                    "a cairn daemon for " + d.suite->state_dir.string()));
  scheduler_options so;
  so.suite = d.suite;
  // Runs on the scheduler's own thread (it is detached): forget and prune
  // block it, which is what one-thing-at-a-time wants.
  so.on_run = [this, callbacks](const plan_report& r) {
    if (callbacks.on_run) callbacks.on_run(r);
    maintain(r, callbacks);
  };
  so.on_next = callbacks.on_next;
  {
    CAIRN_ASSIGN(auto db, catalog::catalog::open(d.suite->state_dir, true));
    for (const auto& p : d.suite->plans) {
      CAIRN_ASSIGN(auto runs, db->runs(p.name, 200));
      so.history[p.name] = history_of(runs);
    }
  }
  auto progress_handle = d.sys->spawn(progress, progress_renderer{});
  {
    std::lock_guard guard(d.mutex);
    // Counted beside the run (a walk of metadata only): the API and status show totals and ETA.
    supervisor_options o{d.suite, d.keyring, d.catalog, progress_handle, d.threads(), true, d.gate};
    d.supervisor = d.sys->spawn(supervisor, o);
    so.supervisor = d.supervisor;
    so.gate = d.gate;
    d.scheduler = d.sys->spawn<caf::detached>(scheduler, so);
    d.daemon_progress = progress_handle;
  }
  d.reloading = false;
  if (d.stopping) stop();
  pause_watch watch(d.suite->daemon, d.gate);
  caf::scoped_actor self{*d.sys};
  expected<bool> r = fail(errc::io, "no reply");
  self->request(d.scheduler, caf::infinite, atom::run::value)
    .receive([&](bool) { r = d.reloading.load(); }, [&](caf::error& e) { r = fail(from_caf(e)); });
  {
    std::lock_guard guard(d.mutex);
    self->send_exit(d.scheduler, caf::exit_reason::user_shutdown);
    self->send_exit(d.supervisor, caf::exit_reason::user_shutdown);
    d.scheduler = nullptr;
    d.supervisor = nullptr;
    d.daemon_progress = nullptr;
  }
  self->send_exit(progress_handle, caf::exit_reason::user_shutdown);
  return r;
}

void application::maintain(const plan_report& r, const daemon_callbacks& callbacks) {
  auto& d = *impl_;
  const auto* plan = d.suite->find_plan(r.plan);
  auto status = run_status(r);
  if (!plan || plan->keep.empty() || (status != "ok" && status != "skipped") || d.stopping) return;
  auto lines = forget({r.plan}, "", false);
  if (callbacks.on_forget) callbacks.on_forget(lines);
  if (!lines) return;
  caf::scoped_actor self{*d.sys};
  auto cat = caf::actor_cast<caf::actor>(d.catalog);
  for (const auto& t : plan->targets) {
    bool freed = std::any_of(lines->begin(), lines->end(),
                             [&](auto& l) { return l.target == t && !l.keep && l.error.empty(); });
    if (!freed || d.stopping) continue;
    auto key = "last_prune_ns." + t;
    auto last = d.ask<std::string>(self, timeouts::catalog, cat, atom::get::value, key);
    int64_t now = now_ns();
    if (last && !last->empty() && now - std::stoll(*last) < d.suite->daemon.prune_every.count() * 1'000'000'000)
      continue;
    repo::prune_options po;
    po.cancel = &d.stopping;  // SIGTERM: stop at the next safe point
    auto pruned = prune(t, po);
    if (callbacks.on_prune) callbacks.on_prune(pruned);
    if (pruned && !pruned->empty() && pruned->front().error.empty())
      (void)d.ask<bool>(self, timeouts::catalog, cat, atom::set::value, key, std::to_string(now));
  }
}

void application::reload() {
  auto& d = *impl_;
  std::lock_guard lock(d.mutex);
  if (!d.scheduler) return;
  d.reloading = true;
  caf::anon_send(d.scheduler, atom::finish::value);
}

expected<std::string> application::run_now(const std::string& plan) {
  auto& d = *impl_;
  scheduler_actor scheduler;
  {
    std::lock_guard lock(d.mutex);
    scheduler = d.scheduler;
  }
  if (!scheduler) return fail(errc::unsupported, "the daemon is not running plans now (starting or reloading)");
  caf::scoped_actor self{*d.sys};
  return d.ask<std::string>(self, std::chrono::seconds(30), caf::actor_cast<caf::actor>(scheduler),
                            atom::start::value, plan);
}

expected<bool> application::cancel(const std::string& plan) {
  auto& d = *impl_;
  if (!d.suite->find_plan(plan)) return fail(errc::not_found, "no plan named \"" + plan + "\"");
  scheduler_actor scheduler;
  {
    std::lock_guard lock(d.mutex);
    scheduler = d.scheduler;
  }
  if (!scheduler) return false;
  caf::scoped_actor self{*d.sys};
  return d.ask<bool>(self, std::chrono::seconds(30), caf::actor_cast<caf::actor>(scheduler), atom::cancel::value,
                     plan);
}

std::optional<live_run> application::live() {
  auto& d = *impl_;
  scheduler_actor scheduler;
  progress_actor progress;
  {
    std::lock_guard lock(d.mutex);
    scheduler = d.scheduler;
    progress = d.daemon_progress;
  }
  if (!scheduler || !progress) return std::nullopt;
  caf::scoped_actor self{*d.sys};
  auto plan = d.ask<std::string>(self, std::chrono::seconds(10), caf::actor_cast<caf::actor>(scheduler),
                                 atom::get::value);
  if (!plan || plan->empty()) return std::nullopt;
  auto snapshot = d.ask<progress_snapshot>(self, std::chrono::seconds(10), caf::actor_cast<caf::actor>(progress),
                                           atom::get::value);
  return live_run{*plan, snapshot ? *snapshot : progress_snapshot{}, d.gate->why()};
}

expected<std::vector<catalog::run_row>> application::runs(const std::string& plan, size_t limit) {
  auto& d = *impl_;
  CAIRN_ASSIGN(auto db, catalog::catalog::open(d.suite->state_dir, true));
  return db->runs(plan, static_cast<int>(limit));
}

namespace {
const std::string paused_by_request = "paused by request";
}

expected<bool> application::pause(const std::string& plan) {
  auto& d = *impl_;
  if (!plan.empty()) {
    if (!d.suite->find_plan(plan)) return fail(errc::not_found, "no plan named \"" + plan + "\"");
    auto now = live();
    if (!now || now->plan != plan) return fail(errc::not_found, "plan \"" + plan + "\" is not running");
  }
  return d.gate->hold(paused_by_request);
}

expected<bool> application::resume(const std::string& plan) {
  auto& d = *impl_;
  if (!plan.empty() && !d.suite->find_plan(plan)) return fail(errc::not_found, "no plan named \"" + plan + "\"");
  return d.gate->release(paused_by_request);
}

std::string application::paused_why() const { return impl_->gate->why(); }

void application::stop() {
  auto& d = *impl_;
  d.stopping = true;
  std::lock_guard lock(d.mutex);
  if (d.scheduler) caf::anon_send(d.scheduler, atom::stop::value);
  else if (d.supervisor) caf::anon_send(d.supervisor, atom::stop::value);
}

}  // namespace cairn::actors
