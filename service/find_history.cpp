// cairn find and cairn history: searching the checkpoints of one target
// (repo/tree_search.hpp does the bounded walks).
#include <algorithm>

#include "repo/tree_search.hpp"
#include "service/application.hpp"

namespace cairn::service {

namespace {

struct selection {
  std::string target;
  std::vector<catalog::checkpoint_row> rows;  // newest first, vanished ones left out
  std::vector<std::string> warnings;
};

// The checkpoints find and history search: one target's, of one plan or all.
expected<selection> select_checkpoints(application& app, const std::string& plan, const std::string& target) {
  const auto& suite = app.config();
  if (!plan.empty() && !suite.find_plan(plan))
    return fail(errc::invalid_input, "no plan named \"" + plan + "\" in " + suite.file.string());
  if (!target.empty() && !suite.find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + suite.file.string());
  CAIRN_ASSIGN(auto rows, app.checkpoints(plan, target));
  selection s;
  s.target = target;
  if (s.target.empty())
    for (const auto& t : suite.targets)
      if (std::any_of(rows.begin(), rows.end(), [&](const auto& r) { return r.target == t.name; })) {
        s.target = t.name;
        break;
      }
  if (s.target.empty())
    return fail(errc::not_found, plan.empty() ? "there is no checkpoint yet" : "plan \"" + plan + "\" has no checkpoint yet");
  for (auto& r : rows) {
    if (r.target != s.target) continue;
    if (r.vanished) s.warnings.push_back("checkpoint " + r.id.substr(0, 8) + " is gone from " + r.target + ": skipped");
    else s.rows.push_back(std::move(r));
  }
  return s;
}

}  // namespace

expected<find_summary> application::find(const std::string& pattern, const std::string& plan,
                                         const std::string& target,
                                         const std::function<void(const found_line&)>& on_found) {
  if (pattern.empty()) return fail(errc::invalid_input, "find needs a pattern, e.g. '*.pdf' or 'home/docs/**'");
  CAIRN_ASSIGN(auto sel, select_checkpoints(*this, plan, target));
  CAIRN_ASSIGN(auto opened, open_for_reading(sel.target));
  find_summary summary{sel.target, 0, 0, 0, 0, std::move(sel.warnings)};
  repo::tree_finder finder(*opened.repo, pattern);
  for (const auto& row : sel.rows) {
    auto id = object_id::parse(row.id);
    auto c = id ? opened.repo->read_checkpoint(*id) : expected<repo::checkpoint>(fail(id.error()));
    size_t before = summary.matches;
    status st = c ? finder.find(c->tree, [&](const std::string& path, const fs::metadata& meta) {
                      ++summary.matches;
                      on_found(found_line{row, path, meta});
                    })
                  : status(fail(c.error()));
    if (!st) summary.warnings.push_back("checkpoint " + row.id.substr(0, 8) + ": " + st.error().message());
    ++summary.checkpoints;
    if (summary.matches > before) ++summary.checkpoints_matching;
  }
  summary.trees_read = finder.trees_read();
  return summary;
}

expected<history_report> application::history(const std::string& path, const std::string& plan,
                                              const std::string& target) {
  if (path.find_first_not_of('/') == std::string::npos)
    return fail(errc::invalid_input, "history needs a path in the checkpoints: SOURCE/dir/name");
  CAIRN_ASSIGN(auto sel, select_checkpoints(*this, plan, target));
  CAIRN_ASSIGN(auto opened, open_for_reading(sel.target));
  history_report report{sel.target, path, {}, std::move(sel.warnings)};
  std::vector<catalog::checkpoint_row> rows;  // oldest first, readable
  std::vector<object_id> roots;
  for (auto it = sel.rows.rbegin(); it != sel.rows.rend(); ++it) {
    auto id = object_id::parse(it->id);
    auto c = id ? opened.repo->read_checkpoint(*id) : expected<repo::checkpoint>(fail(id.error()));
    if (!c) {
      report.warnings.push_back("checkpoint " + it->id.substr(0, 8) + ": " + c.error().message());
      continue;
    }
    rows.push_back(*it);
    roots.push_back(c->tree);
  }
  CAIRN_ASSIGN(auto versions, repo::path_history(*opened.repo, roots, path));
  for (auto& v : versions)
    report.versions.push_back({rows[v.first], rows[v.last], v.last - v.first + 1, v.present, std::move(v.entry),
                               std::move(v.content)});
  return report;
}

}  // namespace cairn::service
