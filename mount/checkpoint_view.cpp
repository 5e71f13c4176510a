#include "mount/checkpoint_view.hpp"

#include <algorithm>
#include <ctime>

#include "repo/repo_format.hpp"

namespace cairn::mount {

namespace {

// Decoded trees kept: at most this many, holding at most this many entries
// together (a tree from a target may be large).
constexpr size_t cached_trees = 256;
constexpr size_t cached_tree_nodes = 1u << 20;

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string utc_name(int64_t ns) {
  time_t secs = static_cast<time_t>(ns / 1'000'000'000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

tl::unexpected<error> absent(const std::string& path) { return fail(errc::not_found, path + ": no such entry"); }

}  // namespace

checkpoint_view::checkpoint_view(std::vector<target_checkpoints> targets, uint64_t cache_bytes, int64_t now_ns)
  : targets_(std::move(targets)), now_ns_(now_ns), cache_bytes_(cache_bytes) {
  for (size_t t = 0; t < targets_.size(); ++t) {
    plans_[targets_[t].plan].push_back(t);
    std::map<std::string, int> used;
    // Oldest first, so a name made unique keeps its suffix as checkpoints are added.
    for (auto it = targets_[t].rows.rbegin(); it != targets_[t].rows.rend(); ++it) {
      std::string name = utc_name(it->time_ns);
      int n = ++used[name];
      if (n > 1) name += "_" + std::to_string(n);
      checkpoints_.push_back({t, *it, name});
    }
  }
}

fs::metadata checkpoint_view::dir_meta() const {
  fs::metadata m;
  m.type = fs::file_type::directory;
  m.mode = 0555;
  m.mtime_ns = m.ctime_ns = now_ns_;
  m.nlink = 2;
  return m;
}

fs::metadata checkpoint_view::link_meta(const std::string& to) const {
  fs::metadata m;
  m.type = fs::file_type::symlink;
  m.mode = 0777;
  m.mtime_ns = m.ctime_ns = now_ns_;
  m.link_target = to;
  m.size = to.size();
  m.nlink = 1;
  return m;
}

const checkpoint_view::checkpoint_dir* checkpoint_view::find_checkpoint(const std::string& plan,
                                                                        const std::string& target,
                                                                        const std::string& name) const {
  for (const auto& c : checkpoints_) {
    const auto& t = targets_[c.target];
    if (t.plan == plan && t.target == target && c.name == name) return &c;
  }
  return nullptr;
}

expected<view_entry> checkpoint_view::lookup(const std::string& path) {
  auto parts = split(path);
  if (parts.size() > repo::max_tree_depth + 4) return absent(path);
  view_entry e;
  e.meta = dir_meta();
  if (parts.empty()) return e;
  if (parts.size() == 1 && parts[0] == stats_name) {
    e.stats_file = true;
    e.meta.type = fs::file_type::regular;
    e.meta.mode = 0444;
    e.meta.size = 4096;
    e.meta.nlink = 1;
    return e;
  }
  auto plan = plans_.find(parts[0]);
  if (plan == plans_.end()) return absent(path);
  if (parts.size() == 1) return e;
  auto t = std::find_if(plan->second.begin(), plan->second.end(),
                        [&](size_t i) { return targets_[i].target == parts[1]; });
  if (t == plan->second.end()) return absent(path);
  if (parts.size() == 2) return e;
  const auto& tc = targets_[*t];
  if (parts[2] == "latest" && parts.size() == 3) {
    if (tc.rows.empty()) return absent(path);
    for (const auto& c : checkpoints_)
      if (c.target == *t && c.row.id == tc.rows.front().id) {
        e.meta = link_meta(c.name);
        return e;
      }
    return absent(path);
  }
  if (parts[2] == "by-id") {
    if (parts.size() == 3) return e;
    if (parts.size() > 4) return absent(path);
    for (const auto& c : checkpoints_)
      if (c.target == *t && c.row.id == parts[3]) {
        e.meta = link_meta("../" + c.name);
        return e;
      }
    return absent(path);
  }
  const auto* cp = find_checkpoint(parts[0], parts[1], parts[2]);
  if (!cp) return absent(path);
  e.meta.mtime_ns = cp->row.time_ns;
  if (parts.size() == 3) return e;
  return lookup_in_checkpoint(static_cast<int>(cp - checkpoints_.data()),
                              std::vector<std::string>(parts.begin() + 3, parts.end()));
}

expected<object_id> checkpoint_view::root_of(int cp) {
  const auto& c = checkpoints_[static_cast<size_t>(cp)];
  auto id = object_id::parse(c.row.id);
  if (!id) return fail(id.error());
  {
    std::lock_guard lock(mutex_);
    if (auto it = roots_.find(*id); it != roots_.end()) return it->second;
  }
  CAIRN_ASSIGN(auto checkpoint, targets_[c.target].repo->read_checkpoint(*id));
  std::lock_guard lock(mutex_);
  roots_[*id] = checkpoint.tree;
  return checkpoint.tree;
}

expected<view_entry> checkpoint_view::lookup_in_checkpoint(int cp, const std::vector<std::string>& rest) {
  const auto& c = checkpoints_[static_cast<size_t>(cp)];
  CAIRN_ASSIGN(auto root, root_of(cp));
  object_id tree_id = root;
  for (size_t i = 0; i < rest.size(); ++i) {
    CAIRN_ASSIGN(auto t, tree(c.target, tree_id));
    auto it = std::lower_bound(t->nodes.begin(), t->nodes.end(), rest[i],
                               [](const repo::node& n, const std::string& name) { return n.name < name; });
    if (it == t->nodes.end() || it->name != rest[i]) return absent(rest[i]);
    if (i + 1 == rest.size()) {
      view_entry e;
      e.meta = it->meta;
      e.node = *it;
      e.checkpoint = cp;
      return e;
    }
    if (it->meta.type != fs::file_type::directory) return absent(rest[i]);
    tree_id = it->subtree;
  }
  return absent("");
}

expected<std::vector<std::string>> checkpoint_view::list(const std::string& path) {
  auto parts = split(path);
  std::vector<std::string> names;
  if (parts.empty()) {
    for (const auto& [plan, _] : plans_) names.push_back(plan);
    names.push_back(stats_name);
    return names;
  }
  CAIRN_ASSIGN(auto e, lookup(path));
  if (e.meta.type != fs::file_type::directory) return fail(errc::invalid_input, path + ": not a directory");
  if (parts.size() == 1) {
    for (size_t t : plans_[parts[0]]) names.push_back(targets_[t].target);
  } else if (parts.size() == 2) {
    for (const auto& c : checkpoints_) {
      const auto& t = targets_[c.target];
      if (t.plan == parts[0] && t.target == parts[1]) names.push_back(c.name);
    }
    if (!names.empty()) names.push_back("latest");
    names.push_back("by-id");
  } else if (parts.size() == 3 && parts[2] == "by-id") {
    for (const auto& c : checkpoints_) {
      const auto& t = targets_[c.target];
      if (t.plan == parts[0] && t.target == parts[1]) names.push_back(c.row.id);
    }
  } else {
    const auto* cp = find_checkpoint(parts[0], parts[1], parts[2]);
    if (!cp) return absent(path);
    object_id id;
    if (e.node) {
      id = e.node->subtree;
    } else {
      CAIRN_ASSIGN(id, root_of(static_cast<int>(cp - checkpoints_.data())));
    }
    CAIRN_ASSIGN(auto t, tree(cp->target, id));
    for (const auto& n : t->nodes) names.push_back(n.name);
  }
  return names;
}

expected<std::shared_ptr<const repo::tree>> checkpoint_view::tree(size_t target, const object_id& id) {
  blob_key key{target, id};
  {
    std::lock_guard lock(mutex_);
    if (auto it = tree_index_.find(key); it != tree_index_.end()) {
      trees_.splice(trees_.begin(), trees_, it->second);
      return it->second->second;
    }
  }
  CAIRN_ASSIGN(auto t, targets_[target].repo->read_tree(id));  // names validated on decode
  auto shared = std::make_shared<const repo::tree>(std::move(t));
  std::lock_guard lock(mutex_);
  if (tree_index_.count(key)) return shared;
  trees_.emplace_front(key, shared);
  tree_index_[key] = trees_.begin();
  tree_nodes_ += shared->nodes.size();
  while (trees_.size() > 1 && (trees_.size() > cached_trees || tree_nodes_ > cached_tree_nodes)) {
    tree_nodes_ -= trees_.back().second->nodes.size();
    tree_index_.erase(trees_.back().first);
    trees_.pop_back();
  }
  return shared;
}

expected<std::shared_ptr<const byte_buffer>> checkpoint_view::blob(size_t target, const object_id& id) {
  blob_key key{target, id};
  {
    std::lock_guard lock(mutex_);
    if (auto it = blob_index_.find(key); it != blob_index_.end()) {
      blobs_.splice(blobs_.begin(), blobs_, it->second);
      ++stats_.cache_hits;
      return it->second->second;
    }
  }
  CAIRN_ASSIGN(auto b, targets_[target].repo->read_blob(id));  // verified against its id
  auto shared = std::make_shared<const byte_buffer>(std::move(b));
  std::lock_guard lock(mutex_);
  ++stats_.blobs_fetched;
  stats_.bytes_fetched += shared->size();
  if (blob_index_.count(key)) return shared;
  blobs_.emplace_front(key, shared);
  blob_index_[key] = blobs_.begin();
  blob_bytes_ += shared->size();
  while (blob_bytes_ > cache_bytes_ && blobs_.size() > 1) {
    blob_bytes_ -= blobs_.back().second->size();
    blob_index_.erase(blobs_.back().first);
    blobs_.pop_back();
  }
  return shared;
}

expected<open_file> checkpoint_view::open(const std::string& path) {
  CAIRN_ASSIGN(auto e, lookup(path));
  if (e.stats_file) return open_file{};
  if (!e.node || e.meta.type != fs::file_type::regular) return fail(errc::invalid_input, path + ": not a file");
  const auto& repo = *targets_[checkpoints_[static_cast<size_t>(e.checkpoint)].target].repo;
  open_file f;
  f.checkpoint = e.checkpoint;
  f.chunks = e.node->content;
  uint64_t end = 0;
  for (const auto& id : f.chunks) {
    auto loc = repo.index().find(id);
    if (!loc) return fail(errc::corrupt, path + ": a content blob is missing from the repository");
    end += loc->raw_length;
    f.ends.push_back(end);
  }
  f.size = end;
  return f;
}

expected<size_t> checkpoint_view::read(const open_file& f, uint64_t offset, char* out, size_t size) {
  size_t done = 0;
  auto it = std::upper_bound(f.ends.begin(), f.ends.end(), offset);
  size_t target = checkpoints_[static_cast<size_t>(f.checkpoint)].target;
  while (done < size && it != f.ends.end()) {
    size_t i = static_cast<size_t>(it - f.ends.begin());
    uint64_t begin = i == 0 ? 0 : f.ends[i - 1];
    CAIRN_ASSIGN(auto b, blob(target, f.chunks[i]));
    uint64_t at = offset + done - begin;
    if (b->size() != *it - begin || at > b->size())
      return fail(errc::corrupt, "a content blob's size differs from the index");
    size_t n = static_cast<size_t>(std::min<uint64_t>(size - done, b->size() - at));
    std::copy_n(b->data() + at, n, out + done);
    done += n;
    ++it;
  }
  return done;
}

view_stats checkpoint_view::stats() {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::string checkpoint_view::stats_text() {
  auto s = stats();
  return "blobs_fetched " + std::to_string(s.blobs_fetched) + "\nbytes_fetched " + std::to_string(s.bytes_fetched) +
         "\ncache_hits " + std::to_string(s.cache_hits) + "\n";
}

}  // namespace cairn::mount
