#include "actors/dir_walk.hpp"

#include <algorithm>
#include <cstring>

#include "actors/error.hpp"
#include "actors/source_scan.hpp"
#include "actors/timeouts.hpp"
#include "repo/tree.hpp"

namespace cairn::actors {

namespace {

std::string child_rel(const std::string& rel, const std::string& name) {
  return rel.empty() ? name : rel + "/" + name;
}

// True when a directory's new cache rows equal what the catalog holds already,
// so the write can be skipped (the common case of a backup with few changes).
bool same_as_cached(const std::vector<catalog::cache_entry>& fresh,
                    const std::unordered_map<std::string, catalog::cache_entry>& cached) {
  if (fresh.size() != cached.size()) return false;
  for (const auto& e : fresh) {
    auto it = cached.find(e.name);
    if (it == cached.end()) return false;
    const auto& c = it->second;
    if (c.size != e.size || c.mtime_ns != e.mtime_ns || c.ctime_ns != e.ctime_ns ||
        c.inode != e.inode || c.chunks != e.chunks || c.xattrs != e.xattrs)
      return false;
  }
  return true;
}

catalog::cache_entry entry_of(const std::string& name, const fs::metadata& m,
                              std::vector<object_id> chunks) {
  return {name, m.size, m.mtime_ns, m.ctime_ns, m.inode, std::move(chunks), fs::encode_xattrs(m.xattrs)};
}

}  // namespace

dir_walk::dir_walk(source_actor::stateful_pointer<dir_source_state> self, source_options options)
  : self_(self), options_(std::move(options)), targets_(options_.context->targets.size()),
    chunker_(options_.chunker), excludes_(options_.source.exclude),
    tags_(options_.source.exclude_caches, options_.source.exclude_if_present) {
  active_ = targets_ >= 32 ? ~0u : (1u << targets_) - 1;
  auto db = catalog::catalog::open(options_.state_dir, true);
  if (db && options_.file_cache) {
    cache_ = std::move(*db);
    if (options_.cache_seal) cache_->use_cache_seal(options_.cache_seal);
  }
  for (const auto& t : options_.context->targets) hashers_.push_back(t.repo->make_hasher());
  result_.roots.resize(targets_);
  result_.target_errors.resize(targets_);
  result_.metadata = options_.metadata;
}

// The readers go first: they must not touch the walk's state being torn down.
dir_walk::~dir_walk() {
  if (lister_) lister_->stop();
  if (pool_) pool_->stop();
}

bool dir_walk::other_file_system(const fs::metadata& m) const {
  return options_.source.one_file_system && m.dev != root_dev_;
}

std::optional<error> dir_walk::enter(pending_dir* dir, const std::string& abs) {
  auto listed = lister_->take(abs);
  if (listed.failed) return listed.failed;
  dir->handle.emplace(std::move(*listed.handle));
  dir->names = std::move(listed.names);
  dir->stats = std::move(listed.stats);
  // A tagged directory's entries shrink to the tags it keeps (fs/directory_tags.hpp).
  if (auto keep = tags_.kept(*dir->handle, dir->names)) {
    dir->names = std::move(*keep);
    dir->stats.clear();  // no longer aligned with the names: stat them again
  }
  // One slot a name: no growth (and no moving of nodes) while the walk visits them.
  dir->nodes.reserve(dir->names.size());
  dir->content.reserve(dir->names.size());
  dir->subtrees.reserve(dir->names.size());
  return std::nullopt;
}

source_totals dir_walk::count() {
  scan_options o;
  o.plan = options_.plan;
  o.targets = options_.target_names;
  o.cache = cache_.get();
  o.cancel = options_.cancel_scan.get();
  return scan_source(options_.source, o);
}

void dir_walk::start(caf::typed_response_promise<source_result> promise) {
  promise_ = promise;
  const auto& root_path = options_.source.path.string();
  auto meta = fs::read_metadata(root_path);
  if (!meta) return fail(error{meta.error().code(), options_.source.where.str() + ": source " +
                                                       meta.error().message()});
  if (meta->type != fs::file_type::directory)
    return fail(error{errc::invalid_input, options_.source.where.str() + ": source path " +
                                              root_path + " is not a directory"});
  meta->atime_ns = 0;
  root_dev_ = meta->dev;
  fs::stat_ahead_options lo;
  lo.threads = std::min<size_t>(options_.readers, 4);
  lo.descend = [this](const std::string& path, const fs::metadata& m) {
    return !other_file_system(m) && !excludes_.excluded(path, true);
  };
  lister_ = std::make_unique<fs::stat_ahead>(std::move(lo));
  auto root = std::make_unique<pending_dir>();
  if (auto e = enter(root.get(), root_path))
    return fail(error{e->code(), options_.source.where.str() + ": " + e->message()});
  root->rel = options_.source.name;  // file-cache keys: sources of one plan must not share them
  root->abs = root_path;
  root->meta = std::move(*meta);
  root->tree_ids.resize(targets_);
  root->fresh.resize(targets_);
  load_cache(root.get());
  stack_.push_back(root.get());
  dirs_.emplace(root.get(), std::move(root));
  start_readers();
  pump();
}

void dir_walk::start_readers() {
  repo::read_pool_options o;
  o.readers = options_.readers;
  o.max_bytes = options_.window_bytes;
  o.chunker = options_.chunker;
  o.gate = options_.gate;
  // Readers wake the walk with a message; a weak handle, so they never keep it alive.
  o.wake = [addr = self_->address()] {
    if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(addr))
      caf::anon_send(caf::actor_cast<source_actor>(strong), atom::resume::value);
  };
  pool_ = std::make_unique<repo::read_pool>(std::move(o));
}

