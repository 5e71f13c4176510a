#include "actors/target.hpp"

#include "actors/error.hpp"
#include "actors/timeouts.hpp"
#include "crypto/secret.hpp"
#include "recovery/suite_state.hpp"
#include "repo/stored_ids.hpp"

namespace cairn::actors {

namespace {

using self_ptr = target_actor::stateful_pointer<target_state>;

error here(self_ptr self, const error& e) { return e.with_context(self->state.options.name); }

void fail_session(self_ptr self, error e) {
  auto& st = self->state;
  if (!st.failure) st.failure = e;
  for (auto& rp : st.held) rp.deliver(to_caf(e));
  st.held.clear();
  st.queue.clear();
  if (st.committing) {
    st.committing->deliver(to_caf(e));
    st.committing.reset();
  }
  if (st.flushing) {
    st.flushing->deliver(to_caf(e));
    st.flushing.reset();
  }
}

// Writes an index file for the packs uploaded since the last one, so an
// interrupted run leaves them indexed (load_index would also recover them).
status write_pending_index(self_ptr self) {
  auto& st = self->state;
  if (st.unindexed.empty()) return {};
  auto id = st.repo->write_index(st.unindexed);
  if (!id) return fail(here(self, id.error()));
  if (!st.stored_ids.empty()) {
    // A write-only machine cannot read the index back: it records what it stored.
    repo::stored_ids_record record{*id, {}};
    for (const auto& p : st.unindexed)
      for (const auto& b : p.blobs) record.blobs.push_back(b.id);
    if (auto ok = repo::append_stored_ids(st.stored_ids, record); !ok) return fail(here(self, ok.error()));
  }
  st.unindexed.clear();
  return {};
}

void release_held(self_ptr self) {
  auto& st = self->state;
  while (!st.held.empty() && st.queue.size() <= st.options.max_queued_packs) {
    st.held.front().deliver(true);
    st.held.pop_front();
  }
}

// Whether our lock still protects what we uploaded: after lock_grace without
// a refresh, others may take it for stale and prune our packs.
status lock_still_ours(self_ptr self) {
  auto& st = self->state;
  if (!st.lock || std::chrono::steady_clock::now() - st.lock_refreshed < st.options.lock_grace) return {};
  auto minutes = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - st.lock_refreshed);
  return fail(errc::locked, "the lock could not be refreshed for " + std::to_string(minutes.count()) + " s (" +
                              (st.lock_error ? st.lock_error->message() : std::string("no reason given")) +
                              "): others may take it for stale and delete what this run uploaded, so nothing is committed");
}

void finish_commit(self_ptr self) {
  auto& st = self->state;
  if (auto held = lock_still_ours(self); !held) return fail_session(self, here(self, held.error()));
  if (auto idx = write_pending_index(self); !idx) return fail_session(self, idx.error());
  if (st.mark) st.mark->drop();  // every pack of the run is in an index file
  st.pending.stats.blobs_new = st.stats.blobs_new;
  st.pending.stats.bytes_new = st.stats.bytes_new;
  st.pending.stats.bytes_stored = st.stats.bytes_stored;
  st.pending.stats.bytes_uploaded = st.stats.bytes_uploaded;
  auto id = st.repo->write_checkpoint(st.pending);  // the commit point
  if (!id) return fail_session(self, here(self, id.error()));
  if (st.lock) (void)st.lock->release();
  st.committing->deliver(commit_result{*id, st.pending});
  st.committing.reset();
}

// Called whenever an upload ends: completes a pending commit or abort.
void maybe_finish(self_ptr self) {
  auto& st = self->state;
  if (st.in_flight > 0 || !st.queue.empty()) return;
  if (st.flushing && !st.failure) {
    if (auto idx = write_pending_index(self); !idx) return fail_session(self, idx.error());
    st.flushing->deliver(true);
    st.flushing.reset();
  }
  if (st.committing && !st.failure) finish_commit(self);
  if (st.aborting) {
    if (write_pending_index(self) && st.mark) st.mark->drop();
    if (st.lock) (void)st.lock->release();
    st.aborting->deliver(true);
    st.aborting.reset();
  }
}

void dispatch(self_ptr self) {
  auto& st = self->state;
  if (st.options.gate && st.options.gate->paused() && !st.aborting) {
    if (!st.recheck_pending) {
      st.recheck_pending = true;
      self->delayed_send(self, std::chrono::milliseconds(250), atom::resume::value);
    }
    return;
  }
  while (!st.idle.empty() && !st.queue.empty()) {
    auto up = st.idle.back();
    st.idle.pop_back();
    auto pack = st.queue.front();
    st.queue.pop_front();
    ++st.in_flight;
    self->request(up, timeouts::upload, atom::upload::value, upload_job{pack})
      .then(
        [=](bool) {
          auto& s = self->state;
          --s.in_flight;
          s.idle.push_back(up);
          s.unindexed.push_back(pack->record);
          const uint64_t sent = pack->record.size;
          s.stats.bytes_uploaded += sent;
          // Nobody else holds the pack now (the uploader replied): reuse its buffer.
          auto& writer = pack->record.blobs.empty() || pack->record.blobs.front().type == repo::blob_type::data
                           ? s.data_packs : s.tree_packs;
          if (!pack->bytes.empty()) writer->recycle(std::move(const_cast<repo::finished_pack&>(*pack).bytes));
          if (s.options.progress)
            self->send(s.options.progress, atom::add::value, s.options.name, sent);
          if (s.unindexed.size() >= s.options.packs_per_index)
            if (auto idx = write_pending_index(self); !idx) fail_session(self, idx.error());
          release_held(self);
          dispatch(self);
          maybe_finish(self);
        },
        [=](caf::error& e) {
          auto& s = self->state;
          --s.in_flight;
          s.idle.push_back(up);
          fail_session(self, here(self, from_caf(e)));
          maybe_finish(self);
        });
  }
}

// Finishes the pack `w` is building and queues it for upload.
status enqueue(self_ptr self, repo::pack_writer& w) {
  auto pack = w.finish();
  if (!pack) return fail(here(self, pack.error()));
  // Not const itself: its buffer is taken back for reuse once uploaded.
  self->state.queue.push_back(std::make_shared<repo::finished_pack>(std::move(*pack)));
  dispatch(self);
  return {};
}

// The packs still being filled are finished and queued for upload.
status finish_packs(self_ptr self) {
  auto& st = self->state;
  if (!st.data_packs->empty()) CAIRN_TRY(enqueue(self, *st.data_packs));
  if (!st.tree_packs->empty()) CAIRN_TRY(enqueue(self, *st.tree_packs));
  return {};
}

// After the keyring unlocked the keys: opens, loads the index, locks.
expected<open_result> open_with(self_ptr self, repo::repository_header header,
                                crypto::key_ptr keys, open_mode mode) {
  auto& st = self->state;
  CAIRN_ASSIGN(st.repo, repo::repository::open(st.options.backend, std::move(header), keys));
  bool writing = mode == open_mode::write;
  open_result out{st.repo, false, {}, {}};
  if (writing) {
    CAIRN_ASSIGN(st.lock, st.repo->lock(false, st.options.purpose));
    st.lock_refreshed = std::chrono::steady_clock::now();
    self->delayed_send(self, st.options.lock_refresh, atom::refresh::value);
  }
  // init on a write-only machine: the repository exists, there is nothing it could read.
  if (mode == open_mode::state || (mode == open_mode::create && !st.repo->cipher().can_read())) return out;
  if (writing && !st.repo->cipher().can_read()) {
    // Write-only: dedup against this machine's record of what it stored, for
    // the index files the target still lists.
    if (st.options.stored_ids_dir.empty())
      return fail(errc::invalid_input, "a write-only repository needs a state directory for its stored-blob record");
    st.stored_ids = repo::stored_ids_file(st.options.stored_ids_dir, st.repo->header().repository_id);
    CAIRN_ASSIGN(auto listed, st.repo->list_index_files());
    std::unordered_set<object_id> live(listed.begin(), listed.end());
    CAIRN_ASSIGN(auto known, repo::load_stored_ids(st.stored_ids, live));
    st.repo->index().add_known(known);
  } else {
    // A backup indexes the packs a killed run left (their blobs are not
    // stored again), listing every pack: only after a run that marked the
    // repository died, when this machine keeps marks.
    const auto& marks = st.options.upload_marks_dir;
    const auto& id = st.repo->header().repository_id;
    bool scan = writing && (marks.empty() || repo::interrupted_uploads(marks, id));
    CAIRN_ASSIGN(auto report, st.repo->load_index(scan, scan));
    out.warnings = std::move(report.warnings);
    if (scan && !marks.empty()) repo::clear_interrupted_uploads(marks, id);
    if (writing && !marks.empty()) {
      // Before the first pack: a run killed from here on leaves the mark.
      // Without it (the state directory cannot be written) a killed run's
      // packs wait for the next prune, as another machine's do.
      if (auto m = repo::upload_mark::make(marks, id)) st.mark.emplace(std::move(*m));
    }
  }
  if (writing) {
    // Packs go onto the target as they are built where it can take them so
    // (a local directory): none is then held in memory.
    auto* stream_to = st.repo->target().get();
    st.data_packs = std::make_unique<repo::pack_writer>(st.repo->cipher(), st.repo->header().pack_size, stream_to);
    st.tree_packs = std::make_unique<repo::pack_writer>(st.repo->cipher(), st.repo->header().pack_size, stream_to);
    for (size_t i = 0; i < st.options.connections; ++i)
      st.idle.push_back(self->spawn<caf::linked + caf::detached>(uploader, st.repo));
  }
  return out;
}

caf::result<open_result> create_repository(self_ptr self) {
  auto rp = self->make_response_promise<open_result>();
  auto id = to_hex(crypto::random_bytes(16));
  self->request(self->state.options.keyring, timeouts::unlock, atom::create::value, id)
    .then(
      [=](new_keys& k) mutable {
        auto opts = self->state.options.create;
        opts.repository_id = id;
        opts.encryption = k.encryption;
        auto r = repo::repository::create(self->state.options.backend, opts, k.keys, std::move(k.slots));
        if (!r) {
          rp.deliver(to_caf(here(self, r.error())));
          return;
        }
        self->state.repo = *r;
        rp.deliver(open_result{*r, true, {}, {}});
      },
      [=](caf::error& e) mutable { rp.deliver(e); });
  return rp;
}

}  // namespace

