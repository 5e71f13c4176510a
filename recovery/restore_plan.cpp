#include "recovery/restore_plan.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "repo/tree_walk.hpp"

namespace cairn::recovery {

namespace {

std::vector<std::string> split_path(const std::string& p) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    if (end > start) parts.push_back(p.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "/" + name;
}

}  // namespace

namespace {

constexpr uint64_t max_flat = std::numeric_limits<uint32_t>::max();

tl::unexpected<error> too_large() {
  return fail(errc::unsupported, "the checkpoint is larger than one restore takes on (" +
                                   std::to_string(repo::max_checkpoint_entries) +
                                   " entries): restore parts of it with --path");
}

struct planner {
  const restore_source& source;
  restore_plan plan;
  std::map<std::pair<uint64_t, uint64_t>, uint32_t> inodes;  // (dev, inode) -> first entry
  // While planning: blobs in the order found, their packs, and their targets.
  std::unordered_map<object_id, uint32_t> blob_number;
  std::vector<uint32_t> blob_pack;
  struct found_target {
    uint32_t blob;
    blob_target target;
  };
  std::vector<found_target> found;
  std::vector<repo::blob_index::location> locations;  // of one file's chunks
  struct directory {
    uint32_t entry;
    uint64_t path_length;
    object_id tree;
  };
  std::deque<directory> to_read;  // directories whose tree comes next
  uint64_t path_bytes = 0;

  std::string path_of(uint32_t parent, std::string_view name) const {
    if (parent == no_entry) return std::string(name);
    return plan.path(parent) + "/" + std::string(name);
  }

  // `parent_length`: of the parent's path. Each entry's path counts whole.
  expected<uint32_t> add_entry(uint32_t parent, uint64_t parent_length, const repo::node& n) {
    path_bytes += n.name.size() + (parent == no_entry ? 0 : parent_length + 1);
    if (plan.entries.size() >= repo::max_checkpoint_entries || path_bytes > max_restore_path_bytes)
      return too_large();
    restore_entry e;
    const auto& m = n.meta;
    e.size = m.size;
    e.mtime_ns = m.mtime_ns;
    e.atime_ns = m.atime_ns;
    e.name_offset = plan.names.size();
    e.name_length = static_cast<uint32_t>(n.name.size());
    e.parent = parent;
    e.mode = m.mode;
    e.uid = m.uid;
    e.gid = m.gid;
    e.type = m.type;
    if (!m.link_target.empty() || !m.xattrs.empty() || m.rdev != 0) {
      e.extra = static_cast<uint32_t>(plan.extras.size());
      plan.extras.push_back({m.link_target, m.xattrs, m.rdev});
    }
    plan.names += n.name;
    plan.entries.push_back(e);
    return static_cast<uint32_t>(plan.entries.size() - 1);
  }

  status add_node(uint32_t parent, uint64_t parent_length, const repo::node& n) {
    CAIRN_ASSIGN(uint32_t index, add_entry(parent, parent_length, n));
    auto& e = plan.entries.back();
    switch (n.meta.type) {
      case fs::file_type::directory:
        ++plan.dirs;
        to_read.push_back({index, n.name.size() + (parent == no_entry ? 0 : parent_length + 1), n.subtree});
        return {};
      case fs::file_type::regular:
        ++plan.files;
        if (n.meta.nlink > 1) {
          auto [it, fresh] = inodes.emplace(std::make_pair(n.meta.dev, n.meta.inode), index);
          if (!fresh) e.hardlink_of = it->second;
        }
        if (e.hardlink_of == no_entry && !n.content.empty()) return add_content(index, e, n);
        return {};
      default:
        ++plan.links;
        return {};
    }
  }

  // A file whose blobs are all known gets its chunks and targets; one with a
  // missing blob gets none (it is not restored).
  status add_content(uint32_t index, restore_entry& e, const repo::node& n) {
    e.has_content = true;
    plan.bytes += n.meta.size;
    locations.clear();
    for (const auto& id : n.content) {
      auto loc = source.locate(id);
      if (!loc) {
        e.missing_content = true;
        plan.missing.push_back(path_of(e.parent, n.name) + ": " + source.missing);
        return {};
      }
      locations.push_back(*loc);
    }
    if (plan.chunks.size() + n.content.size() > max_flat || found.size() + n.content.size() > max_flat)
      return too_large();
    e.first_chunk = static_cast<uint32_t>(plan.chunks.size());
    e.chunks = static_cast<uint32_t>(n.content.size());
    uint64_t offset = 0;
    for (size_t k = 0; k < n.content.size(); ++k) {
      const auto& loc = locations[k];
      auto [it, fresh] = blob_number.emplace(n.content[k], static_cast<uint32_t>(plan.blobs.size()));
      if (fresh) {
        planned_blob b;
        b.blob = {n.content[k], loc.type, loc.offset, loc.length, loc.raw_length};
        plan.blobs.push_back(b);
        blob_pack.push_back(loc.pack);
      }
      plan.chunks.push_back(it->second);
      found.push_back({it->second, {index, offset}});
      offset += loc.raw_length;
    }
    return {};
  }

  // Breadth first, so no tree is held while its subtrees are read: parents
  // still come before their children, and a directory's entries stay together.
  status add_trees() {
    while (!to_read.empty()) {
      auto d = to_read.front();
      to_read.pop_front();
      CAIRN_ASSIGN(auto t, source.read_tree(d.tree));  // names validated on decode
      for (const auto& n : t.nodes) CAIRN_TRY(add_node(d.entry, d.path_length, n));
    }
    return {};
  }