bool dir_walk::window_full() const {
  return inflight_bytes_ >= options_.window_bytes || inflight_chunks_ >= options_.window_chunks ||
         (pool_ && pool_->files_in_flight() >= options_.files_ahead);
}

void dir_walk::pump() {
  if (options_.gate && options_.gate->paused() && !stopped_) {  // paused: look again in a moment
    self_->delayed_send(self_, std::chrono::milliseconds(250), atom::resume::value);
    return;
  }
  watch_seals();
  drain();
  int budget = 1024;  // entries per turn, so replies get their turn too
  while (!stopped_ && promise_) {
    if (window_full() || stack_.empty()) return;
    auto* dir = stack_.back();
    if (dir->next < dir->names.size()) {
      visit(dir, dir->next++);
      if (--budget == 0) {
        self_->send(self_, atom::resume::value);
        return;
      }
    } else {
      stack_.pop_back();
      dir->walked = true;
      dir->handle.reset();
      dir->names.clear();
      dir->names.shrink_to_fit();
      dir->stats.clear();
      dir->stats.shrink_to_fit();
      lister_->forget_under(dir->abs);  // what was listed below and not entered (a tagged directory)
      maybe_finalize(dir);
    }
  }
}

void dir_walk::load_cache(pending_dir* dir) {
  dir->cache.resize(targets_);
  if (!cache_) return;
  for (size_t t = 0; t < targets_; ++t) {
    auto rows = cache_->cached_directory(options_.plan, options_.target_names[t], dir->rel);
    if (!rows) continue;
    for (auto& r : *rows) dir->cache[t].emplace(r.name, std::move(r));
  }
}

bool dir_walk::reusable(pending_dir* dir, const std::string& name, const fs::metadata& meta,
                        std::vector<std::vector<object_id>>& out) const {
  out.assign(targets_, {});
  for (size_t t = 0; t < targets_; ++t) {
    if (!(active_ & (1u << t))) continue;
    auto it = dir->cache[t].find(name);
    if (it == dir->cache[t].end() || !same_file(it->second, meta)) return false;
    const auto& index = options_.context->targets[t].repo->index();
    for (const auto& id : it->second.chunks)
      if (!index.contains(id)) return false;  // the repository lost it (or never got it)
    out[t] = it->second.chunks;
  }
  return true;
}

