#include "repo/tree_walk.hpp"

#include <algorithm>
#include <vector>

namespace cairn::repo {

namespace {

struct frame {
  object_id id;
  std::string path;
  std::vector<std::pair<std::string, object_id>> subdirs;  // name, subtree
  size_t next = 0;
  tree_extent extent;
};

void add_child(tree_extent& parent, const tree_extent& child) {
  parent.entries = saturating_add(parent.entries, child.entries);
  parent.depth = std::max(parent.depth, child.depth + 1);
}

// A path thousands of levels deep would make a line of megabytes.
std::string shortened(const std::string& path) {
  constexpr size_t keep = 160;
  if (path.size() <= 2 * keep) return path;
  return path.substr(0, keep) + "/.../" + path.substr(path.size() - keep);
}

std::string too_deep(const std::string& path, const object_id& id) {
  return shortened(path) + ": tree " + id.short_hex() + " lies more than " + std::to_string(max_tree_depth) +
         " levels deep (the format's limit)";
}

}  // namespace

tree_measure::tree_measure(const repository& repo, visitor on_tree, error_sink on_error)
  : read_([&repo](const object_id& id) { return repo.read_tree(id); }), on_tree_(std::move(on_tree)),
    on_error_(std::move(on_error)) {}

tree_measure::tree_measure(tree_reader read, visitor on_tree, error_sink on_error)
  : read_(std::move(read)), on_tree_(std::move(on_tree)), on_error_(std::move(on_error)) {}

expected<tree_extent> tree_measure::measure(const object_id& root, const std::string& path) {
  if (auto it = memo_.find(root); it != memo_.end()) {
    if (it->second.depth >= max_tree_depth) return fail(errc::corrupt, too_deep(path, root));
    return it->second;
  }
  // An explicit stack instead of recursion: its height is the depth, and
  // the depth is checked before every push.
  std::vector<frame> stack;
  std::unordered_set<object_id> on_stack;
  auto open = [&](const object_id& id, std::string where) -> status {
    if (stack.size() >= max_tree_depth) return fail(errc::corrupt, too_deep(where, id));
    if (!on_stack.insert(id).second)
      return fail(errc::corrupt, where + ": tree " + id.short_hex() + " contains itself (damaged)");
    frame f{id, std::move(where), {}, 0, {}};
    auto t = read_(id);
    if (!t) {
      if (!on_error_) return fail(t.error());
      on_error_(f.path, id, t.error());
    } else {
      if (on_tree_) on_tree_(f.path, id, *t);
      f.extent.entries = t->nodes.size();
      for (auto& n : t->nodes)
        if (n.meta.type == fs::file_type::directory) f.subdirs.emplace_back(std::move(n.name), n.subtree);
    }
    stack.push_back(std::move(f));
    return {};
  };
  CAIRN_TRY(open(root, path));
  while (!stack.empty()) {
    auto& top = stack.back();
    if (top.next < top.subdirs.size()) {
      const auto& [name, child] = top.subdirs[top.next++];
      if (auto it = memo_.find(child); it != memo_.end()) {
        add_child(top.extent, it->second);
        if (top.extent.depth + stack.size() - 1 >= max_tree_depth)
          return fail(errc::corrupt, too_deep(top.path + "/" + name, child));
        continue;
      }
      std::string where = top.path + "/" + name;
      CAIRN_TRY(open(child, std::move(where)));  // invalidates `top`
      continue;
    }
    auto id = top.id;
    auto extent = top.extent;
    on_stack.erase(id);
    memo_[id] = extent;
    stack.pop_back();
    if (!stack.empty()) add_child(stack.back().extent, extent);
  }
  return memo_[root];
}

expected<tree_extent> tree_measure::check_limits(const object_id& root, const std::string& path) {
  CAIRN_ASSIGN(auto extent, measure(root, path));
  if (extent.entries > max_checkpoint_entries)
    return fail(errc::corrupt,
                path + ": tree " + root.short_hex() + " expands to " +
                  (extent.entries == UINT64_MAX ? std::string("more than 2^64") : std::to_string(extent.entries)) +
                  " entries (subtrees counted at every place they appear); the format's limit is " +
                  std::to_string(max_checkpoint_entries));
  return extent;
}

}  // namespace cairn::repo
