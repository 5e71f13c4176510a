// The application's browsing commands: restore --dry-run, find, history and
// copy. They use the application only through its public methods, and do
// their work in the libraries below (recovery/, repo/).
#include "actors/app.hpp"

#include <algorithm>
#include <chrono>
#include <set>

#include "recovery/restore_plan.hpp"
#include "repo/tree_search.hpp"

namespace cairn::actors {

expected<recovery::mirror_report> application::restore_preview(const resolved_checkpoint& cp,
                                                               const std::filesystem::path& to,
                                                               const std::vector<std::string>& paths,
                                                               bool removals) {
  CAIRN_ASSIGN(auto opened, open_for_reading(cp.row.target));
  CAIRN_ASSIGN(auto c, opened.repo->read_checkpoint(cp.id));
  CAIRN_ASSIGN(auto plan, recovery::plan_restore(*opened.repo, c.tree, paths));
  std::error_code ec;
  auto root = std::filesystem::absolute(to, ec);
  if (ec) return fail(errc::invalid_input, "cannot use " + to.string() + " as a destination: " + ec.message());
  auto dest = fs::destination::open(root, false);  // a dry run creates nothing
  if (!dest && dest.error().code() != errc::not_found) return fail(dest.error());
  return recovery::compare_with_destination(plan, paths, dest ? dest->get() : nullptr,
                                            recovery::mirror_options{true, removals});
}

}  // namespace cairn::actors

namespace cairn::actors {

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

}  // namespace cairn::actors

namespace cairn::actors {

namespace {

struct checkpoint_key {
  std::string plan, host;
  int64_t time_ns;
  auto operator<=>(const checkpoint_key&) const = default;
};

// The checkpoints the destination holds, by what identifies a run: a copy
// (or the same run's own checkpoint there) has the same plan, host and time.
expected<std::set<checkpoint_key>> held_by(const repo::repository& repo, const std::vector<catalog::checkpoint_row>& rows) {
  std::set<checkpoint_key> held;
  auto ids = repo.list_checkpoints();
  if (!ids && ids.error().code() != errc::unsupported) return fail(ids.error());
  if (!ids) {  // a target that cannot list: the catalog knows what is there
    for (const auto& r : rows) held.insert({r.plan, r.host, r.time_ns});
    return held;
  }
  for (const auto& id : *ids) {
    CAIRN_ASSIGN(auto c, repo.read_checkpoint(id));
    held.insert({c.plan, c.host, c.time_ns});
  }
  return held;
}

catalog::checkpoint_row copied_row(const catalog::checkpoint_row& from, const std::string& target,
                                   const object_id& id, const repo::repository& to) {
  catalog::checkpoint_row row = from;
  row.id = id.hex();
  row.target = target;
  row.parent.clear();
  row.vanished = false;
  auto c = to.read_checkpoint(id);
  if (c) row.tree = c->tree.hex();
  return row;
}

}  // namespace

expected<std::vector<copy_line>> application::copy(const std::string& from, const std::string& to,
                                                   const std::vector<std::string>& specs) {
  const auto& suite = config();
  for (const auto* name : {&from, &to})
    if (!suite.find_target(*name))
      return fail(errc::invalid_input, "no target named \"" + *name + "\" in " + suite.file.string());
  if (from == to) return fail(errc::invalid_input, "copy needs two different targets (--from " + from + " --to " + to + ")");
  std::vector<catalog::checkpoint_row> rows;  // oldest first
  if (specs.empty()) {
    CAIRN_ASSIGN(auto all, checkpoints("", from));
    for (auto it = all.rbegin(); it != all.rend(); ++it)
      if (!it->vanished) rows.push_back(*it);
  } else {
    for (const auto& spec : specs) {
      CAIRN_ASSIGN(auto cp, resolve(spec, "", from));
      rows.push_back(cp.row);
    }
  }
  CAIRN_ASSIGN(auto source, open_for_reading(from));
  CAIRN_ASSIGN(auto dest, open_for_reading(to));
  // Shared, as a backup: prune (exclusive) must not delete packs this copy
  // has stored but not yet indexed.
  CAIRN_ASSIGN(auto lock, dest.repo->lock(false, "copy"));
  auto refreshed = std::chrono::steady_clock::now();
  auto keep_alive = [&] {
    if (std::chrono::steady_clock::now() - refreshed < std::chrono::minutes(5)) return;
    refreshed = std::chrono::steady_clock::now();
    (void)lock->refresh();  // a failure shows up as the lock going stale: prune then waits 30 min more
  };
  CAIRN_ASSIGN(auto to_rows, checkpoints("", to));
  CAIRN_ASSIGN(auto held, held_by(*dest.repo, to_rows));
  repo::checkpoint_copier copier(*source.repo, *dest.repo, keep_alive);
  std::vector<copy_line> lines;
  for (const auto& row : rows) {
    copy_line line{row.id, "", row.plan, row.time_ns, false, "", {}};
    if (held.count({row.plan, row.host, row.time_ns})) {
      line.already = true;
      lines.push_back(std::move(line));
      continue;
    }
    auto before = copier.stats();
    auto id = object_id::parse(row.id);
    auto written = id ? copier.copy(*id) : expected<object_id>(fail(id.error()));
    const auto& after = copier.stats();
    line.stats = {after.trees - before.trees, after.blobs_read - before.blobs_read, after.bytes_read - before.bytes_read,
                  after.blobs_new - before.blobs_new, after.bytes_uploaded - before.bytes_uploaded};
    if (!written) {
      line.error = written.error().message();
      lines.push_back(std::move(line));
      continue;
    }
    line.to_id = written->hex();
    held.insert({row.plan, row.host, row.time_ns});
    if (auto st = record_checkpoint(copied_row(row, to, *written, *dest.repo)); !st)
      line.error = "copied, but the catalog could not record it: " + st.error().message();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace cairn::actors
