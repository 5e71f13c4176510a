#include "recovery/restore_plan.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

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

struct planner {
  const restore_source& source;
  restore_plan plan;
  std::map<std::pair<uint64_t, uint64_t>, size_t> inodes;  // (dev, inode) -> first entry
  std::map<uint32_t, std::map<object_id, planned_blob>> by_pack;
  std::deque<std::pair<std::string, object_id>> to_read;  // directories whose tree comes next
  uint64_t path_bytes = 0;

  status add_entry(const std::string& path, const repo::node& n) {
    path_bytes += path.size();
    if (plan.entries.size() >= repo::max_checkpoint_entries || path_bytes > max_restore_path_bytes)
      return fail(errc::unsupported, "the checkpoint is larger than one restore takes on (" +
                                       std::to_string(repo::max_checkpoint_entries) +
                                       " entries): restore parts of it with --path");
    plan.entries.push_back(restore_entry{path, n, no_link, false});
    return {};
  }

  status add_node(const std::string& path, const repo::node& n) {
    size_t index = plan.entries.size();
    CAIRN_TRY(add_entry(path, n));
    auto& e = plan.entries.back();
    switch (n.meta.type) {
      case fs::file_type::directory:
        ++plan.dirs;
        to_read.emplace_back(path, n.subtree);
        return {};
      case fs::file_type::regular:
        ++plan.files;
        if (n.meta.nlink > 1) {
          auto [it, fresh] = inodes.emplace(std::make_pair(n.meta.dev, n.meta.inode), index);
          if (!fresh) e.hardlink_of = it->second;
        }
        if (e.hardlink_of == no_link) add_content(index, e);
        return {};
      default:
        ++plan.links;
        return {};
    }
  }

  void add_content(size_t index, restore_entry& e) {
    uint64_t offset = 0;
    for (const auto& id : e.node.content) {
      auto loc = source.locate(id);
      if (!loc) {
        e.missing_content = true;
        plan.missing.push_back(e.path + ": " + source.missing);
        break;
      }
      auto& slot = by_pack[loc->pack][id];
      slot.blob = {id, loc->type, loc->offset, loc->length, loc->raw_length};
      slot.targets.push_back({static_cast<uint32_t>(index), offset});
      offset += loc->raw_length;
    }
    plan.bytes += e.node.meta.size;
  }

  // Breadth first, so no tree is held while its subtrees are read: parents
  // still come before their children, and a directory's entries stay together.
  status add_trees() {
    while (!to_read.empty()) {
      auto [path, id] = std::move(to_read.front());
      to_read.pop_front();
      CAIRN_ASSIGN(auto t, source.read_tree(id));  // names validated on decode
      for (const auto& n : t.nodes) CAIRN_TRY(add_node(join(path, n.name), n));
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
  status add_path(const object_id& root, const std::string& path, std::unordered_set<std::string>& parents) {
    auto parts = split_path(path);
    if (parts.empty()) return add_root(root);
    object_id tree_id = root;
    std::string prefix;
    for (size_t i = 0; i < parts.size(); ++i) {
      CAIRN_ASSIGN(auto t, source.read_tree(tree_id));
      auto it = std::find_if(t.nodes.begin(), t.nodes.end(),
                             [&](const repo::node& n) { return n.name == parts[i]; });
      if (it == t.nodes.end() || (i + 1 < parts.size() && it->meta.type != fs::file_type::directory))
        return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
      std::string here = join(prefix, parts[i]);
      if (i + 1 == parts.size()) {
        if (it->meta.type == fs::file_type::directory) CAIRN_TRY(check_size(it->subtree));
        CAIRN_TRY(add_node(here, *it));
        return add_trees();
      }
      if (parents.insert(here).second) {
        CAIRN_TRY(add_entry(here, *it));
        ++plan.dirs;
      }
      tree_id = it->subtree;
      prefix = here;
    }
    return {};
  }

  status add_root(const object_id& root) {
    CAIRN_TRY(check_size(root));
    to_read.emplace_back(std::string(), root);
    return add_trees();
  }
};

}  // namespace

expected<restore_plan> plan_restore(const repo::repository& repo, const object_id& root_tree,
                                    const std::vector<std::string>& paths) {
  restore_source source{[&repo](const object_id& id) { return repo.read_tree(id); },
                        [&repo](const object_id& id) { return repo.index().find(id); }};
  return plan_restore(source, root_tree, paths);
}

expected<restore_plan> plan_restore(const restore_source& source, const object_id& root_tree,
                                    const std::vector<std::string>& paths) {
  planner p{source, {}, {}, {}, {}, 0};
  std::unordered_set<std::string> parents;
  if (paths.empty()) {
    CAIRN_TRY(p.add_root(root_tree));
  } else {
    for (const auto& path : paths) CAIRN_TRY(p.add_path(root_tree, path, parents));
  }
  for (auto& [pack, blobs] : p.by_pack) {
    pack_work w;
    w.pack = pack;
    for (auto& [id, b] : blobs) w.blobs.push_back(std::move(b));
    std::sort(w.blobs.begin(), w.blobs.end(), [](const planned_blob& a, const planned_blob& b) {
      return a.blob.offset < b.blob.offset;
    });
    p.plan.packs.push_back(std::move(w));
  }
  return std::move(p.plan);
}

}  // namespace cairn::recovery