void dir_walk::visit(pending_dir* dir, size_t index) {
  // Visited once: the walk no longer needs the listing's copy.
  const std::string name = std::move(dir->names[index]);
  auto abs = fs::join_path(dir->abs, name);
  auto meta = index < dir->stats.size() ? std::move(dir->stats[index]) : dir->handle->stat(name);
  if (!meta) {
    if (meta.error().code() != errc::not_found) skip(abs, meta.error().message());
    return;  // vanished since the directory was listed
  }
  bool is_dir = meta->type == fs::file_type::directory;
  if (excludes_.excluded(abs, is_dir)) return;
  meta->atime_ns = 0;  // reading changes it: recording it would make every tree new
  // An unchanged file's xattrs come from the file cache: changing an xattr
  // changes ctime, so a quick-id match means they are the same. This saves a
  // full path lookup per file.
  // A file that is read gets its xattrs from its reader, through the open
  // descriptor and off this thread.
  std::vector<std::vector<object_id>> cached;
  bool regular = meta->type == fs::file_type::regular;
  bool reuse = regular && reusable(dir, name, *meta, cached);
  auto completed = dir->handle->complete(*meta, name, !regular);
  if (!completed) {
    if (completed.error().code() != errc::not_found) skip(abs, completed.error().message());
    return;
  }
  if (reuse) {
    auto xattrs = fs::decode_xattrs(cached_xattrs(dir, name));
    if (xattrs) meta->xattrs = std::move(*xattrs);
    else reuse = false;
  }
  size_t slot = dir->nodes.size();
  // Only resources and directories need the path below the source's root.
  std::string srel = options_.source.resource || is_dir ? child_rel(dir->srel, name) : std::string();
  // A resource's sensitive paths: stored only where the target encrypts.
  bool sensitive = dir->is_sensitive || (options_.source.resource && options_.source.resource->is_sensitive(srel));
  if (sensitive && !dir->is_sensitive) result_.sensitive_found.push_back(srel);
  if (sensitive && mask_for(true) == 0) return;  // no target may hold it: not even read
  dir->content.emplace_back(targets_);
  dir->subtrees.emplace_back(targets_);
  dir->dropped.push_back(false);
  dir->sensitive.push_back(sensitive);
  if (is_dir) {
    dir->nodes.push_back(repo::node{name, *meta, {}, {}});
    auto child = std::make_unique<pending_dir>();
    child->parent = dir;
    child->slot = slot;
    child->rel = child_rel(dir->rel, name);
    child->srel = srel;
    child->is_sensitive = sensitive;
    child->abs = abs;
    child->meta = std::move(*meta);
    child->tree_ids.resize(targets_);
    child->fresh.resize(targets_);
    // Another file system under a one_file_system source: its mount point
    // is kept, as an empty directory.
    if (!other_file_system(child->meta)) {
      if (auto e = enter(child.get(), abs)) skip(abs, e->message());  // kept as an empty directory
    }
    load_cache(child.get());
    ++dir->outstanding;
    stack_.push_back(child.get());
    dirs_.emplace(child.get(), std::move(child));
    return;
  }
  // The node keeps the metadata; what follows reads it there.
  dir->nodes.push_back(repo::node{name, std::move(*meta), {}, {}});
  if (!regular) return;
  const fs::metadata& m = dir->nodes[slot].meta;
  result_.stats.files += 1;
  result_.stats.bytes += m.size;
  if (sensitive) result_.sensitive_files += 1, result_.sensitive_bytes += m.size;
  if (reuse) {
    for (size_t t = 0; t < targets_; ++t) {
      if (!(mask_for(sensitive) & (1u << t))) continue;
      dir->fresh[t].push_back(entry_of(name, m, cached[t]));
      dir->content[slot][t] = std::move(cached[t]);
    }
    result_.stats.files_unchanged += 1;
    progress_.files += 1;
    flush_progress(false);
    return;
  }
  bool known = false;
  for (size_t t = 0; t < targets_; ++t) known = known || dir->cache[t].count(name);
  (known ? result_.stats.files_changed : result_.stats.files_new) += 1;
  if (follow_link(dir, slot, abs, m)) return;
  auto* file = start_file(dir, slot, abs, m);
  if (m.nlink > 1) lead_links(file);
}

const byte_buffer& dir_walk::cached_xattrs(pending_dir* dir, const std::string& name) const {
  static const byte_buffer none;
  for (size_t t = 0; t < targets_; ++t) {
    if (!(active_ & (1u << t))) continue;
    auto it = dir->cache[t].find(name);
    if (it != dir->cache[t].end()) return it->second.xattrs;
  }
  return none;
}

