#include "actors/plan_runner.hpp"

#include "actors/hook.hpp"
#include "actors/keyring.hpp"

#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "actors/dir_source.hpp"
#include "actors/error.hpp"
#include "actors/sealer.hpp"
#include "actors/target.hpp"
#include "actors/timeouts.hpp"
#include "base/clock.hpp"
#include "base/version.hpp"
#include "crypto/secret.hpp"
#include "recovery/suite_state.hpp"
#include "repo/stored_ids.hpp"
#include "actors/backends.hpp"

namespace cairn::actors {

namespace {

using self_ptr = plan_runner_actor::stateful_pointer<plan_runner_state>;

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string user_name() {
  struct passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : std::to_string(geteuid());
}

void run_source(self_ptr self);
void source_failed(self_ptr self, const config::source_config& src, const std::string& why);
void commit_targets(self_ptr self);
void slot_ended(self_ptr self);
void write_suite_states(self_ptr self);

void finish_now(self_ptr self);
void notify_failure(self_ptr self);

// After a failed or partial run: the plan's (or the suite's) on_failure
// command, so people hear of it without watching. Its own failure is a warning.
void notify_failure(self_ptr self) {
  auto& st = self->state;
  auto status = run_status(st.report);
  const auto& command = st.plan->on_failure.empty() ? st.options.suite->on_failure : st.plan->on_failure;
  if (command.empty() || st.failure_notified || (status != "failed" && status != "partial")) return finish_now(self);
  st.failure_notified = true;
  std::string targets, error = st.report.error;
  for (const auto& t : st.report.targets)
    if (!t.committed) {
      targets += (targets.empty() ? "" : ",") + t.target;
      if (error.empty()) error = t.target + ": " + t.error;
    }
  auto runner = self->spawn<caf::detached>(hook);
  hook_request req{command,
                   {{"CAIRN_PLAN", st.options.plan}, {"CAIRN_RUN_STATUS", status}, {"CAIRN_FAILED_TARGETS", targets},
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

// Records the run's outcome, releases the plan lock and replies; first runs
// the plan's `after` step, whatever the outcome (it may restart a service
// that `before` stopped), then on_failure when the run failed.
void finish(self_ptr self) {
  auto& st = self->state;
  *st.scan_cancel = true;
  if (!st.promise) return;
  // Not when this run never got the plan's lock: another run of the plan is
  // under way, and its own after step will follow its before step.
  if (st.plan->after.empty() || st.after_started || !st.lock) return notify_failure(self);
  st.after_started = true;
  auto runner = self->spawn<caf::detached>(hook);
  hook_request req{st.plan->after, {{"CAIRN_PLAN", st.options.plan}, {"CAIRN_RUN_STATUS", run_status(st.report)}}, {}};
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
  if (write_only(self)) return {st.run_id, st.options.plan, 0, now_ns(), run_status(r), repo::encode_stats({}), ""};
  auto cost = r.stats;
  for (const auto& t : r.targets) {
    cost.bytes_uploaded += t.stats.bytes_uploaded;
    cost.bytes_stored += t.stats.bytes_stored;
  }
  // A partial run names its failed sources, for `cairn runs` and the API.
  std::string error = r.error;
  for (const auto& f : r.failed_sources)
    if (r.error.empty()) error += (error.empty() ? "source " : "; source ") + f;
  return {st.run_id, st.options.plan, 0, now_ns(), run_status(r), repo::encode_stats(cost), error};
}

void finish_now(self_ptr self) {
  auto& st = self->state;
  if (!st.promise) return;
  auto row = run_row_now(self);
  if (st.run_id != 0) caf::anon_send(st.options.catalog, atom::finish::value, row);
  // Explicitly: a target's pending lock-refresh timer would keep it alive.
  for (auto& s : st.sources) self->send_exit(s, caf::exit_reason::user_shutdown);
  for (auto& s : st.sealers) self->send_exit(s, caf::exit_reason::user_shutdown);
  for (auto& t : st.targets)
    if (t) self->send_exit(t, caf::exit_reason::user_shutdown);
  for (auto& t : st.state_only) self->send_exit(t, caf::exit_reason::user_shutdown);
  st.lock.reset();
  st.promise->deliver(std::move(st.report));
  st.promise.reset();
  self->quit();
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
  auto options_for = [&](const config::source_config& src) {
    source_options o;
    o.plain_targets = st.plain_targets;
    o.plan = st.options.plan;
    o.source = src;
    o.target_names = names;
    o.context = st.context;
    o.progress = st.options.progress;
    o.catalog = st.options.catalog;
    o.state_dir = st.options.suite->state_dir;
    o.file_cache = !write_only(self);
    o.chunker = st.options.chunker;
    o.cancel_stage = st.stage_cancel;
    o.gate = st.options.gate;
    o.readers = st.plan->readers;
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
      o.cancel_scan = st.scan_cancel;
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

repo::checkpoint draft(self_ptr self, size_t slot, const object_id& tree, const std::string& parent) {
  auto& st = self->state;
  repo::checkpoint c;
  c.plan = st.options.plan;
  c.host = host_name();
  c.user = user_name();
  c.time_ns = st.report.time_ns;
  if (auto p = object_id::parse(parent)) c.parent = *p;
  c.tree = tree;
  for (size_t i = 0; i < st.plan->sources.size(); ++i) {
    const auto& s = st.plan->sources[i];
    c.sources.push_back({s.name, std::string(config::to_string(s.type)),
                         s.type == config::source_type::command ? s.command
                         : s.resource                           ? s.resource->file.string()
                                                                : s.path.string(),
                         s.post_restore, i < st.source_errors.size() ? st.source_errors[i] : std::string()});
  }
  c.program = std::string("cairn ") + program_version;
  for (size_t i = 0; i < st.resources.size(); ++i) {
    auto m = st.resources[i];
    if ((st.plain_targets & (1u << slot)) && !m.left_out.empty()) {
      m.left_out_reason = "sensitive: this target does not encrypt (key mode none)";
      m.files -= std::min(m.files, st.sensitive_sizes[i].first);
      m.bytes -= std::min(m.bytes, st.sensitive_sizes[i].second);
    } else {
      m.left_out.clear();
    }
    c.resources.push_back(std::move(m));
  }
  c.stats = st.report.stats;
  c.stats.duration_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now() - st.started).count();
  return c;
}

void committed(self_ptr self, size_t slot, const commit_result& r) {
  auto& st = self->state;
  auto& out = outcome(self, slot);
  out.committed = true;
  out.checkpoint_id = r.id.hex();
  out.stats = r.checkpoint.stats;
  if (write_only(self)) {
    --st.pending;
    return slot_ended(self);
  }
  catalog::checkpoint_row row{out.checkpoint_id, out.target, st.options.plan, r.checkpoint.time_ns,
                              r.checkpoint.host, r.checkpoint.parent ? r.checkpoint.parent->hex() : "",
                              r.checkpoint.tree.hex(), r.checkpoint.stats.files, r.checkpoint.stats.bytes,
                              repo::encode_stats(out.stats), repo::encode_catalog_sources(r.checkpoint)};
  self->request(st.options.catalog, timeouts::catalog, atom::record::value, row)
    .then([=](bool) { --self->state.pending; slot_ended(self); },
          [=](caf::error& e) {
            outcome(self, slot).error = "committed, but the catalog could not record it: " + describe(from_caf(e));
            --self->state.pending;
            slot_ended(self);
          });
}

// One slot's commit ended (committed, failed or abandoned): once every slot's
// has and the abandoned targets indexed their last uploads, the suite state
// goes to the targets that committed.
void slot_ended(self_ptr self) {
  auto& st = self->state;
  if (st.pending > 0 || st.aborts_pending > 0) return;
  write_suite_states(self);
}

// A cancel reached this slot before its point of no return: no checkpoint;
// what it uploaded stays (indexed) for the next run.
void abandon_slot(self_ptr self, size_t slot) {
  auto& st = self->state;
  if (!(st.abandoned & (1u << slot))) {
    st.abandoned |= 1u << slot;
    st.report.cancelled = true;
    if (st.report.error.empty()) st.report.error = "interrupted";
    outcome(self, slot).error = "cancelled before its checkpoint was written (what it uploaded stays for the next run)";
  }
  --st.pending;
  slot_ended(self);
}

// A cancel while committing: every target not past its point of no return
// stops (uploads in flight finish and are indexed, queued packs are dropped);
// the others' checkpoint writes finish, each one object write.
void cancel_commits(self_ptr self) {
  auto& st = self->state;
  for (size_t t = 0; t < st.context->targets.size(); ++t) {
    if ((st.failed | st.past_commit_point) & (1u << t)) continue;
    ++st.aborts_pending;
    self->request(st.context->targets[t].actor, timeouts::commit, atom::abort::value)
      .then([=](bool) { --self->state.aborts_pending; slot_ended(self); },
            [=](caf::error&) { --self->state.aborts_pending; slot_ended(self); });
  }
  if (st.past_commit_point != 0 && st.aborts_pending == 0)
    st.report.warnings.push_back("the cancel came after the checkpoint writes had started: they stand");
}

// Stores the root tree (one entry per source), uploads and indexes what the
// target still holds, then commits the checkpoint. Until that last request is
// sent a cancel abandons the slot; after it, the commit finishes.
void commit_target(self_ptr self, size_t slot, const std::string& parent) {
  auto& st = self->state;
  if (st.stopping) return abandon_slot(self, slot);
  repo::tree root;
  root.nodes = st.roots[slot];
  repo::sort_nodes(root.nodes);
  seal_job job{make_chunk(repo::encode_tree(root)), st.context, 1u << slot, repo::blob_type::tree};
  auto fail_slot = [=](caf::error& e) {
    if (self->state.stopping && !(self->state.past_commit_point & (1u << slot))) return abandon_slot(self, slot);
    mark_failed(self, slot, describe(from_caf(e)));
    --self->state.pending;
    slot_ended(self);
  };
  auto target = st.context->targets[slot].actor;
  self->request(st.sealers[slot % st.sealers.size()], timeouts::seal, atom::seal::value, job)
    .then(
      [=](seal_result& r) {
        if (self->state.stopping) return abandon_slot(self, slot);
        if (r.failed) {
          mark_failed(self, slot, r.errors[slot]);
          --self->state.pending;
          return slot_ended(self);
        }
        commit_request req{draft(self, slot, r.ids[slot], parent)};
        self->request(target, timeouts::commit, atom::flush::value)
          .then(
            [=](bool) {
              auto& s = self->state;
              if (s.stopping) return abandon_slot(self, slot);
              s.past_commit_point |= 1u << slot;  // the point of no return
              self->request(target, timeouts::commit, atom::commit::value, req)
                .then([=](commit_result& c) { committed(self, slot, c); }, fail_slot);
            },
            fail_slot);
      },
      fail_slot);
}

void commit_targets(self_ptr self) {
  auto& st = self->state;
  *st.scan_cancel = true;  // a count still walking is of no use now
  st.committing = true;
  self->send(st.options.progress, atom::set::value, std::string("committing"), std::string());
  st.pending = 0;
  for (size_t t = 0; t < st.context->targets.size(); ++t)
    if (!(st.failed & (1u << t))) ++st.pending;
  if (st.pending == 0) return finish(self);
  for (size_t t = 0; t < st.context->targets.size(); ++t) {
    if (st.failed & (1u << t)) continue;
    const auto& name = st.plan->targets[st.plan_index[t]];
    self->request(st.options.catalog, timeouts::catalog, atom::list::value, st.options.plan, name)
      .then(
        [=](std::vector<catalog::checkpoint_row>& rows) {
          commit_target(self, t, rows.empty() ? std::string() : rows.front().id);
        },
        [=](caf::error&) { commit_target(self, t, std::string()); });
  }
}

// After every run: the suite's own state (catalog, YAML) to every target that
// committed, sealed by the keyring with that repository's keys.
void store_suite_state(self_ptr self, const std::string& name, target_actor target,
                       const repo::repository& repo, std::shared_ptr<const recovery::suite_payload> payload) {
  auto& st = self->state;
  recovery::suite_state_header h;
  h.suite_id = payload->suite_id;
  h.host = host_name();
  h.time_ns = now_ns();
  h.repository_id = repo.header().repository_id;
  h.encryption = repo.header().encryption;
  h.key_slots = repo.header().key_slots;
  auto warn = [=](caf::error& e) {
    self->state.report.warnings.push_back("the suite state could not be written to target " + name +
                                          ": " + describe(from_caf(e)));
    if (--self->state.pending == 0) finish(self);
  };
  size_t keep = st.options.suite->suite_state_keep;
  self->request(st.options.keyring, timeouts::commit, atom::seal::value,
                suite_seal_request{h, payload, repo.keys()})
    .then(
      [=](chunk_ptr& bytes) {
        self->request(target, timeouts::commit, atom::record::value, suite_object{bytes, h.time_ns, keep})
          .then([=](bool) { if (--self->state.pending == 0) finish(self); }, warn);
      },
      warn);
}

void store_elsewhere(self_ptr self, const config::target_config& cfg,
                     std::shared_ptr<const recovery::suite_payload> payload) {
  auto& st = self->state;
  auto warn = [=, name = cfg.name](const std::string& why) {
    self->state.report.warnings.push_back("the suite state could not be written to target " + name + ": " + why);
    if (--self->state.pending == 0) finish(self);
  };
  auto backend = make_backend(cfg);
  if (!backend) return warn(describe(backend.error()));
  target_options o{cfg.name, *backend, st.options.keyring, progress_actor{}, {}, "suite state"};
  auto actor = self->spawn<caf::linked + caf::detached>(target, o);
  st.state_only.push_back(actor);
  self->request(actor, timeouts::open, atom::open::value, open_mode::state)
    .then([=, name = cfg.name](open_result& r) { store_suite_state(self, name, actor, *r.repo, payload); },
          [=](caf::error& e) { warn(describe(from_caf(e))); });
}

void write_suite_states(self_ptr self) {
  auto& st = self->state;
  std::vector<size_t> slots;
  for (size_t t = 0; t < st.context->targets.size(); ++t)
    if (outcome(self, t).committed) slots.push_back(t);
  if (slots.empty()) return finish(self);
  auto fail_all = [=](caf::error& e) {
    self->state.report.warnings.push_back("no suite state was written: " + describe(from_caf(e)));
    finish(self);
  };
  self->request(st.options.catalog, timeouts::catalog, atom::get::value, std::string("suite_id"))
    .then(
      [=](std::string& suite_id) {
        if (suite_id.empty()) {  // a catalog from before suite states: name the suite now
          suite_id = to_hex(crypto::random_bytes(16));
          caf::anon_send(self->state.options.catalog, atom::set::value, std::string("suite_id"), suite_id);
        }
        // The suite state records this run as it ends (its catalog row says running until then).
        self->request(self->state.options.catalog, timeouts::catalog, atom::snapshot::value, run_row_now(self))
          .then(
            [=](chunk_ptr& catalog) {
              auto payload = std::make_shared<recovery::suite_payload>();
              payload->suite_id = suite_id;
              payload->yaml = self->state.options.suite->text;
              payload->catalog.assign(catalog->data(), catalog->data() + catalog->size());
              payload->credentials = target_credentials(*self->state.options.suite);
              if (write_only(self)) {
                // Sealed to the public key like the rest: bootstrap --private-key
                // gives a new machine the writer key, so it goes on backing up.
                std::ifstream in(writer_key_file(self->state.options.suite->state_dir), std::ios::binary);
                std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
                if (!text.empty())
                  payload->credentials[std::string(recovery::writer_key_credential)] = byte_buffer(text.begin(), text.end());
                explicit_bzero(text.data(), text.size());
              }
              auto& s = self->state;
              // Every target of the suite: this plan's, and the others (a
              // target that cannot be reached is a warning, not a failure).
              std::vector<const config::target_config*> others;
              for (const auto& t : s.options.suite->targets)
                if (std::find(s.plan->targets.begin(), s.plan->targets.end(), t.name) == s.plan->targets.end())
                  others.push_back(&t);
              s.pending = slots.size() + others.size();
              for (size_t t : slots)
                store_suite_state(self, outcome(self, t).target, s.context->targets[t].actor,
                                  *s.context->targets[t].repo, payload);
              for (const auto* t : others) store_elsewhere(self, *t, payload);
            },
            fail_all);
      },
      fail_all);
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
    target_options o{cfg->name, *backend, st.options.keyring, st.options.progress, {}, "backup of plan " + st.options.plan};
    o.connections = default_connections(*cfg);
    o.gate = st.options.gate;
    o.stored_ids_dir = repo::stored_ids_dir(st.options.suite->state_dir);
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

}  // namespace

std::string run_status(const plan_report& r) {
  bool any = std::any_of(r.targets.begin(), r.targets.end(), [](auto& t) { return t.committed; });
  bool all = any && std::all_of(r.targets.begin(), r.targets.end(), [](auto& t) { return t.committed; });
  if (r.cancelled) return "cancelled";
  if (!any) return "failed";
  if (!all || !r.failed_sources.empty()) return "partial";
  return r.skipped.empty() ? "ok" : "skipped";
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
