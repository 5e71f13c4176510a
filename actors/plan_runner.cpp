#include "actors/plan_runner.hpp"
#include "actors/plan_steps.hpp"

#include "actors/hook.hpp"
#include "actors/keyring.hpp"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "actors/dir_source.hpp"
#include "actors/error.hpp"
#include "actors/sealed_file_cache.hpp"
#include "actors/sealer.hpp"
#include "actors/target.hpp"
#include "actors/timeouts.hpp"
#include "base/clock.hpp"
#include "base/version.hpp"
#include "crypto/secret.hpp"
#include "recovery/suite_state.hpp"
#include "repo/stored_ids.hpp"
#include "repo/upload_marks.hpp"
#include "actors/backends.hpp"
#include "targets/spooling_target.hpp"

namespace cairn::actors {

namespace plan_steps {

void run_source(self_ptr self);
void source_failed(self_ptr self, const config::source_config& src, const std::string& why);

void finish_now(self_ptr self);
void notify_failure(self_ptr self);

// After a failed or partial run: the plan's (or the suite's) on_failure
// command, so people hear of it without watching. Its own failure is a warning.
void notify_failure(self_ptr self) {
  auto& st = self->state;
  auto status = status_of(st.report);
  const auto& command = st.plan->on_failure.empty() ? st.options.suite->on_failure : st.plan->on_failure;
  if (command.empty() || st.failure_notified || !catalog::went_wrong(status)) return finish_now(self);
  st.failure_notified = true;
  std::string targets, error = st.report.error;
  for (const auto& t : st.report.targets)
    if (!t.committed) {
      targets += (targets.empty() ? "" : ",") + t.target;
      if (error.empty()) error = t.target + ": " + t.error;
    }
  auto runner = self->spawn<caf::detached>(hook);
  hook_request req{command,
                   {{"CAIRN_PLAN", st.options.plan}, {"CAIRN_RUN_STATUS", std::string(to_string(status))}, {"CAIRN_FAILED_TARGETS", targets},
                    {"CAIRN_TARGET", targets.substr(0, targets.find(','))}, {"CAIRN_ERROR", error}},
                   {}};
  self->request(runner, timeouts::run, atom::run::value, req)
    .then(
      [=](hook_outcome& o) {
        if (o.exit_code != 0)
          self->state.report.warnings.push_back("the on_failure command exited with " + std::to_string(o.exit_code) +
                                                (o.error.empty() ? "" : ": " + o.error));
        finish_now(self);
      },
      [=](caf::error& e) {
        self->state.report.warnings.push_back("the on_failure command did not run: " + describe(from_caf(e)));
        finish_now(self);
      });
}

// Records the run's outcome, then releases the plan lock and replies; first runs
// the plan's `after` step, whatever the outcome (it may restart a service
// that `before` stopped), then on_failure when the run failed.
void finish(self_ptr self) {
  auto& st = self->state;
  *st.scan_cancel = true;
  if (!st.promise || st.finishing) return;
  // Not when this run never got the plan's lock: another run of the plan is
  // under way, and its own after step will follow its before step.
  if (st.plan->after.empty() || st.after_started || !st.lock) return notify_failure(self);
  st.after_started = true;
  auto runner = self->spawn<caf::detached>(hook);
  hook_request req{st.plan->after, {{"CAIRN_PLAN", st.options.plan}, {"CAIRN_RUN_STATUS", std::string(to_string(status_of(st.report)))}}, {}};
  self->request(runner, timeouts::run, atom::run::value, req)
    .then(
      [=](hook_outcome& o) {
        if (o.exit_code != 0)
          self->state.report.warnings.push_back("the after step `" + self->state.plan->after + "` exited with " +
                                                std::to_string(o.exit_code) + (o.error.empty() ? "" : ": " + o.error));
        notify_failure(self);
      },
      [=](caf::error& e) {
        self->state.report.warnings.push_back("the after step did not run: " + describe(from_caf(e)));
        notify_failure(self);
      });
}

// The run's row as it ends now: its outcome and its cost (what the sources
// read, and what all targets stored and received).
// A write-only machine (a target it writes but cannot read) keeps no
// checkpoint rows, file cache or run statistics: only when runs ran and how
// they ended (docs/THREAT-MODEL.md).
bool write_only(self_ptr self) {
  for (const auto& r : self->state.repos)
    if (r && !r->cipher().can_read()) return true;
  return false;
}

catalog::run_row run_row_now(self_ptr self) {
  auto& st = self->state;
  auto& r = st.report;
  if (write_only(self)) return {st.run_id, st.options.plan, 0, now_ns(), status_of(r), repo::encode_stats({}), ""};
  auto cost = r.stats;
  for (const auto& t : r.targets) {
    cost.bytes_uploaded += t.stats.bytes_uploaded;
    cost.bytes_stored += t.stats.bytes_stored;
  }
  // A partial run names its failed sources, for `cairn runs` and the API.
  std::string error = r.error;
  for (const auto& f : r.failed_sources)
    if (r.error.empty()) error += (error.empty() ? "source " : "; source ") + f;
  return {st.run_id, st.options.plan, 0, now_ns(), status_of(r), repo::encode_stats(cost), error};
}

void finish_now(self_ptr self) {
  auto& st = self->state;
  if (!st.promise || st.finishing) return;
  st.finishing = true;
  // Explicitly: a target's pending lock-refresh timer would keep it alive.
  for (auto& s : st.sources) self->send_exit(s, caf::exit_reason::user_shutdown);
  for (auto& s : st.sealers) self->send_exit(s, caf::exit_reason::user_shutdown);
  for (auto& t : st.targets)
    if (t) self->send_exit(t, caf::exit_reason::user_shutdown);
  for (auto& t : st.state_only) self->send_exit(t, caf::exit_reason::user_shutdown);
  auto done = [self] {
    auto& s = self->state;
    s.lock.reset();
    s.promise->deliver(std::move(s.report));
    s.promise.reset();
    self->quit();
  };
  if (st.run_id == 0) return done();
  // The plan's lock is held until the run's row says how it ended: a row
  // still `running` while nobody holds the lock is a run that died (status).
  self->request(st.options.catalog, timeouts::catalog, atom::finish::value, run_row_now(self))
    .then([=](bool) { done(); }, [=](caf::error&) { done(); });
}

// Stops everything still running; the targets index what they uploaded.
void abort_all(self_ptr self, const std::string& why, bool cancelled) {
  auto& st = self->state;
  if (st.report.error.empty()) st.report.error = why;
  st.report.cancelled = st.report.cancelled || cancelled;
  *st.stage_cancel = true;
  if (st.current_source < st.sources.size()) self->send(st.sources[st.current_source], atom::stop::value);
  st.pending = 0;
  for (auto& t : st.targets)
    if (t) ++st.pending;
  if (st.pending == 0) return finish(self);
  for (auto& t : st.targets) {
    if (!t) continue;
    self->request(t, timeouts::commit, atom::abort::value)
      .then([=](bool) { if (--self->state.pending == 0) finish(self); },
            [=](caf::error&) { if (--self->state.pending == 0) finish(self); });
  }
}

target_outcome& outcome(self_ptr self, size_t slot) {
  return self->state.report.targets[self->state.plan_index[slot]];
}

void mark_failed(self_ptr self, size_t slot, const std::string& why) {
  auto& st = self->state;
  if (st.failed & (1u << slot)) return;
  st.failed |= 1u << slot;
  outcome(self, slot).error = why;
}

bool all_failed(self_ptr self) {
  auto& st = self->state;
  return st.context->targets.empty() ||
         st.failed == ((1u << st.context->targets.size()) - 1);
}

void start_sources(self_ptr self) {
  auto& st = self->state;
  size_t n = std::max<size_t>(1, st.options.sealers);
  for (size_t i = 0; i < n; ++i) st.sealers.push_back(self->spawn<caf::linked>(sealer));
  std::vector<std::string> names;
  for (size_t i : st.plan_index) names.push_back(st.plan->targets[i]);
  st.plain_targets = 0;
  for (size_t t = 0; t < st.context->targets.size(); ++t)
    if (st.context->targets[t].repo->header().encryption == crypto::encryption::none) st.plain_targets |= 1u << t;
  std::shared_ptr<const catalog::cache_seal> seal;
  if (write_only(self)) {
    auto sealed = std::make_shared<sealed_file_cache>(now_ns());
    for (size_t t = 0; t < st.context->targets.size(); ++t)
      if (const auto& keys = st.context->targets[t].repo->keys()) sealed->add_target(names[t], *keys);
    seal = std::move(sealed);
  }
  auto options_for = [&](const config::source_config& src) {
    source_options o;
    o.walk.plain_targets = st.plain_targets;
    o.walk.plan = st.options.plan;
    o.walk.source = src;
    o.walk.target_names = names;
    o.walk.state_dir = st.options.suite->state_dir;
    o.walk.cache_seal = seal;
    o.walk.chunker = st.options.chunker;
    o.walk.gate = st.options.gate;
    o.walk.readers = st.plan->readers;
    o.context = st.context;
    o.progress = st.options.progress;
    o.catalog = st.options.catalog;
    o.cancel_stage = st.stage_cancel;
    return o;
  };
  for (const auto& src : st.plan->sources) {
    auto o = options_for(src);
    o.sealers = st.sealers;
    st.sources.push_back(self->spawn<caf::linked + caf::detached>(dir_source, o));
  }
  st.roots.assign(st.context->targets.size(), {});
  st.source_errors.assign(st.plan->sources.size(), {});
  if (st.options.scan) {
    for (const auto& src : st.plan->sources) {
      auto o = options_for(src);
      o.walk.cancel_scan = st.scan_cancel;
      auto scanner = self->spawn<caf::linked + caf::detached>(dir_source, o);
      st.scanners.push_back(scanner);
      // Totals only feed the progress line: a failed count changes nothing.
      self->request(scanner, timeouts::scan, atom::scan::value)
        .then(
          [=](source_totals& t) {
            if (self->state.scan_cancel->load()) return;
            self->send(self->state.options.progress, atom::total::value,
                       progress_counters{t.files, t.bytes_to_read, 0, 0, 0});
          },
          [](caf::error&) {});
    }
  }
  run_source(self);
}

// One source failed alone: the run goes on with the others, the checkpoint
// records why (and has no entry for it), and the run is partial.
void source_failed(self_ptr self, const config::source_config& src, const std::string& why) {
  auto& s = self->state;
  s.report.failed_sources.push_back(src.name + ": " + why);
  s.source_errors[s.current_source] = why;
  if (src.resource) {
    repo::resource_manifest m;
    m.name = src.resource->name;
    m.version = src.resource->version;
    m.error = why;
    s.resources.push_back(std::move(m));
    s.sensitive_sizes.emplace_back(0, 0);
  }
  ++s.current_source;
  run_source(self);
}

void run_source(self_ptr self) {
  auto& st = self->state;
  if (st.stopping) return;
  if (st.current_source == st.sources.size()) return commit_targets(self);
  self->send(st.options.progress, atom::set::value, std::string("backing up"), std::string());
  self->request(st.sources[st.current_source], timeouts::run, atom::run::value)
    .then(
      [=](source_result& r) {
        auto& s = self->state;
        const auto& src = s.plan->sources[s.current_source];
        // A resource whose staged files could not all be read is not a
        // consistent copy: it fails alone, like one whose command failed.
        if (r.source_error.empty() && src.resource && !r.skipped.empty())
          r.source_error = src.resource->file.string() + ": resource " + src.name +
                           ": its staged files could not all be read: " + r.skipped.front();
        if (!r.source_error.empty()) return source_failed(self, src, r.source_error);
        for (size_t t = 0; t < s.roots.size(); ++t) {
          if (r.failed & (1u << t)) mark_failed(self, t, r.target_errors[t]);
          s.roots[t].push_back(std::move(r.roots[t]));
        }
        auto& total = s.report.stats;
        total.files += r.stats.files;
        total.dirs += r.stats.dirs;
        total.bytes += r.stats.bytes;
        total.files_new += r.stats.files_new;
        total.files_changed += r.stats.files_changed;
        total.files_unchanged += r.stats.files_unchanged;
        total.files_skipped += r.stats.files_skipped;
        total.bytes_read += r.stats.bytes_read;
        for (auto& sk : r.skipped) s.report.skipped.push_back(std::move(sk));
        if (src.resource) {
          repo::resource_manifest m;
          m.name = src.resource->name;
          m.version = src.resource->version;
          m.metadata = std::move(r.metadata);
          m.files = r.stats.files;
          m.bytes = r.stats.bytes;
          m.left_out = std::move(r.sensitive_found);  // kept only for targets that do not encrypt
          s.resources.push_back(std::move(m));
          s.sensitive_sizes.emplace_back(r.sensitive_files, r.sensitive_bytes);
        }
        ++s.current_source;
        if (all_failed(self)) return abort_all(self, "every target failed", false);
        run_source(self);
      },
      [=](caf::error& e) {
        auto err = from_caf(e);
        abort_all(self, describe(err), err.code() == errc::cancelled);
      });
}

void targets_opened(self_ptr self) {
  auto& st = self->state;
  auto ctx = std::make_shared<seal_context>();
  for (size_t i = 0; i < st.targets.size(); ++i) {
    if (!st.repos[i]) continue;
    ctx->targets.push_back({st.targets[i], st.repos[i]});
    st.plan_index.push_back(i);
  }
  st.context = ctx;
  if (st.stopping) return abort_all(self, "stopped", true);
  if (ctx->targets.empty()) {
    std::string why;
    for (auto& t : st.report.targets) why += (why.empty() ? "" : "; ") + t.error;
    return abort_all(self, why, false);
  }
  // Cut points only affect deduplication, never correctness: chunk with the
  // first target's parameters (targets made by one `init` share them).
  st.options.chunker = ctx->targets.front().repo->header().chunker;
  ctx->zstd_level = ctx->targets.front().repo->header().zstd_level;
  if (st.plan->before.empty()) return start_sources(self);
  // The `before` step (stop a service, flush a database...): failing, no
  // checkpoint; a stop terminates it.
  auto runner = self->spawn<caf::detached>(hook);
  hook_request req{st.plan->before, {{"CAIRN_PLAN", st.options.plan}}, st.stage_cancel};
  self->request(runner, timeouts::run, atom::run::value, req)
    .then(
      [=](hook_outcome& o) {
        auto& s = self->state;
        if (s.stopping) return abort_all(self, "interrupted", true);
        if (o.exit_code != 0)
          return abort_all(self, s.plan->where.str() + ": plan " + s.options.plan + ": the before step `" +
                                   s.plan->before + "` exited with " + std::to_string(o.exit_code) +
                                   (o.error.empty() ? "" : ": " + o.error) + " (nothing backed up)",
                           false);
        start_sources(self);
      },
      [=](caf::error& e) { abort_all(self, "the before step did not run: " + describe(from_caf(e)), false); });
}

void open_targets(self_ptr self) {
  auto& st = self->state;
  size_t n = st.plan->targets.size();
  st.targets.resize(n);
  st.repos.resize(n);
  st.pending = n;
  for (size_t i = 0; i < n; ++i) {
    const auto* cfg = st.options.suite->find_target(st.plan->targets[i]);
    auto backend = make_backend(*cfg);
    if (!backend) {
      st.report.targets[i].error = describe(backend.error());
      if (--st.pending == 0) targets_opened(self);
      continue;
    }
    // Packs are built in a file on this machine's disk (or, on a local target,
    // in the repository's directory), not in memory.
    auto spooled = std::make_shared<targets::spooling_target>(*backend, st.options.suite->state_dir / "spool");
    target_options o{cfg->name, spooled, st.options.keyring, st.options.progress, {}, "backup of plan " + st.options.plan};
    o.connections = default_connections(*cfg);
    o.gate = st.options.gate;
    o.stored_ids_dir = repo::stored_ids_dir(st.options.suite->state_dir);
    o.upload_marks_dir = repo::upload_marks_dir(st.options.suite->state_dir);
    st.targets[i] = self->spawn<caf::linked + caf::detached>(target, o);
    self->request(st.targets[i], timeouts::open, atom::open::value, open_mode::write)
      .then(
        [=](open_result& r) {
          self->state.repos[i] = r.repo;
          if (--self->state.pending == 0) targets_opened(self);
        },
        [=](caf::error& e) {
          self->state.report.targets[i].error = describe(from_caf(e));
          self->send_exit(self->state.targets[i], caf::exit_reason::user_shutdown);
          self->state.targets[i] = nullptr;
          if (--self->state.pending == 0) targets_opened(self);
        });
  }
}

}  // namespace plan_steps

using namespace plan_steps;

catalog::run_status status_of(const plan_report& r) {
  using catalog::run_status;
  bool any = std::any_of(r.targets.begin(), r.targets.end(), [](auto& t) { return t.committed; });
  bool all = any && std::all_of(r.targets.begin(), r.targets.end(), [](auto& t) { return t.committed; });
  if (r.cancelled) return run_status::cancelled;
  if (!any) return run_status::failed;
  if (!all || !r.failed_sources.empty()) return run_status::partial;
  return r.skipped.empty() ? run_status::ok : run_status::skipped;
}

plan_runner_actor::behavior_type plan_runner(self_ptr self, plan_options options) {
  self->state.options = std::move(options);
  self->state.plan = self->state.options.suite->find_plan(self->state.options.plan);
  return {
    [=](atom::run) -> caf::result<plan_report> {
      auto& st = self->state;
      st.promise = self->make_response_promise<plan_report>();
      st.started = std::chrono::steady_clock::now();
      st.report.plan = st.options.plan;
      st.report.time_ns = now_ns();
      for (const auto& t : st.plan->targets) st.report.targets.push_back({t, false, "", "", {}});
      auto lock = fs::process_lock::acquire(st.options.suite->state_dir / "locks" / ("plan-" + st.options.plan + ".lock"),
                                            "plan " + st.options.plan);
      if (!lock) {
        st.report.error = describe(lock.error());
        auto rp = *st.promise;
        finish(self);
        return rp;
      }
      st.lock = std::move(*lock);
      self->request(st.options.catalog, timeouts::catalog, atom::begin::value, st.options.plan)
        .then([=](int64_t id) { self->state.run_id = id; open_targets(self); },
              [=](caf::error& e) { abort_all(self, describe(from_caf(e)), false); });
      return *st.promise;
    },
    [=](atom::stop) {
      auto& st = self->state;
      if (st.stopping) return;
      st.stopping = true;
      *st.stage_cancel = true;  // a running before step or staging command
      if (st.committing) return cancel_commits(self);  // past the point of no return a commit finishes
      if (st.context && !st.sources.empty()) abort_all(self, "interrupted", true);  // else: targets_opened or the before step stops
    },
  };
}

}  // namespace cairn::actors
