// Committing a plan's run: the root tree, then each target's checkpoint (a
// cancel abandons every target not yet past its point of no return), then
// the suite-state backups. See plan_steps.hpp.
#include "actors/plan_steps.hpp"

#include <pwd.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "actors/backends.hpp"
#include "actors/error.hpp"
#include "actors/keyring.hpp"
#include "actors/sealer.hpp"
#include "actors/target.hpp"
#include "actors/timeouts.hpp"
#include "base/clock.hpp"
#include "base/version.hpp"
#include "recovery/suite_state.hpp"
#include "repo/stored_ids.hpp"

namespace cairn::actors::plan_steps {

namespace {

std::string host_name() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string user_name() {
  struct passwd* pw = getpwuid(geteuid());
  return pw ? pw->pw_name : std::to_string(geteuid());
}

}  // namespace

void slot_ended(self_ptr self);
void write_suite_states(self_ptr self);

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
    c.sources.push_back({s.name, s.type,
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

}  // namespace cairn::actors::plan_steps
