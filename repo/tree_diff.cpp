#include "repo/tree_diff.hpp"

#include <vector>

#include "repo/repo_format.hpp"

namespace cairn::repo {

namespace {

bool same_metadata(const fs::metadata& a, const fs::metadata& b) {
  return a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.mtime_ns == b.mtime_ns &&
         a.link_target == b.link_target && a.rdev == b.rdev && a.xattrs == b.xattrs;
}

struct differ {
  const repository& repo;
  const std::function<void(const tree_change&)>& emit;
  diff_summary summary;

  void report(change_kind kind, const std::string& path, const node* a, const node* b) {
    tree_change c{kind, path, (b ? b : a)->meta.type, a ? a->meta.size : 0, b ? b->meta.size : 0};
    bool files = c.type == fs::file_type::regular;
    switch (kind) {
      case change_kind::added: ++summary.added; if (files) summary.bytes_added += c.new_size; break;
      case change_kind::removed: ++summary.removed; if (files) summary.bytes_removed += c.old_size; break;
      case change_kind::content:
      case change_kind::type:
        ++summary.content;
        if (c.new_size > c.old_size) summary.bytes_added += c.new_size - c.old_size;
        else summary.bytes_removed += c.old_size - c.new_size;
        break;
      case change_kind::metadata: ++summary.metadata; break;
    }
    emit(c);
  }

  // One pair of directories being merged; the stack replaces recursion, so
  // its height is the depth, checked before every push.
  struct frame {
    std::string prefix;
    tree a, b;
    size_t i = 0, j = 0;
  };
  std::vector<frame> stack;
  uint64_t compared = 0;

  status push(std::string prefix, const object_id& older, const object_id& newer) {
    if (stack.size() >= max_tree_depth)
      return fail(errc::corrupt, (prefix.size() > 320 ? prefix.substr(0, 160) + "/.../" + prefix.substr(prefix.size() - 160)
                                                     : prefix) +
                                   ": more than " + std::to_string(max_tree_depth) + " levels deep (the format's limit)");
    CAIRN_ASSIGN(auto a, repo.read_tree(older));
    CAIRN_ASSIGN(auto b, repo.read_tree(newer));
    compared += a.nodes.size() + b.nodes.size();
    if (compared > 2 * max_checkpoint_entries)
      return fail(errc::corrupt, "the checkpoints expand to more entries than the format allows (" +
                                   std::to_string(max_checkpoint_entries) + " each)");
    stack.push_back({std::move(prefix), std::move(a), std::move(b), 0, 0});
    return {};
  }

  status walk(const object_id& older, const object_id& newer) {
    if (older == newer) return {};
    CAIRN_TRY(push("", older, newer));
    while (!stack.empty()) {
      auto& f = stack.back();
      const node* x = f.i < f.a.nodes.size() ? &f.a.nodes[f.i] : nullptr;
      const node* y = f.j < f.b.nodes.size() ? &f.b.nodes[f.j] : nullptr;
      if (!x && !y) {
        stack.pop_back();
        continue;
      }
      int order = !x ? 1 : !y ? -1 : x->name < y->name ? -1 : x->name > y->name ? 1 : 0;
      std::string path = f.prefix + (order <= 0 ? x->name : y->name);
      if (order < 0) {
        report(change_kind::removed, path, x, nullptr), ++f.i;
        continue;
      }
      if (order > 0) {
        report(change_kind::added, path, nullptr, y), ++f.j;
        continue;
      }
      ++f.i, ++f.j;
      if (x->meta.type != y->meta.type) {
        report(change_kind::type, path, x, y);
        continue;
      }
      if (x->meta.type == fs::file_type::directory) {
        // A directory's mtime moves with every change inside it: only its
        // own attributes count.
        if (x->meta.mode != y->meta.mode || x->meta.uid != y->meta.uid || x->meta.gid != y->meta.gid ||
            x->meta.xattrs != y->meta.xattrs)
          report(change_kind::metadata, path, x, y);
        if (x->subtree != y->subtree) CAIRN_TRY(push(path + "/", x->subtree, y->subtree));  // invalidates f
        continue;
      }
      if (x->content != y->content || x->meta.size != y->meta.size) report(change_kind::content, path, x, y);
      else if (!same_metadata(x->meta, y->meta)) report(change_kind::metadata, path, x, y);
    }
    return {};
  }
};

}  // namespace

std::string_view to_string(change_kind kind) {
  switch (kind) {
    case change_kind::added: return "added";
    case change_kind::removed: return "removed";
    case change_kind::content: return "content";
    case change_kind::metadata: return "metadata";
    case change_kind::type: return "type";
  }
  return "?";
}

expected<diff_summary> diff_trees(const repository& repo, const object_id& older, const object_id& newer,
                                  const std::function<void(const tree_change&)>& on_change) {
  differ d{repo, on_change, {}, {}, 0};
  CAIRN_TRY(d.walk(older, newer));
  return d.summary;
}

}  // namespace cairn::repo
