#include "backup/source_scan.hpp"

#include <unordered_map>

#include "fs/directory_tags.hpp"
#include "fs/exclude.hpp"

namespace cairn::backup {

bool same_file(const catalog::cache_entry& e, const fs::metadata& m) {
  return e.size == m.size && e.mtime_ns == m.mtime_ns && e.ctime_ns == m.ctime_ns &&
         e.inode == m.inode;
}

namespace {

using directory_cache = std::vector<std::unordered_map<std::string, catalog::cache_entry>>;

directory_cache load_cache(const scan_options& o, const std::string& rel) {
  directory_cache cache(o.targets.size());
  if (!o.cache) return cache;
  for (size_t t = 0; t < o.targets.size(); ++t)
    if (auto rows = o.cache->cached_directory(o.plan, o.targets[t], rel))
      for (auto& r : *rows) cache[t].emplace(r.name, std::move(r));
  return cache;
}

bool known_to_all(const directory_cache& cache, const std::string& name, const fs::metadata& m) {
  if (cache.empty()) return false;
  for (const auto& target : cache) {
    auto it = target.find(name);
    if (it == target.end() || !same_file(it->second, m)) return false;
  }
  return true;
}

}  // namespace

source_totals scan_source(const config::source_config& source, const scan_options& o) {
  source_totals totals;
  fs::exclude_matcher excludes(source.exclude);
  fs::directory_tags tags(source.exclude_caches, source.exclude_if_present);
  uint64_t root_dev = 0;
  if (auto root = fs::stat_only(source.path.string())) root_dev = root->dev;
  struct item {
    std::string abs, rel;
  };
  std::vector<item> to_walk{{source.path.string(), source.name}};  // file-cache keys, as dir_walk's
  while (!to_walk.empty()) {
    if (o.cancel && *o.cancel) break;
    auto [abs, rel] = std::move(to_walk.back());
    to_walk.pop_back();
    ++totals.dirs;
    auto dir = fs::directory::open(abs);
    if (!dir) continue;
    auto names = dir->names();
    if (!names) continue;
    if (auto keep = tags.kept(*dir, *names)) *names = std::move(*keep);
    auto cache = load_cache(o, rel);
    for (const auto& name : *names) {
      auto path = fs::join_path(abs, name);
      auto m = dir->stat(name);
      if (!m || excludes.excluded(path, m->type == fs::file_type::directory)) continue;
      if (m->type == fs::file_type::directory) {
        if (!source.one_file_system || m->dev == root_dev)
          to_walk.push_back({path, rel + "/" + name});
      } else if (m->type == fs::file_type::regular) {
        ++totals.files;
        totals.bytes += m->size;
        if (!known_to_all(cache, name, *m)) {
          ++totals.files_to_read;
          totals.bytes_to_read += m->size;
          if (o.on_read) o.on_read(path, *m);
        }
      }
    }
  }
  return totals;
}

}  // namespace cairn::backup
