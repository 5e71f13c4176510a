// The walk's first half: entering directories (listed and stat'ed ahead by
// fs/stat_ahead), visiting their entries in order, taking unchanged files from
// the file cache and handing the others to the readers (backup/dir_walk_seal.cpp
// goes on from there).
#include "backup/dir_walk.hpp"

#include <algorithm>
#include <cstring>

#include "backup/source_scan.hpp"
#include "repo/tree.hpp"

namespace cairn::backup {

namespace {

std::string child_rel(const std::string& rel, const std::string& name) {
  return rel.empty() ? name : rel + "/" + name;
}

size_t listers_for(size_t readers) { return std::min<size_t>(readers, 4); }

}  // namespace

dir_walk::dir_walk(walk_sink& sink, walk_options options)
  : sink_(sink), options_(std::move(options)), targets_(options_.repos.size()),
    chunker_(options_.chunker), excludes_(options_.source.exclude),
    tags_(options_.source.exclude_caches, options_.source.exclude_if_present) {
  active_ = targets_ >= 32 ? ~0u : (1u << targets_) - 1;
  auto db = catalog::catalog::open(options_.state_dir, true);
  if (db && options_.file_cache) {
    cache_ = std::move(*db);
    if (options_.cache_seal) cache_->use_cache_seal(options_.cache_seal);
  }
  for (const auto& repo : options_.repos) hashers_.push_back(repo ? repo->make_hasher() : crypto::id_hasher(nullptr));
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
  dir->completed = std::move(listed.completed);
  // A tagged directory's entries shrink to the tags it keeps (fs/directory_tags.hpp).
  if (auto keep = tags_.kept(*dir->handle, dir->names)) {
    dir->names = std::move(*keep);
    dir->stats.clear();  // no longer aligned with the names: stat them again
    dir->completed.clear();
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

void dir_walk::start() {
  running_ = true;
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
  lo.threads = listers_for(options_.readers);
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
  o.wake = sink_.waker();
  pool_ = std::make_unique<repo::read_pool>(std::move(o));
}

bool dir_walk::window_full() const {
  return inflight_bytes_ >= options_.window_bytes || inflight_chunks_ >= options_.window_chunks ||
         (pool_ && pool_->files_in_flight() >= options_.files_ahead);
}

void dir_walk::pump() {
  if (options_.gate && options_.gate->paused() && !stopped_) {  // paused: look again in a moment
    sink_.resume(std::chrono::milliseconds(250));
    return;
  }
  // Directories whose trees were stored already finish inside this call and
  // ask for pump() again: the loop below goes on instead, so the stack does
  // not grow with every such directory.
  if (pumping_) return;
  pumping_ = true;
  struct unset {
    bool& flag;
    ~unset() { flag = false; }
  } pumping{pumping_};
  watch_seals();
  drain();
  int budget = 1024;  // entries per turn, so replies get their turn too
  while (!stopped_ && running_) {
    if (window_full() || stack_.empty()) return;
    auto* dir = stack_.back();
    if (dir->next < dir->names.size()) {
      visit(dir, dir->next++);
      if (--budget == 0) {
        sink_.resume(std::chrono::milliseconds(0));
        return;
      }
    } else {
      stack_.pop_back();
      dir->walked = true;
      // None when the directory could not be listed or lies on another file system.
      if (dir->handle) lister_->release(std::move(*dir->handle));
      dir->handle.reset();
      dir->names.clear();
      dir->names.shrink_to_fit();
      dir->stats.clear();
      dir->stats.shrink_to_fit();
      dir->completed.clear();
      dir->completed.shrink_to_fit();
      lister_->forget_under(dir->abs);  // what was listed below and not entered (a tagged directory)
      maybe_finalize(dir);
    }
  }
}

void dir_walk::load_cache(pending_dir* dir) {
  dir->cache.resize(targets_);
  if (!cache_) return;
  // Read in transactions of 256 directories, not one a query (catalog::begin_snapshot):
  // renewed, so that the file cache written meanwhile can leave the WAL.
  if (cache_reads_++ % 256 == 0) {
    cache_->end_snapshot();
    cache_->begin_snapshot();
  }
  for (size_t t = 0; t < targets_; ++t) {
    auto rows = cache_->cached_directory(options_.plan, options_.target_names[t], dir->rel);
    if (!rows) continue;
    dir->cache[t] = cached_rows(std::move(*rows));
  }
}

bool dir_walk::reusable(pending_dir* dir, const std::string& name, const fs::metadata& meta,
                        std::vector<std::vector<object_id>>& out) const {
  out.resize(targets_);
  for (size_t t = 0; t < targets_; ++t) {
    out[t].clear();
    if (!(active_ & (1u << t))) continue;
    const auto* row = dir->cache[t].find(name);
    if (!row || !same_file(*row, meta)) return false;
    const auto& index = options_.repos[t]->index();
    for (const auto& id : row->chunks)
      if (!index.contains(id)) return false;  // the repository lost it (or never got it)
    out[t] = row->chunks;
  }
  return true;
}

void dir_walk::visit(pending_dir* dir, size_t index) {
  // Visited once: the walk no longer needs the listing's copy.
  const std::string name = std::move(dir->names[index]);
  std::string abs_path;  // built when needed: an unchanged file never needs it
  auto abs = [&]() -> const std::string& {
    if (abs_path.empty()) abs_path = fs::join_path(dir->abs, name);
    return abs_path;
  };
  bool ahead = index < dir->stats.size();  // statted and completed by the lister
  auto meta = ahead ? std::move(dir->stats[index]) : dir->handle->stat(name);
  if (!meta) {
    if (meta.error().code() != errc::not_found) skip(abs(), meta.error().message());
    return;  // vanished since the directory was listed
  }
  bool is_dir = meta->type == fs::file_type::directory;
  if (!excludes_.empty() && excludes_.excluded(abs(), is_dir)) return;
  meta->atime_ns = 0;  // reading changes it: recording it would make every tree new
  // An unchanged file's xattrs come from the file cache: changing an xattr
  // changes ctime, so a quick-id match means they are the same. This saves a
  // full path lookup per file.
  // A file that is read gets its xattrs from its reader, through the open
  // descriptor and off this thread.
  auto& cached = reuse_scratch_;  // kept from file to file: no allocation for its outer vector
  bool regular = meta->type == fs::file_type::regular;
  bool reuse = regular && reusable(dir, name, *meta, cached);
  auto completed = ahead ? std::move(dir->completed[index]) : dir->handle->complete(*meta, name, !regular);
  if (!completed) {
    if (completed.error().code() != errc::not_found) skip(abs(), completed.error().message());
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
  dir->subtrees.emplace_back(is_dir ? targets_ : 0);  // a subtree a target, for directories only
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
    child->abs = abs();
    child->meta = std::move(*meta);
    child->tree_ids.resize(targets_);
    child->fresh.resize(targets_);
    // Another file system under a one_file_system source: its mount point
    // is kept, as an empty directory.
    if (!other_file_system(child->meta)) {
      if (auto e = enter(child.get(), abs())) skip(abs(), e->message());  // kept as an empty directory
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
  for (size_t t = 0; t < targets_; ++t) known = known || dir->cache[t].find(name);
  (known ? result_.stats.files_changed : result_.stats.files_new) += 1;
  if (follow_link(dir, slot, abs(), m)) return;
  auto* file = start_file(dir, slot, abs(), m);
  if (m.nlink > 1) lead_links(file);
}

const byte_buffer& dir_walk::cached_xattrs(pending_dir* dir, const std::string& name) const {
  static const byte_buffer none;
  for (size_t t = 0; t < targets_; ++t) {
    if (!(active_ & (1u << t))) continue;
    if (const auto* row = dir->cache[t].find(name)) return row->xattrs;
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
  sink_.reading(abs);
  return started;
}

}  // namespace cairn::backup
