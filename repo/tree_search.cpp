#include "repo/tree_search.hpp"

#include "crypto/id_hasher.hpp"

namespace cairn::repo {

// The matches below one tree at one path, in path order: an item is either a
// match or the hits of a subtree (shared, so a subtree met again costs one pointer).
struct tree_finder::hits {
  struct item {
    std::string path;        // a match (when `below` is null)
    fs::metadata meta;
    hits_ptr below;
  };
  std::vector<item> items;
};

namespace {

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

}  // namespace

tree_finder::tree_finder(const repository& repo, const std::string& pattern)
  : repo_(repo), matcher_(std::vector<std::string>{pattern}), measure_(repo) {}

expected<tree_finder::hits_ptr> tree_finder::collect(const object_id& root) {
  struct frame {
    std::pair<object_id, std::string> key;
    tree t;
    size_t next = 0;
    std::shared_ptr<hits> h;
  };
  std::vector<frame> stack;  // its height is bounded: check_limits measured the depth
  auto open = [&](const object_id& id, const std::string& path) -> status {
    CAIRN_ASSIGN(auto t, repo_.read_tree(id));
    ++trees_read_;
    stack.push_back({{id, path}, std::move(t), 0, std::make_shared<hits>()});
    return {};
  };
  CAIRN_TRY(open(root, ""));
  hits_ptr result;
  while (!stack.empty()) {
    auto& top = stack.back();
    if (top.next < top.t.nodes.size()) {
      auto& n = top.t.nodes[top.next++];
      std::string path = join(top.key.second, n.name);
      bool dir = n.meta.type == fs::file_type::directory;
      if (matcher_.excluded("/" + path, dir)) top.h->items.push_back({path, n.meta, nullptr});
      if (!dir) continue;
      auto it = memo_.find({n.subtree, path});
      if (it != memo_.end()) {
        if (it->second) top.h->items.push_back({"", {}, it->second});
        continue;
      }
      CAIRN_TRY(open(n.subtree, path));  // invalidates `top`
      continue;
    }
    hits_ptr done = top.h->items.empty() ? nullptr : hits_ptr(top.h);
    memo_[top.key] = done;
    stack.pop_back();
    if (stack.empty()) result = done;
    else if (done) stack.back().h->items.push_back({"", {}, done});
  }
  return result;
}

status tree_finder::find(const object_id& root, const on_match& found) {
  CAIRN_TRY(measure_.check_limits(root));
  hits_ptr top;
  if (auto it = memo_.find({root, ""}); it != memo_.end()) {
    top = it->second;
  } else {
    CAIRN_ASSIGN(top, collect(root));
  }
  std::vector<std::pair<const hits*, size_t>> stack;
  if (top) stack.emplace_back(top.get(), 0);
  while (!stack.empty()) {
    auto& [h, i] = stack.back();
    if (i == h->items.size()) {
      stack.pop_back();
      continue;
    }
    const auto& item = h->items[i++];
    if (item.below) stack.emplace_back(item.below.get(), 0);
    else found(item.path, item.meta);
  }
  return {};
}

expected<std::optional<node>> find_node(const repository& repo, const object_id& root, const std::string& path) {
  object_id tree_id = root;
  size_t start = 0, depth = 0;
  while (true) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty()) {
      if (end >= path.size()) return std::optional<node>();  // "" or a trailing '/': the root is no entry
      continue;
    }
    if (++depth > max_tree_depth) return fail(errc::invalid_input, "the path is deeper than any checkpoint can be");
    CAIRN_ASSIGN(auto t, repo.read_tree(tree_id));
    auto it = std::lower_bound(t.nodes.begin(), t.nodes.end(), part,
                               [](const node& n, const std::string& name) { return n.name < name; });
    if (it == t.nodes.end() || it->name != part) return std::optional<node>();
    bool last = path.find_first_not_of('/', end) == std::string::npos;
    if (last) return std::optional<node>(std::move(*it));
    if (it->meta.type != fs::file_type::directory) return std::optional<node>();
    tree_id = it->subtree;
  }
}

expected<std::vector<node>> list_path(const repository& repo, const object_id& root, const std::string& path) {
  object_id dir = root;
  if (path.find_first_not_of('/') != std::string::npos) {
    CAIRN_ASSIGN(auto n, find_node(repo, root, path));
    if (!n) return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
    if (n->meta.type != fs::file_type::directory) return std::vector<node>{std::move(*n)};
    dir = n->subtree;
  }
  CAIRN_ASSIGN(auto t, repo.read_tree(dir));
  return std::move(t.nodes);
}

std::string content_id(const node& n) {
  switch (n.meta.type) {
    case fs::file_type::directory: return n.subtree.hex();
    case fs::file_type::regular: {
      crypto::sha256_stream s;
      for (const auto& id : n.content) s.update(id.view());
      return s.finish().hex();
    }
    case fs::file_type::symlink: {
      const auto& t = n.meta.link_target;
      return crypto::sha256_of(byte_view(reinterpret_cast<const uint8_t*>(t.data()), t.size())).hex();
    }
    default: return "";
  }
}

expected<std::vector<path_version>> path_history(const repository& repo, const std::vector<object_id>& roots,
                                                 const std::string& path) {
  std::vector<path_version> out;
  for (size_t i = 0; i < roots.size(); ++i) {
    CAIRN_ASSIGN(auto n, find_node(repo, roots[i], path));
    std::string content = n ? content_id(*n) : std::string();
    bool same = !out.empty() && out.back().present == n.has_value() &&
                (!n || (out.back().entry.meta.type == n->meta.type && out.back().content == content));
    if (same) {
      out.back().last = i;
      continue;
    }
    path_version v{i, i, n.has_value(), n ? std::move(*n) : node{}, std::move(content)};
    v.entry.content.clear();
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace cairn::repo