target_actor::behavior_type target(self_ptr self, target_options options) {
  self->state.options = std::move(options);
  return {
    [=](atom::open, open_mode mode) -> caf::result<open_result> {
      auto header = repo::repository::read_header(*self->state.options.backend);
      if (!header && header.error().code() == errc::not_found && mode == open_mode::create)
        return create_repository(self);
      if (!header) return to_caf(here(self, header.error()));
      auto rp = self->make_response_promise<open_result>();
      unlock_request req{self->state.options.name, header->repository_id, header->encryption,
                         header->key_slots, header->public_key};
      self->request(self->state.options.keyring, timeouts::unlock, atom::unlock::value, req)
        .then(
          [=](key_handle& k) mutable {
            auto r = open_with(self, *header, k.keys, mode);
            if (r) r->slot = k.slot;
            if (!r) {
              rp.deliver(to_caf(here(self, r.error())));
              return;
            }
            rp.deliver(std::move(*r));
          },
          [=](caf::error& e) mutable { rp.deliver(e); });
      return rp;
    },
    [=](atom::store, blob_store_request& req) -> caf::result<bool> {
      auto& st = self->state;
      if (st.failure) return to_caf(*st.failure);
      if (!st.data_packs) return to_caf(here(self, error{errc::invalid_input, "not opened for writing"}));
      auto& w = req.type == repo::blob_type::tree ? *st.tree_packs : *st.data_packs;
      auto failed = [&](const error& e) {
        fail_session(self, e);
        return to_caf(e);
      };
      if (w.would_overflow(req.encoded->size()))
        if (auto q = enqueue(self, w); !q) return failed(q.error());
      size_t before = w.size();
      if (auto added = w.add(req.type, req.id, req.encoded->view(), req.raw_length); !added)
        return failed(here(self, added.error()));
      st.stats.blobs_new += 1;
      st.stats.bytes_new += req.raw_length;
      st.stats.bytes_stored += w.size() - before;
      if (w.full())
        if (auto q = enqueue(self, w); !q) return failed(q.error());
      if (st.queue.size() <= st.options.max_queued_packs) return true;
      auto rp = self->make_response_promise<bool>();
      st.held.push_back(rp);
      return rp;
    },
    [=](atom::flush) -> caf::result<bool> {
      auto& st = self->state;
      if (st.failure) return to_caf(*st.failure);
      if (st.aborted) return to_caf(error{errc::cancelled, "stopped"});
      if (!st.data_packs) return to_caf(here(self, error{errc::invalid_input, "not opened for writing"}));
      if (st.flushing || st.committing) return to_caf(here(self, error{errc::invalid_input, "a flush or commit is under way"}));
      if (auto f = finish_packs(self); !f) {
        fail_session(self, f.error());
        return to_caf(f.error());
      }
      auto rp = self->make_response_promise<bool>();
      st.flushing = rp;
      maybe_finish(self);
      return rp;
    },
    [=](atom::commit, commit_request& req) -> caf::result<commit_result> {
      auto& st = self->state;
      if (st.failure) return to_caf(*st.failure);
      if (st.aborted) return to_caf(error{errc::cancelled, "stopped"});
      if (!st.data_packs) return to_caf(here(self, error{errc::invalid_input, "not opened for writing"}));
      if (st.flushing || st.committing) return to_caf(here(self, error{errc::invalid_input, "a flush or commit is under way"}));
      if (auto f = finish_packs(self); !f) {
        fail_session(self, f.error());
        return to_caf(f.error());
      }
      st.pending = std::move(req.checkpoint);
      auto rp = self->make_response_promise<commit_result>();
      st.committing = rp;
      maybe_finish(self);
      return rp;
    },
    [=](atom::abort) -> caf::result<bool> {
      auto& st = self->state;
      st.aborted = true;
      st.queue.clear();  // finished but not yet uploading: dropped
      for (auto& rp : st.held) rp.deliver(to_caf(error{errc::cancelled, "stopped"}));
      st.held.clear();
      if (st.flushing) {  // a flush waiting for uploads: the run no longer wants it
        st.flushing->deliver(to_caf(error{errc::cancelled, "stopped"}));
        st.flushing.reset();
      }
      auto rp = self->make_response_promise<bool>();
      st.aborting = rp;
      maybe_finish(self);
      return rp;
    },
    [=](atom::record, const suite_object& o) -> caf::result<bool> {
      auto st = recovery::write_suite_state(*self->state.options.backend, o.bytes->view(), o.time_ns, o.keep);
      if (!st) return to_caf(here(self, st.error()));
      return true;
    },
    [=](atom::resume) {
      self->state.recheck_pending = false;
      dispatch(self);
      maybe_finish(self);
    },
    [=](atom::refresh) {
      auto& st = self->state;
      if (!st.lock) return;
      if (auto r = st.lock->refresh(); r) {
        st.lock_refreshed = std::chrono::steady_clock::now();
        st.lock_error.reset();
      } else {
        st.lock_error = r.error();
        if (auto held = lock_still_ours(self); !held) fail_session(self, here(self, held.error()));
      }
      self->delayed_send(self, st.options.lock_refresh, atom::refresh::value);
    },
  };
}

uploader_actor::behavior_type uploader(uploader_actor::pointer self,
                                       std::shared_ptr<repo::repository> repo) {
  return {
    [=](atom::upload, const upload_job& job) -> caf::result<bool> {
      auto st = repo->store_pack(*job.pack);
      if (!st) return to_caf(st.error());
      return true;
    },
  };
}

}  // namespace cairn::actors
