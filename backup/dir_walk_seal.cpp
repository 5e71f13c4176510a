// The walk's second half: what happens to a file once read. Its chunks go
// to the sink to be sealed (within the window), a file is complete when every
// chunk is sealed, a directory when its files and subdirectories are: its
// tree is then encoded and sealed per target, and the root's ends the walk.
#include "backup/dir_walk.hpp"

namespace cairn::backup {

namespace {

// True when a directory's new cache rows equal what the catalog holds already,
// so the write can be skipped (the common case of a backup with few changes).
bool same_as_cached(const std::vector<catalog::cache_entry>& fresh, const cached_rows& cached) {
  if (fresh.size() != cached.size()) return false;
  for (const auto& e : fresh) {
    const auto* found = cached.find(e.name);
    if (!found) return false;
    const auto& c = *found;
    if (c.size != e.size || c.mtime_ns != e.mtime_ns || c.ctime_ns != e.ctime_ns ||
        c.inode != e.inode || c.chunks != e.chunks || c.xattrs != e.xattrs)
      return false;
  }
  return true;
}

}  // namespace

void dir_walk::drain() {
  if (!pool_ || stopped_) return;
  for (auto& e : pool_->take()) {
    auto it = reading_.find(e.id);
    if (it == reading_.end()) continue;
    auto* file = it->second;
    if (e.last) {
      reading_.erase(it);
      finish_reading(file, e);
      if (stopped_) return;
      continue;
    }
    result_.stats.bytes_read += e.data->size();
    progress_.bytes += e.data->size();
    emit(file, std::move(e.data));
  }
}

void dir_walk::finish_reading(pending_file* file, const repo::read_event& last) {
  file->reading = false;
  if (last.failed) {
    skip(file->abs, last.failed->message());
    file->failed = true;
  } else {
    file->before.xattrs = last.xattrs;
    if (last.changed) {
      // Keep what was read; don't cache it, so the next run reads it again.
      skip(file->abs, "changed while it was being read; stored as read, read again next time");
      file->before.mtime_ns = -1;
    }
  }
  flush_progress(false);
  if (file->done == file->emitted) complete_file(file);
}

void dir_walk::sent_seal(size_t size) {
  if (inflight_chunks_ == 0) last_answer_ = std::chrono::steady_clock::now();
  inflight_bytes_ += size;
  ++inflight_chunks_;
  if (!watch_due_) watch_seals();
}

void dir_walk::answered_seal(size_t size) {
  inflight_bytes_ -= size;
  --inflight_chunks_;
  last_answer_ = std::chrono::steady_clock::now();
}

// One timer at a time, armed only while seals are awaited. A resume that comes
// early finds the timer pending and does nothing; one after it re-arms it.
void dir_walk::watch_seals() {
  auto now = std::chrono::steady_clock::now();
  if (watch_due_ && now < *watch_due_) return;
  watch_due_.reset();
  if (stopped_ || !running_ || inflight_chunks_ == 0) return;
  if (now - last_answer_ > options_.seal_timeout)
    return fail(error{errc::io, options_.source.where.str() + ": no chunk or tree was sealed for " +
                                  std::to_string(options_.seal_timeout.count()) + " s; the target does not answer"});
  watch_due_ = now + options_.seal_watch;
  sink_.resume(std::chrono::duration_cast<std::chrono::milliseconds>(options_.seal_watch));
}

void dir_walk::emit(pending_file* file, chunk_ptr data) {
  size_t seq = file->emitted++;
  for (auto& per_target : file->chunks) per_target.resize(seq + 1);
  size_t size = data->size();
  sent_seal(size);
  sink_.seal(std::move(data), mask_for(file->sensitive), repo::blob_type::data,
             [this, file, seq, size](expected<seal_result> r) {
               if (!r) return fail(r.error());
               on_sealed(file, seq, *r, size);
             });
}

void dir_walk::on_sealed(pending_file* file, size_t seq, const seal_result& r, size_t size) {
  answered_seal(size);
  if (stopped_) return;
  pool_->release(size);
  note_failures(r);
  if (stopped_) return;
  for (size_t t = 0; t < targets_; ++t) file->chunks[t][seq] = r.ids[t];
  ++file->done;
  if (!file->reading && file->done == file->emitted) complete_file(file);
  pump();
}

void dir_walk::complete_file(pending_file* file) {
  if (file->leads_links) resolve_links(file);
  auto* dir = file->dir;
  if (file->failed) {
    dir->dropped[file->slot] = true;
    result_.stats.files_skipped += 1;
  } else {
    dir->nodes[file->slot].meta.xattrs = file->before.xattrs;
    const auto& name = dir->nodes[file->slot].name;
    for (size_t t = 0; t < targets_; ++t) {
      if (!(mask_for(file->sensitive) & (1u << t))) continue;
      if (file->before.mtime_ns != -1) dir->fresh[t].push_back(entry_of(name, file->before, file->chunks[t]));
      dir->content[file->slot][t] = std::move(file->chunks[t]);
    }
  }
  progress_.files += 1;
  files_.erase(file);
  --dir->outstanding;
  maybe_finalize(dir);
}

void dir_walk::maybe_finalize(pending_dir* dir) {
  if (dir->walked && dir->outstanding == 0 && !dir->finalizing) finalize(dir);
}

void dir_walk::finalize(pending_dir* dir) {
  dir->finalizing = true;
  size_t last = 0;  // the last target given a tree takes the nodes instead of a copy
  for (size_t t = 0; t < targets_; ++t)
    if (mask_for(dir->is_sensitive) & (1u << t)) last = t;
  for (size_t t = 0; t < targets_; ++t) {
    if (!(mask_for(dir->is_sensitive) & (1u << t))) continue;
    repo::tree tree;
    tree.nodes.reserve(dir->nodes.size());
    for (size_t i = 0; i < dir->nodes.size(); ++i) {
      if (dir->dropped[i]) continue;
      if (!(mask_for(dir->sensitive[i]) & (1u << t))) continue;
      repo::node n = t == last ? std::move(dir->nodes[i]) : dir->nodes[i];
      n.content = t == last ? std::move(dir->content[i][t]) : dir->content[i][t];
      if (!dir->subtrees[i].empty()) n.subtree = dir->subtrees[i][t];  // directories only
      tree.nodes.push_back(std::move(n));
    }
    auto bytes = repo::encode_tree(tree);
    // Most trees of a backup with few changes are stored already: known here,
    // they cost no round trip to a sealer and back (two thread wake-ups each).
    if (auto stored = stored_tree(t, bytes)) {
      dir->tree_ids[t] = *stored;
      store_cache_of(dir, t);
      continue;
    }
    ++dir->outstanding;
    // Trees count against the window too: when nothing needs reading, the walk
    // would otherwise run ahead and hold the whole tree in memory.
    size_t size = bytes.size();
    sent_seal(size);
    sink_.seal(make_chunk(std::move(bytes)), 1u << t, repo::blob_type::tree,
               [this, dir, t, size](expected<seal_result> r) {
                 if (!r) return fail(r.error());
                 answered_seal(size);
                 if (stopped_) return;
                 note_failures(*r);
                 dir->tree_ids[t] = r->ids[t];
                 if (--dir->outstanding == 0) dir_done(dir);
                 else pump();
               });
    store_cache_of(dir, t);
  }
  if (dir->outstanding == 0) dir_done(dir);  // every tree stored already (or every target failed)
}

void dir_walk::store_cache_of(pending_dir* dir, size_t t) {
  // A sealed cache stores every directory: the unvisited ones are dropped.
  if (options_.write_cache && options_.file_cache &&
      (options_.cache_seal || !same_as_cached(dir->fresh[t], dir->cache[t])))
    sink_.store_cache({options_.plan, options_.target_names[t], dir->rel, std::move(dir->fresh[t]),
                       options_.cache_seal});
}

std::optional<object_id> dir_walk::stored_tree(size_t t, byte_view tree) {
  if (!options_.repos[t]) return std::nullopt;  // hashers_ has one per target, null ones too
  auto id = hashers_[t].id_of(tree);
  if (!options_.repos[t]->index().contains(id)) return std::nullopt;  // new, or claimed by a writer of this run
  return id;
}

void dir_walk::dir_done(pending_dir* dir) {
  result_.stats.dirs += 1;
  if (auto* parent = dir->parent) {
    parent->subtrees[dir->slot] = dir->tree_ids;
    dirs_.erase(dir);
    --parent->outstanding;
    maybe_finalize(parent);
    pump();
    return;
  }
  // The root: the source becomes one directory node per target.
  for (size_t t = 0; t < targets_; ++t)
    result_.roots[t] = repo::node{options_.source.name, dir->meta, {}, dir->tree_ids[t]};
  dirs_.erase(dir);
  flush_progress(true);
  result_.failed = ~active_ & ((targets_ >= 32) ? ~0u : (1u << targets_) - 1);
  // The walk's reader goes first: the writer then empties the WAL.
  if (cache_) cache_->end_snapshot();
  if (options_.cache_seal) cache_.reset();
  if (options_.write_cache && options_.file_cache && options_.cache_seal)
    for (size_t t = 0; t < targets_; ++t)
      if (active_ & (1u << t))
        sink_.store_cache({options_.plan, options_.target_names[t], options_.source.name, {},
                           options_.cache_seal, true});
  if (running_) {
    running_ = false;
    sink_.finish(std::move(result_));
  }
}

void dir_walk::note_failures(const seal_result& r) {
  if (r.failed == 0) return;
  for (size_t t = 0; t < targets_; ++t) {
    if (!(r.failed & (1u << t)) || !(active_ & (1u << t))) continue;
    active_ &= ~(1u << t);
    result_.target_errors[t] = r.errors[t];
  }
  if (active_ == 0) fail(error{errc::io, "every target failed: " + r.errors[0]});
}

void dir_walk::skip(const std::string& path, const std::string& reason) {
  // fs errors already name the path; don't say it twice.
  result_.skipped.push_back(reason.find(path) != std::string::npos ? reason : path + ": " + reason);
  progress_.errors += 1;
}

void dir_walk::fail(const error& e) {
  stopped_ = true;
  if (cache_) cache_->end_snapshot();
  if (lister_) lister_->stop();
  if (pool_) pool_->stop();
  if (running_) {
    running_ = false;
    sink_.finish(cairn::fail(e));
  }
}

void dir_walk::stop() { fail(error{errc::cancelled, "stopped"}); }

void dir_walk::flush_progress(bool force) {
  if (!force && ++progress_items_ < 64 && progress_.bytes < (8u << 20)) return;
  sink_.progress(progress_);
  progress_ = {};
  progress_items_ = 0;
}

}  // namespace cairn::backup
