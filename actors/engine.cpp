#include "actors/engine.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "actors/backends.hpp"
#include "actors/catalog_writer.hpp"
#include "actors/error.hpp"
#include "fs/io_class.hpp"
#include "actors/keyring.hpp"
#include "actors/progress.hpp"
#include "actors/register.hpp"
#include "actors/restorer.hpp"
#include "actors/scheduler.hpp"
#include "actors/supervisor.hpp"
#include "actors/target.hpp"
#include "actors/timeouts.hpp"
#include "repo/temporaries.hpp"

namespace cairn::actors {

namespace {

// The daemon must not be noticed: the lowest CPU class and a high nice value,
// and the idle I/O class (the kernel serves its reads and writes only when
// nobody else needs the disk). Each applies to one thread: every thread the
// process has now gets them, and threads started later inherit them.
void lower_priority(const config::daemon_config& d) {
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    pid_t tid = static_cast<pid_t>(std::atoi(task.path().filename().c_str()));
    if (tid <= 0) continue;
    if (d.nice > 0) setpriority(PRIO_PROCESS, static_cast<id_t>(tid), d.nice);
    if (d.idle_cpu) {  // a waking task of the user's preempts ours at once
      sched_param none{};
      sched_setscheduler(tid, SCHED_IDLE, &none);
    }
    if (d.idle_io) fs::set_idle_io_class(tid);
  }
}

template <class T, class Duration, class... Ts>
expected<T> ask(const caf::scoped_actor& self, Duration timeout, const caf::actor& dest, Ts&&... xs) {
  expected<T> out = fail(errc::io, "no reply");
  self->request(dest, timeout, std::forward<Ts>(xs)...)
    .receive([&](T& value) { out = std::move(value); }, [&](caf::error& e) { out = fail(from_caf(e)); });
  return out;
}

}  // namespace

struct engine::impl {
  engine_options options;
  std::shared_ptr<const config::suite_config> suite;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  keyring_actor keyring;
  std::mutex catalog_mutex;  // guards the lazy spawn of the catalog writer
  catalog_actor catalog;
  std::mutex mutex;  // guards supervisor, scheduler and daemon_progress for other threads
  std::condition_variable scheduler_changed;  // (mutex) a scheduler started or the engine stops
  supervisor_actor supervisor;
  scheduler_actor scheduler;
  progress_actor daemon_progress;  // the daemon's runs report here
  std::shared_ptr<pause_gate> gate = std::make_shared<pause_gate>();
  std::atomic<bool> stopping{false};
  std::atomic<bool> reloading{false};
  std::vector<std::weak_ptr<std::atomic<bool>>> restores;  // cancel flags of running restores (mutex)

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

  // The single catalog writer, spawned on first use (creating state_dir).
  expected<caf::actor> catalog_writer_actor() {
    std::lock_guard lock(catalog_mutex);
    if (!catalog) {
      CAIRN_ASSIGN(auto db, catalog::catalog::open(suite->state_dir));
      catalog = sys->spawn<caf::detached>(catalog_writer, std::shared_ptr<catalog::catalog>(std::move(db)),
                                          suite->state_dir);
    }
    return caf::actor_cast<caf::actor>(catalog);
  }

  scheduler_actor current_scheduler() {
    std::lock_guard lock(mutex);
    return scheduler;
  }

  // The scheduler, waiting up to `limit` while the daemon starts or reloads its plans: a request that
  // arrives in that moment (`cairn run now` right after the service started) is served, not refused.
  scheduler_actor await_scheduler(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex);
    scheduler_changed.wait_for(lock, limit, [&] { return scheduler || stopping.load(); });
    return scheduler;
  }
};