  // Measured (each distinct tree read once) before anything is expanded.
  status check_size(const object_id& tree) {
    repo::tree_measure measure(source.read_tree);
    CAIRN_TRY(measure.check_limits(tree));
    return {};
  }

  // Walks from the root to `path`, adding the missing parent directories.
  status add_path(const object_id& root, const std::string& path,
                  std::unordered_map<std::string, uint32_t>& parents) {
    auto parts = split_path(path);
    if (parts.empty()) return add_root(root);
    object_id tree_id = root;
    std::string prefix;
    uint32_t parent = no_entry;
    for (size_t i = 0; i < parts.size(); ++i) {
      CAIRN_ASSIGN(auto t, source.read_tree(tree_id));
      auto it = std::find_if(t.nodes.begin(), t.nodes.end(),
                             [&](const repo::node& n) { return n.name == parts[i]; });
      if (it == t.nodes.end() || (i + 1 < parts.size() && it->meta.type != fs::file_type::directory))
        return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
      std::string here = join(prefix, parts[i]);
      if (i + 1 == parts.size()) {
        if (it->meta.type == fs::file_type::directory) CAIRN_TRY(check_size(it->subtree));
        CAIRN_TRY(add_node(parent, prefix.size(), *it));
        return add_trees();
      }
      auto known = parents.find(here);
      if (known == parents.end()) {
        CAIRN_ASSIGN(uint32_t index, add_entry(parent, prefix.size(), *it));
        ++plan.dirs;
        known = parents.emplace(here, index).first;
      }
      parent = known->second;
      tree_id = it->subtree;
      prefix = here;
    }
    return {};
  }

  status add_root(const object_id& root) {
    CAIRN_TRY(check_size(root));
    to_read.push_back({no_entry, 0, root});
    return add_trees();
  }

  // Blobs sorted by pack and offset, chunks renumbered, targets grouped by blob.
  void finish() {
    blob_number = {};
    size_t n = plan.blobs.size();
    std::vector<uint32_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return std::pair(blob_pack[a], plan.blobs[a].blob.offset) < std::pair(blob_pack[b], plan.blobs[b].blob.offset);
    });
    std::vector<uint32_t> renumber(n);
    std::vector<planned_blob> sorted(n);
    for (size_t k = 0; k < n; ++k) {
      renumber[order[k]] = static_cast<uint32_t>(k);
      sorted[k] = plan.blobs[order[k]];
      if (plan.packs.empty() || plan.packs.back().pack != blob_pack[order[k]])
        plan.packs.push_back({blob_pack[order[k]], static_cast<uint32_t>(k), 0});
      ++plan.packs.back().blobs;
    }
    plan.blobs = std::move(sorted);
    order = {};
    blob_pack = {};
    for (auto& c : plan.chunks) c = renumber[c];
    for (const auto& f : found) ++plan.blobs[renumber[f.blob]].targets;
    uint32_t first = 0;
    for (auto& b : plan.blobs) {
      b.first_target = first;
      first += b.targets;
      b.targets = 0;
    }
    plan.targets.resize(found.size());
    for (const auto& f : found) {
      auto& b = plan.blobs[renumber[f.blob]];
      plan.targets[b.first_target + b.targets++] = f.target;
    }
    found = {};
  }
};

}  // namespace

std::string restore_plan::path(size_t entry) const {
  std::vector<uint32_t> chain;
  size_t bytes = 0;
  for (uint32_t at = static_cast<uint32_t>(entry); at != no_entry; at = entries[at].parent) {
    chain.push_back(at);
    bytes += entries[at].name_length + 1;
  }
  std::string out;
  out.reserve(bytes);
  for (size_t k = chain.size(); k-- > 0;) {
    if (!out.empty()) out += '/';
    out += name(chain[k]);
  }
  return out;
}

fs::metadata restore_plan::meta(size_t entry) const {
  const auto& e = entries[entry];
  fs::metadata m;
  m.type = e.type;
  m.mode = e.mode;
  m.uid = e.uid;
  m.gid = e.gid;
  m.mtime_ns = e.mtime_ns;
  m.atime_ns = e.atime_ns;
  m.size = e.size;
  if (e.extra != no_entry) {
    const auto& x = extras[e.extra];
    m.link_target = x.link_target;
    m.xattrs = x.xattrs;
    m.rdev = x.rdev;
  }
  return m;
}

const std::string& restore_plan::link_target(size_t entry) const {
  static const std::string none;
  const auto& e = entries[entry];
  return e.extra == no_entry ? none : extras[e.extra].link_target;
}

expected<restore_plan> plan_restore(const repo::repository& repo, const object_id& root_tree,
                                    const std::vector<std::string>& paths) {
  restore_source source{[&repo](const object_id& id) { return repo.read_tree(id); },
                        [&repo](const object_id& id) { return repo.index().find(id); }};
  return plan_restore(source, root_tree, paths);
}

expected<restore_plan> plan_restore(const restore_source& source, const object_id& root_tree,
                                    const std::vector<std::string>& paths) {
  planner p{source};
  std::unordered_map<std::string, uint32_t> parents;
  if (paths.empty()) {
    CAIRN_TRY(p.add_root(root_tree));
  } else {
    for (const auto& path : paths) CAIRN_TRY(p.add_path(root_tree, path, parents));
  }
  p.finish();
  return std::move(p.plan);
}

}  // namespace cairn::recovery
