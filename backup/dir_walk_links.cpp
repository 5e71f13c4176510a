// Hard links in one walk: the names of one inode hold the same bytes, so the
// first name met is read and the others take its chunks. A change to a
// hard-linked file (a library installed under a dozen names, a tree of
// snapshots made with cp -al) is then read once, not once a name. A name
// whose stat differs from the first's (size, mtime, ctime) is read on its own.
#include "backup/dir_walk.hpp"

namespace cairn::backup {

namespace {

// Inodes remembered at once: a tree of millions of hard links keeps memory
// flat (past this, names are read on their own, as before).
constexpr size_t max_shared_inodes = 1 << 16;

bool same_content(const fs::metadata& a, const fs::metadata& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.ctime_ns == b.ctime_ns;
}

}  // namespace

bool dir_walk::follow_link(pending_dir* dir, size_t slot, const std::string& abs, const fs::metadata& meta) {
  if (meta.nlink < 2) return false;
  auto it = links_.find({meta.dev, meta.inode});
  if (it == links_.end()) return false;
  auto& share = it->second;
  if (!same_content(share.before, meta) || share.sensitive != dir->sensitive[slot] || share.failed) return false;
  ++share.seen;
  if (share.leader) {  // still being read: wait for it
    ++dir->outstanding;
    share.followers.push_back({dir, slot, abs, meta});
    return true;
  }
  take_link(share, dir, slot, meta);
  progress_.files += 1;
  if (share.seen >= share.before.nlink) links_.erase(it);  // every name met
  return true;
}

void dir_walk::lead_links(pending_file* file) {
  if (links_.size() >= max_shared_inodes) return;
  auto [it, fresh] = links_.try_emplace({file->before.dev, file->before.inode});
  if (!fresh) return;  // a name with another stat leads already
  it->second.before = file->before;
  it->second.sensitive = file->sensitive;
  it->second.leader = file;
  file->leads_links = true;
}

void dir_walk::take_link(const link_share& share, pending_dir* dir, size_t slot, const fs::metadata& meta) {
  auto& node = dir->nodes[slot];
  node.meta.xattrs = share.xattrs;
  fs::metadata cached = meta;
  cached.xattrs = share.xattrs;
  for (size_t t = 0; t < targets_; ++t) {
    if (!(mask_for(share.sensitive) & (1u << t))) continue;
    if (share.cacheable) dir->fresh[t].push_back(catalog::cache_entry{node.name, cached.size, cached.mtime_ns,
                                                                      cached.ctime_ns, cached.inode, share.chunks[t],
                                                                      fs::encode_xattrs(cached.xattrs)});
    dir->content[slot][t] = share.chunks[t];
  }
}

void dir_walk::resolve_links(pending_file* file) {
  auto it = links_.find({file->before.dev, file->before.inode});
  if (it == links_.end() || it->second.leader != file) return;
  auto& share = it->second;
  share.leader = nullptr;
  share.failed = file->failed;
  share.cacheable = file->before.mtime_ns != -1;
  share.xattrs = file->before.xattrs;
  share.chunks = file->chunks;
  auto followers = std::move(share.followers);
  share.followers.clear();
  bool failed = share.failed;
  bool all_met = share.seen >= share.before.nlink;
  // Copies: the share may go below, and finishing a follower's directory
  // must not touch it.
  link_share done = share;
  if (failed || all_met) links_.erase(it);
  for (auto& f : followers) {
    if (failed) {  // read each on its own (start_file counts it again)
      --f.dir->outstanding;
      start_file(f.dir, f.slot, f.abs, f.meta);
      continue;
    }
    take_link(done, f.dir, f.slot, f.meta);
    progress_.files += 1;
    --f.dir->outstanding;
    maybe_finalize(f.dir);
  }
}

}  // namespace cairn::backup