pending_file* dir_walk::start_file(pending_dir* dir, size_t slot, const std::string& abs,
                                   const fs::metadata& meta) {
  ++dir->outstanding;
  auto file = std::make_unique<pending_file>();
  file->dir = dir;
  file->slot = slot;
  file->abs = abs;
  file->before = meta;
  file->id = next_file_id_++;
  file->sensitive = dir->sensitive[slot];
  file->chunks.resize(targets_);
  reading_.emplace(file->id, file.get());
  pool_->submit({file->id, abs, meta, true});
  auto* started = file.get();
  files_.emplace(file.get(), std::move(file));
  if (options_.progress)
    self_->send(options_.progress, atom::set::value, std::string("backing up"), abs);
  return started;
}

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
  if (stopped_ || !promise_ || inflight_chunks_ == 0) return;
  if (now - last_answer_ > timeouts::seal)
    return fail(error{errc::io, options_.source.where.str() + ": no chunk or tree was sealed for " +
                                  std::to_string(timeouts::seal.count()) + " s; the target does not answer"});
  watch_due_ = now + timeouts::seal_watch;
  self_->delayed_send(self_, timeouts::seal_watch, atom::resume::value);
}

sealer_actor dir_walk::next_sealer() {
  return options_.sealers[next_sealer_++ % options_.sealers.size()];
}

void dir_walk::emit(pending_file* file, chunk_ptr data) {
  size_t seq = file->emitted++;
  for (auto& per_target : file->chunks) per_target.resize(seq + 1);
  size_t size = data->size();
  sent_seal(size);
  seal_job job{std::move(data), options_.context, mask_for(file->sensitive), repo::blob_type::data};
  self_->request(next_sealer(), caf::infinite, atom::seal::value, std::move(job))
    .then([this, file, seq, size](seal_result& r) { on_sealed(file, seq, r, size); },
          [this](caf::error& e) { fail(from_caf(e)); });
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
      n.subtree = dir->subtrees[i][t];
      tree.nodes.push_back(std::move(n));
    }
    auto bytes = repo::encode_tree(tree);
    ++dir->outstanding;
    // Trees count against the window too: when nothing needs reading, the walk
    // would otherwise run ahead and hold the whole tree in memory.
    size_t size = bytes.size();
    sent_seal(size);
    seal_job job{make_chunk(std::move(bytes)), options_.context, 1u << t, repo::blob_type::tree};
    self_->request(next_sealer(), caf::infinite, atom::seal::value, std::move(job))
      .then(
        [this, dir, t, size](seal_result& r) {
          answered_seal(size);
          if (stopped_) return;
          note_failures(r);
          dir->tree_ids[t] = r.ids[t];
          if (--dir->outstanding == 0) dir_done(dir);
          else pump();
        },
        [this](caf::error& e) { fail(from_caf(e)); });
    // A sealed cache stores every directory: the unvisited ones are dropped.
    if (options_.catalog && options_.file_cache &&
        (options_.cache_seal || !same_as_cached(dir->fresh[t], dir->cache[t])))
      self_->send(options_.catalog, atom::store::value,
                  file_cache_update{options_.plan, options_.target_names[t], dir->rel,
                                    std::move(dir->fresh[t]), options_.cache_seal});
  }
  if (dir->outstanding == 0) dir_done(dir);  // every target failed
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
  if (options_.cache_seal) cache_.reset();
  if (options_.catalog && options_.file_cache && options_.cache_seal)
    for (size_t t = 0; t < targets_; ++t)
      if (active_ & (1u << t))
        self_->send(options_.catalog, atom::store::value,
                    file_cache_update{options_.plan, options_.target_names[t], options_.source.name, {},
                                      options_.cache_seal, true});
  if (promise_) {
    promise_->deliver(std::move(result_));
    promise_.reset();
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
  if (lister_) lister_->stop();
  if (pool_) pool_->stop();
  if (promise_) {
    promise_->deliver(to_caf(e));
    promise_.reset();
  }
}

void dir_walk::stop() { fail(error{errc::cancelled, "stopped"}); }

void dir_walk::flush_progress(bool force) {
  if (!options_.progress) return;
  if (!force && ++progress_items_ < 64 && progress_.bytes < (8u << 20)) return;
  self_->send(options_.progress, atom::add::value, progress_);
  progress_ = {};
  progress_items_ = 0;
}

}  // namespace cairn::actors
