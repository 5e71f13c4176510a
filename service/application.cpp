// Starting the suite, init, backup, restore and the daemon's commands.
#include "service/application.hpp"

#include <filesystem>

#include "actors/plan_runner.hpp"
#include "actors/scheduler.hpp"
#include "base/clock.hpp"
#include "crypto/secret.hpp"
#include "fs/process_lock.hpp"
#include "service/detail/pause_watch.hpp"

namespace cairn::service {

namespace fs = std::filesystem;

catalog::run_status status_of(const plan_report& report) { return actors::status_of(report); }

expected<std::vector<dry_run_source>> dry_run(const fs::path& config_file, const std::vector<std::string>& plans) {
  CAIRN_ASSIGN(auto suite, config::load_config(config_file));
  return backup::dry_run(suite, plans);
}

application::application(std::shared_ptr<const config::suite_config> suite, std::unique_ptr<engine> e,
                         app_options options)
  : suite_(std::move(suite)), engine_(std::move(e)), options_(std::move(options)) {}
application::~application() = default;

expected<std::unique_ptr<application>> application::start(app_options options) {
  crypto::disable_core_dumps();
  CAIRN_ASSIGN(auto loaded, config::load_config(options.config_file));
  auto suite = std::make_shared<const config::suite_config>(std::move(loaded));
  actors::engine_options eo{options.keyfile, options.ask_password, options.renderer, options.threads,
                            options.background, options.on_warning, options.private_key};
  CAIRN_ASSIGN(auto e, engine::start(suite, std::move(eo)));
  return std::unique_ptr<application>(new application(std::move(suite), std::move(e), std::move(options)));
}

const config::suite_config& application::config() const { return *suite_; }

expected<init_report> application::init() {
  CAIRN_ASSIGN(auto seed_text, engine_->setting("chunker_seed"));
  CAIRN_ASSIGN(auto suite_id, engine_->setting("suite_id"));
  if (suite_id.empty()) CAIRN_TRY(engine_->set_setting("suite_id", to_hex(crypto::random_bytes(16))));
  if (seed_text.empty()) {
    auto raw = crypto::random_bytes(8);
    uint64_t seed = 0;
    for (auto b : raw) seed = seed << 8 | b;
    seed_text = std::to_string(seed);
    CAIRN_TRY(engine_->set_setting("chunker_seed", seed_text));
  }
  repo::create_options create;
  create.chunker.seed = std::stoull(seed_text);
  const auto& keyring = suite_->keyring;
  bool keyfile_existed = keyring.mode != config::keyring_mode::keyfile || fs::exists(keyring.keyfile);
  bool recovery_existed = keyring.mode != config::keyring_mode::tpm || fs::exists(keyring.recovery_keyfile);
  init_report report;
  for (const auto& t : suite_->targets) {
    CAIRN_ASSIGN(auto r, engine_->open_target(t.name, open_mode::create, create));
    const auto& h = r.repo->header();
    report.targets.push_back(init_line{t.name, r.repo->describe(), h.repository_id, r.created});
    CAIRN_TRY(engine_->record_target(target_record{t.name, r.repo->describe(), h.repository_id}));
  }
  if (!keyfile_existed && fs::exists(keyring.keyfile)) report.keyfile = keyring.keyfile.string();
  if (!recovery_existed && fs::exists(keyring.recovery_keyfile))
    report.recovery_keyfile = keyring.recovery_keyfile.string();
  return report;
}

expected<std::vector<plan_report>> application::backup(const std::vector<std::string>& plans) {
  const auto& suite = *suite_;
  for (const auto& name : plans)
    if (!suite.find_plan(name))
      return fail(errc::invalid_input, "no plan named \"" + name + "\" in " + suite.file.string());
  if (suite.plans.empty()) return fail(errc::invalid_input, suite.file.string() + " defines no plans");
  auto chosen = [&](const config::plan_config& p) {
    return plans.empty() || std::find(plans.begin(), plans.end(), p.name) != plans.end();
  };
  for (const auto& p : suite.plans) {
    if (!chosen(p)) continue;
    for (const auto& s : p.sources) {
      if (!s.exclude_from_error.empty()) return fail(errc::invalid_input, s.exclude_from_error);
      if (s.type == config::source_type::command || s.type == config::source_type::resource) continue;
      std::error_code ec;
      if (!fs::exists(s.path, ec))
        return fail(errc::invalid_input, s.where.str() + ": source path " + s.path.string() + " of plan \"" + p.name +
                                           "\" does not exist");
    }
  }
  for (const auto& p : suite.plans)
    if (chosen(p))
      for (const auto& t : p.targets) CAIRN_TRY(engine_->preflight(t));
  return engine_->run_plans(plans);
}

expected<restore_report> application::restore(const resolved_checkpoint& cp, const fs::path& to,
                                               const restore_options& options) {
  std::error_code ec;
  auto destination = fs::absolute(to, ec);
  if (ec || to.empty())
    return fail(errc::invalid_input, "cannot use \"" + to.string() + "\" as a destination" +
                                       (ec ? ": " + ec.message() : std::string()));
  CAIRN_ASSIGN(auto opened, engine_->open_target(cp.row.target, open_mode::read));
  restore_request req;
  req.repo = opened.repo;
  req.checkpoint = cp.id;
  req.to = destination;
  req.paths = options.paths;
  req.as_owner = options.as_owner;
  req.run_checkpoint_steps = options.run_checkpoint_steps && !options.as_owner;
  req.delete_extra = options.delete_extra;
  req.cancel = options.cancel;
  if (const auto* plan = suite_->find_plan(cp.row.plan); plan && !options.as_owner)
    for (const auto& src : plan->sources)
      if (!src.post_restore.empty()) req.local_post_restore[src.name] = src.post_restore;
  return engine_->restore(req, options.renderer ? options.renderer : options_.renderer);
}

expected<bool> application::daemon(const daemon_callbacks& callbacks) {
  const auto& suite = *suite_;
  if (std::none_of(suite.plans.begin(), suite.plans.end(), [](auto& p) { return !p.when.empty(); }))
    return fail(errc::invalid_input, suite.file.string() + ": no plan has a schedule, so the daemon has "
                                     "nothing to do (add e.g. schedule: daily 02:30 to a plan)");
  CAIRN_TRY(engine_->preflight(""));
  CAIRN_ASSIGN(auto lock, cairn::fs::process_lock::acquire(suite.state_dir / "locks" / "daemon.lock",
                                                           "a cairn daemon for " + suite.state_dir.string()));
  CAIRN_TRY(engine_->setting("suite_id"));  // creates the catalog before it is read
  actors::daemon_hooks hooks;
  {
    CAIRN_ASSIGN(auto db, catalog::catalog::open(suite.state_dir, true));
    for (const auto& p : suite.plans) {
      CAIRN_ASSIGN(auto runs, db->runs(p.name, 200));
      hooks.history[p.name] = actors::history_of(runs);
    }
  }
  // Runs on the scheduler's own thread (it is detached): forget and prune
  // block it, which is what one-thing-at-a-time wants.
  hooks.on_run = [this, callbacks](const plan_report& r) {
    if (callbacks.on_run) callbacks.on_run(r);
    maintain(r, callbacks);
  };
  hooks.on_next = callbacks.on_next;
  detail::pause_watch watch(suite.daemon, engine_->gate());
  return engine_->run_scheduler(std::move(hooks));
}

// After a good run of a plan with a keep: policy, its forget; and a prune of
// its targets when one freed checkpoints and the last prune is prune_every old.
void application::maintain(const plan_report& r, const daemon_callbacks& callbacks) {
  const auto* plan = suite_->find_plan(r.plan);
  if (!plan || plan->keep.empty() || !catalog::succeeded(actors::status_of(r)) || engine_->stopping()) return;
  auto lines = forget({r.plan}, "", false);
  if (callbacks.on_forget) callbacks.on_forget(lines);
  if (!lines) return;
  for (const auto& t : plan->targets) {
    bool freed = std::any_of(lines->begin(), lines->end(),
                             [&](auto& l) { return l.target == t && !l.keep && l.error.empty(); });
    if (!freed || engine_->stopping()) continue;
    auto key = "last_prune_ns." + t;
    auto last = engine_->setting(key);
    int64_t now = now_ns();
    if (last && !last->empty() && now - std::stoll(*last) < suite_->daemon.prune_every.count() * 1'000'000'000)
      continue;
    repo::prune_options po;
    po.cancel = &engine_->stopping();  // SIGTERM: stop at the next safe point
    auto pruned = prune(t, po);
    if (callbacks.on_prune) callbacks.on_prune(pruned);
    if (pruned && !pruned->empty() && pruned->front().error.empty()) (void)engine_->set_setting(key, std::to_string(now));
  }
}

void application::reload() { engine_->reload(); }

expected<std::string> application::run_now(const std::string& plan) {
  if (!suite_->find_plan(plan)) return fail(errc::not_found, "no plan named \"" + plan + "\"");
  return engine_->start_plan(plan);
}

expected<bool> application::cancel(const std::string& plan) {
  if (!suite_->find_plan(plan)) return fail(errc::not_found, "no plan named \"" + plan + "\"");
  return engine_->cancel_plan(plan);
}

namespace {
const std::string paused_by_request = "paused by request";
}

expected<bool> application::pause(const std::string& plan) {
  if (!plan.empty()) {
    if (!suite_->find_plan(plan)) return fail(errc::not_found, "no plan named \"" + plan + "\"");
    auto now = live();
    if (!now || now->plan != plan) return fail(errc::not_found, "plan \"" + plan + "\" is not running");
  }
  return engine_->gate()->hold(paused_by_request);
}

expected<bool> application::resume(const std::string& plan) {
  if (!plan.empty() && !suite_->find_plan(plan)) return fail(errc::not_found, "no plan named \"" + plan + "\"");
  return engine_->gate()->release(paused_by_request);
}

void application::stop() { engine_->stop(); }

}  // namespace cairn::service