engine::engine(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
engine::~engine() = default;

expected<std::unique_ptr<engine>> engine::start(std::shared_ptr<const config::suite_config> suite,
                                                engine_options options) {
  auto p = std::make_unique<impl>();
  p->suite = std::move(suite);
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
  keyring_options k{p->suite->keyring, p->suite->state_dir, p->options.keyfile, p->options.ask_password,
                    p->options.private_key};
  p->keyring = p->sys->spawn<caf::detached>(keyring, k);
  return std::unique_ptr<engine>(new engine(std::move(p)));
}

const config::suite_config& engine::suite() const { return *impl_->suite; }
const engine_options& engine::options() const { return impl_->options; }
std::shared_ptr<pause_gate> engine::gate() const { return impl_->gate; }
const std::atomic<bool>& engine::stopping() const { return impl_->stopping; }

status engine::preflight(const std::string& only) const {
  for (const auto& t : impl_->suite->targets)
    if (only.empty() || t.name == only) CAIRN_TRY(check_target_config(t));
  return {};
}

expected<open_result> engine::open_target(const std::string& name, open_mode mode, const repo::create_options& create) {
  auto& d = *impl_;
  const auto* t = d.suite->find_target(name);
  if (!t) return fail(errc::invalid_input, "no target named \"" + name + "\" in " + d.suite->file.string());
  CAIRN_ASSIGN(auto backend, make_backend(*t));
  target_options o{t->name, backend, d.keyring, progress_actor{}, create, mode == open_mode::create ? "init" : "read"};
  auto actor = d.sys->spawn<caf::detached>(target, o);
  caf::scoped_actor self{*d.sys};
  auto r = ask<open_result>(self, timeouts::open, caf::actor_cast<caf::actor>(actor), atom::open::value, mode);
  self->send_exit(actor, caf::exit_reason::user_shutdown);
  if (r && d.options.on_warning)
    for (const auto& w : r->warnings) d.options.on_warning(name + ": " + w);
  if (r && r->repo && t->type == config::target_type::local)
    r->repo->on_exclusive_lock([root = t->path, name, warn = d.options.on_warning] {
      auto left = repo::remove_leftover_temporaries(root, repo::repository_lock::stale_after_ns);
      if (warn)
        for (const auto& f : left.removed) warn(name + ": removed " + f + ", left by a killed writer");
    });
  return r;
}

expected<std::string> engine::setting(const std::string& key) {
  CAIRN_ASSIGN(auto cat, impl_->catalog_writer_actor());
  caf::scoped_actor self{*impl_->sys};
  return ask<std::string>(self, timeouts::catalog, cat, atom::get::value, key);
}

status engine::set_setting(const std::string& key, const std::string& value) {
  CAIRN_ASSIGN(auto cat, impl_->catalog_writer_actor());
  caf::scoped_actor self{*impl_->sys};
  CAIRN_TRY(ask<bool>(self, timeouts::catalog, cat, atom::set::value, key, value));
  return {};
}

status engine::record_target(const target_record& record) {
  CAIRN_ASSIGN(auto cat, impl_->catalog_writer_actor());
  caf::scoped_actor self{*impl_->sys};
  CAIRN_TRY(ask<bool>(self, timeouts::catalog, cat, atom::record::value, record));
  return {};
}

status engine::record_checkpoint(const catalog::checkpoint_row& row) {
  CAIRN_ASSIGN(auto cat, impl_->catalog_writer_actor());
  caf::scoped_actor self{*impl_->sys};
  CAIRN_TRY(ask<bool>(self, timeouts::catalog, cat, atom::record::value, row));
  return {};
}

expected<std::vector<catalog::checkpoint_row>> engine::catalog_checkpoints(const std::string& plan,
                                                                           const std::string& target) {
  CAIRN_ASSIGN(auto cat, impl_->catalog_writer_actor());
  caf::scoped_actor self{*impl_->sys};
  return ask<std::vector<catalog::checkpoint_row>>(self, timeouts::catalog, cat, atom::list::value, plan, target);
}

status engine::forget_in_catalog(const std::string& target, const std::string& id) {
  CAIRN_ASSIGN(auto cat, impl_->catalog_writer_actor());
  caf::scoped_actor self{*impl_->sys};
  CAIRN_TRY(ask<bool>(self, timeouts::catalog, cat, atom::forget::value, target, id));
  return {};
}

expected<crypto::key_slot> engine::new_slot(const slot_request& request) {
  caf::scoped_actor self{*impl_->sys};
  return ask<crypto::key_slot>(self, timeouts::unlock, caf::actor_cast<caf::actor>(impl_->keyring), atom::add::value,
                               request);
}

expected<std::vector<plan_report>> engine::run_plans(const std::vector<std::string>& plans) {
  auto& d = *impl_;
  CAIRN_TRY(d.catalog_writer_actor());
  auto progress_handle = d.sys->spawn(progress, d.options.renderer);
  {
    std::lock_guard lock(d.mutex);
    supervisor_options o{d.suite, d.keyring, d.catalog, progress_handle, d.threads(),
                         static_cast<bool>(d.options.renderer)};
    d.supervisor = d.sys->spawn(supervisor, o);
  }
  if (d.stopping) stop();
  caf::scoped_actor self{*d.sys};
  auto r = ask<std::vector<plan_report>>(self, timeouts::run, caf::actor_cast<caf::actor>(d.supervisor),
                                         atom::run::value, run_request{plans});
  self->send_exit(progress_handle, caf::exit_reason::user_shutdown);
  return r;
}

expected<restore_report> engine::restore(const restore_request& given, progress_renderer renderer) {
  auto& d = *impl_;
  auto request = given;
  if (!request.cancel) request.cancel = std::make_shared<std::atomic<bool>>(false);
  {
    std::lock_guard lock(d.mutex);  // stop() cancels it too
    std::erase_if(d.restores, [](const auto& w) { return w.expired(); });
    d.restores.push_back(request.cancel);
  }
  if (d.stopping) request.cancel->store(true);
  auto progress_handle = d.sys->spawn(progress, std::move(renderer));
  auto actor = d.sys->spawn<caf::detached>(restorer, progress_handle, size_t{4});
  caf::scoped_actor self{*d.sys};
  auto r = ask<restore_report>(self, timeouts::restore, caf::actor_cast<caf::actor>(actor), atom::restore::value,
                               request);
  self->send_exit(actor, caf::exit_reason::user_shutdown);
  self->send_exit(progress_handle, caf::exit_reason::user_shutdown);
  return r;
}

expected<bool> engine::run_scheduler(daemon_hooks hooks) {
  auto& d = *impl_;
  CAIRN_TRY(d.catalog_writer_actor());
  scheduler_options so;
  so.suite = d.suite;
  so.on_run = std::move(hooks.on_run);
  so.on_next = std::move(hooks.on_next);
  so.history = std::move(hooks.history);
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
    // A reload asked for while the daemon started (the API serves before the
    // scheduler runs: a resource registered right after a reload) is not lost.
    if (d.reloading) caf::anon_send(d.scheduler, atom::finish::value);
  }
  d.scheduler_changed.notify_all();
  if (d.stopping) stop();
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

void engine::reload() {
  auto& d = *impl_;
  std::lock_guard lock(d.mutex);
  d.reloading = true;  // before the scheduler runs: run_scheduler finishes it at once
  if (d.scheduler) caf::anon_send(d.scheduler, atom::finish::value);
}

expected<std::string> engine::start_plan(const std::string& plan) {
  auto scheduler = impl_->await_scheduler(std::chrono::seconds(10));
  if (!scheduler) return fail(errc::unsupported, "the daemon is not running plans now (starting or reloading)");
  caf::scoped_actor self{*impl_->sys};
  return ask<std::string>(self, std::chrono::seconds(30), caf::actor_cast<caf::actor>(scheduler), atom::start::value,
                          plan);
}

expected<bool> engine::cancel_plan(const std::string& plan) {
  auto scheduler = impl_->current_scheduler();
  if (!scheduler) return false;
  caf::scoped_actor self{*impl_->sys};
  return ask<bool>(self, std::chrono::seconds(30), caf::actor_cast<caf::actor>(scheduler), atom::cancel::value, plan);
}

std::optional<std::pair<std::string, progress_snapshot>> engine::running() {
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
  auto plan = ask<std::string>(self, std::chrono::seconds(10), caf::actor_cast<caf::actor>(scheduler),
                               atom::get::value);
  if (!plan || plan->empty()) return std::nullopt;
  auto snapshot = ask<progress_snapshot>(self, std::chrono::seconds(10), caf::actor_cast<caf::actor>(progress),
                                         atom::get::value);
  return std::pair{*plan, snapshot ? *snapshot : progress_snapshot{}};
}

void engine::stop() {
  auto& d = *impl_;
  d.stopping = true;
  std::lock_guard lock(d.mutex);
  for (const auto& w : d.restores)
    if (auto flag = w.lock()) flag->store(true);
  if (d.scheduler) caf::anon_send(d.scheduler, atom::stop::value);
  else if (d.supervisor) caf::anon_send(d.supervisor, atom::stop::value);
  d.scheduler_changed.notify_all();
}

struct bootstrap_keyring::impl {
  bool keyfile = false, password = false, private_key = false;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  keyring_actor keyring;
};

bootstrap_keyring::bootstrap_keyring(std::optional<std::filesystem::path> keyfile, bool password,
                                     std::optional<std::filesystem::path> private_key)
  : impl_(std::make_unique<impl>()) {
  impl_->keyfile = keyfile.has_value();
  impl_->password = password;
  impl_->private_key = private_key.has_value();
  impl_->cfg.set("scheduler.max-threads", 2);
  register_protocols(impl_->cfg);
  impl_->sys = std::make_unique<caf::actor_system>(impl_->cfg);
  keyring_options k;
  k.config.mode = keyfile    ? config::keyring_mode::keyfile
                  : password ? config::keyring_mode::password
                             : config::keyring_mode::none;
  k.keyfile = std::move(keyfile);
  k.ask_password = password;
  k.private_key = std::move(private_key);
  impl_->keyring = impl_->sys->spawn<caf::detached>(actors::keyring, k);
}

bootstrap_keyring::~bootstrap_keyring() {
  caf::anon_send_exit(impl_->keyring, caf::exit_reason::user_shutdown);
  impl_->keyring = nullptr;
  impl_->sys.reset();
}

recovery::unlocker bootstrap_keyring::unlocker() {
  return [d = impl_.get()](const std::vector<crypto::key_slot>& slots, const std::string& id,
                           crypto::encryption enc) -> expected<crypto::key_ptr> {
    if (enc == crypto::encryption::x25519 && !d->private_key && !d->keyfile && !d->password)
      return fail(errc::invalid_input, "the backups are write-only: give --private-key FILE "
                                       "(or --keyfile/--password of an administrator's key slot)");
    if (enc != crypto::encryption::none && !d->keyfile && !d->password && !d->private_key) {
      bool tpm = std::any_of(slots.begin(), slots.end(),
                             [](const crypto::key_slot& s) { return s.kind == crypto::slot_kind::tpm; });
      if (tpm)
        return fail(errc::invalid_input,
                    "the suite was opened by the old machine's TPM, which does not move to new hardware: "
                    "give --keyfile with the recovery keyfile (then re-seal here: cairn key add --tpm)");
      return fail(errc::invalid_input, "the backups are encrypted: give --keyfile PATH or --password");
    }
    caf::scoped_actor self{*d->sys};
    expected<crypto::key_ptr> out = fail(errc::io, "no reply");
    self->request(d->keyring, timeouts::unlock, atom::unlock::value, unlock_request{"bootstrap", id, enc, slots})
      .receive([&](key_handle& h) { out = h.keys; }, [&](caf::error& e) { out = fail(from_caf(e)); });
    return out;
  };
}

}  // namespace cairn::actors
