#include "recovery/restore_mirror.hpp"

#include <unistd.h>

#include <algorithm>
#include <unordered_map>

namespace cairn::recovery {

namespace {

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

std::pair<std::string, std::string> split_parent(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

// "a//b/" -> "a/b", as plan_restore reads a path.
std::string normalize(const std::string& p) {
  std::string out;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    if (end > start) out = join(out, p.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Why the entry at the destination differs from the checkpoint's, or "".
std::string difference(const fs::metadata& m, const fs::metadata& there) {
  if (m.type != there.type) return "type";
  if (m.type == fs::file_type::symlink) return m.link_target == there.link_target ? "" : "link";
  if (m.type == fs::file_type::regular && (m.size != there.size || m.mtime_ns != there.mtime_ns)) return "content";
  if ((m.mode & 07777) != there.mode) return "metadata";
  static const bool root = ::geteuid() == 0;  // once, not a system call per compared entry
  if (root && (m.uid != there.uid || m.gid != there.gid)) return "metadata";
  return "";
}

struct comparer {
  const restore_plan& plan;
  fs::destination* dest;
  mirror_report report;
  std::unordered_map<std::string, size_t> by_path;

  void compare_entries() {
    for (size_t i = 0; i < plan.entries.size(); ++i) {
      const auto& e = plan.entries[i];
      std::string path = plan.path(i);
      mirror_line line{mirror_kind::create, path, e.type, e.size, ""};
      if (dest) {
        auto [parent, name] = split_parent(path);
        auto dir = dest->directory(parent, false);
        if (dir) {
          auto there = dest->peek(**dir, name);
          if (!there) {
            report.warnings.push_back(path + ": " + there.error().message());
            continue;
          }
          if (*there) {
            line.why = difference(plan.meta(i), **there);
            if (line.why.empty()) continue;
            line.kind = mirror_kind::change;
          }
        }
      }
      report.lines.push_back(std::move(line));
    }
  }

  // Lists each restored directory that is a directory at the destination too,
  // and descends only into directories the plan holds.
  void find_extras(const std::vector<std::string>& roots) {
    std::vector<std::string> stack(roots.rbegin(), roots.rend());
    while (!stack.empty()) {
      std::string rel = std::move(stack.back());
      stack.pop_back();
      auto dir = dest->directory(rel, false);
      if (!dir) {
        report.warnings.push_back(rel + ": " + dir.error().message());
        continue;
      }
      auto names = dest->names(**dir);
      if (!names) {
        report.warnings.push_back(rel + ": " + names.error().message());
        continue;
      }
      std::vector<std::string> below;
      for (const auto& name : *names) {
        std::string path = join(rel, name);
        auto it = by_path.find(path);
        auto there = dest->peek(**dir, name);
        if (!there || !*there) continue;  // gone meanwhile
        if (it == by_path.end()) {
          report.lines.push_back({mirror_kind::remove, path, (*there)->type, (*there)->size, ""});
          continue;
        }
        if (plan.entries[it->second].type == fs::file_type::directory && (*there)->type == fs::file_type::directory)
          below.push_back(path);
      }
      stack.insert(stack.end(), below.rbegin(), below.rend());
    }
  }
};

}  // namespace

mirror_report compare_with_destination(const restore_plan& plan, const std::vector<std::string>& paths,
                                       fs::destination* dest, const mirror_options& options) {
  comparer c{plan, dest, {}, {}};
  if (options.creates_and_changes) c.compare_entries();
  if (!options.removals || !dest) return std::move(c.report);
  for (size_t i = 0; i < plan.entries.size(); ++i) c.by_path.emplace(plan.path(i), i);
  std::vector<std::string> roots;
  auto is_dir = [&](const std::string& p) {
    auto it = c.by_path.find(p);
    return it != c.by_path.end() && plan.entries[it->second].type == fs::file_type::directory;
  };
  if (paths.empty()) {
    for (size_t i = 0; i < plan.entries.size(); ++i)
      if (plan.entries[i].parent == no_entry && plan.entries[i].type == fs::file_type::directory)
        roots.push_back(plan.path(i));
  } else {
    for (const auto& p : paths)
      if (auto n = normalize(p); !n.empty() && is_dir(n)) roots.push_back(n);
      else if (n.empty()) {
        for (size_t i = 0; i < plan.entries.size(); ++i)
          if (plan.entries[i].parent == no_entry && is_dir(plan.path(i))) roots.push_back(plan.path(i));
      }
  }
  std::sort(roots.begin(), roots.end());
  roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
  // A root inside another one is walked from there; one that is not a
  // directory at the destination (missing, a file, a symlink) holds nothing
  // to remove: restore replaces it whole.
  std::vector<std::string> walk;
  for (const auto& r : roots) {
    bool inside = std::any_of(walk.begin(), walk.end(),
                              [&](const std::string& w) { return r.compare(0, w.size() + 1, w + "/") == 0; });
    if (inside) continue;
    auto [parent, name] = split_parent(r);
    auto dir = dest->directory(parent, false);
    if (!dir) continue;
    auto there = dest->peek(**dir, name);
    if (there && *there && (*there)->type == fs::file_type::directory) walk.push_back(r);
  }
  c.find_extras(walk);
  return std::move(c.report);
}

std::vector<std::string> remove_extras(fs::destination& dest, const std::vector<mirror_line>& lines) {
  std::vector<std::string> problems;
  for (const auto& l : lines) {
    if (l.kind != mirror_kind::remove) continue;
    auto [parent, name] = split_parent(l.path);
    auto dir = dest.directory(parent, false);
    status st = dir ? dest.remove(**dir, name) : status(fail(dir.error()));
    if (!st) problems.push_back(l.path + ": " + st.error().message());
  }
  return problems;
}

std::string_view to_string(mirror_kind kind) {
  switch (kind) {
    case mirror_kind::create: return "create";
    case mirror_kind::change: return "change";
    case mirror_kind::remove: return "remove";
  }
  return "?";
}

}  // namespace cairn::recovery
