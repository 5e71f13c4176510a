// Keeping repositories healthy and small: check (and repair), forget, prune.
#include "service/application.hpp"

#include <unordered_set>

#include "base/clock.hpp"
#include "repo/repo_format.hpp"

namespace cairn::service {

namespace {

std::vector<std::string> repair_notes(const repo::repair_report& r) {
  std::vector<std::string> notes;
  for (const auto& id : r.new_index_files)
    notes.push_back("index repaired: wrote " + std::string(repo::index_prefix) + id.hex());
  for (const auto& id : r.removed_index_files)
    notes.push_back("index repaired: removed the damaged " + std::string(repo::index_prefix) + id.hex());
  if (!r.removed_index_files.empty() || r.packs_indexed)
    notes.push_back("index repaired: " + std::to_string(r.packs_indexed) + " pack(s) indexed from their own tables of contents");
  for (const auto& w : r.warnings) notes.push_back(w);
  return notes;
}

// Checkpoints the catalog lists for `target` that the target no longer holds
// are errors (their restore would fail) and are marked in the catalog, so
// `cairn checkpoints` shows them without talking to the target.
void compare_with_catalog(const config::suite_config& suite, const std::string& target, const repo::repository& repo,
                          repo::check_report& report) {
  // Read-only first: a check on a machine without a catalog must not create one.
  auto probe = catalog::catalog::open(suite.state_dir, true);
  if (!probe) {
    if (probe.error().code() != errc::not_found) report.warnings.push_back("catalog: " + probe.error().message());
    return;
  }
  probe->reset();
  auto db = catalog::catalog::open(suite.state_dir, false);
  if (!db) {
    report.warnings.push_back("catalog: " + db.error().message());
    return;
  }
  // The catalog before the target: a backup writes the target first, so a
  // row read now is on the target by the time it is listed.
  auto rows = (*db)->checkpoints("", target);
  if (!rows) {
    report.warnings.push_back("catalog: " + rows.error().message());
    return;
  }
  auto on_target = repo.list_checkpoints();
  if (!on_target) {
    if (on_target.error().code() != errc::unsupported)
      report.errors.push_back("cannot list checkpoints: " + on_target.error().message());
    return;
  }
  std::unordered_set<object_id> present(on_target->begin(), on_target->end());
  for (const auto& row : *rows) {
    auto id = object_id::parse(row.id);
    bool gone = !id || !present.count(*id);
    if (gone)
      report.errors.push_back("checkpoint " + row.id.substr(0, 8) + " (plan " + row.plan + ", " +
                              format_time(row.time_ns) + ") is in the catalog but gone from the target");
    if (gone != row.vanished) {
      auto st = (*db)->set_vanished(target, row.id, gone, now_ns());
      if (!st) report.warnings.push_back("catalog: " + st.error().message());
    }
  }
}

}  // namespace

expected<std::vector<check_line>> application::check(const std::string& target, bool read_data, bool repair) {
  if (!target.empty() && !suite_->find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + suite_->file.string());
  CAIRN_TRY(engine_->preflight(target));
  std::vector<check_line> out;
  for (const auto& t : suite_->targets) {
    if (!target.empty() && t.name != target) continue;
    check_line line{t.name, "", {}};
    auto opened = engine_->open_target(t.name, open_mode::read);
    if (!opened) {
      line.error = describe(opened.error());
      out.push_back(std::move(line));
      continue;
    }
    std::vector<std::string> repaired;
    if (repair) {
      auto r = repo::repair_index(*opened->repo);
      if (!r) {
        line.error = describe(r.error().with_context(t.name + ": index repair"));
        out.push_back(std::move(line));
        continue;
      }
      repaired = repair_notes(*r);
    }
    repo::check_options o;
    o.read_data = read_data;
    if (options_.renderer)
      o.on_progress = [&](size_t done, size_t total, uint64_t bytes) {
        progress_snapshot s;
        s.phase = "checking " + t.name;
        s.done.files = done;
        s.total.files = total;
        s.done.bytes = bytes;
        options_.renderer(s);
      };
    auto r = repo::check_repository(*opened->repo, o);
    if (!r) line.error = describe(r.error());
    else line.report = std::move(*r);
    for (auto& note : repaired) line.report.warnings.push_back(std::move(note));
    if (r) compare_with_catalog(*suite_, t.name, *opened->repo, line.report);
    out.push_back(std::move(line));
  }
  return out;
}

// From the target first, so that if this stops half-way the catalog still
// lists them and the next forget finishes the job; then from the catalog.
// Errors go on the lines.
status application::remove_forgotten(std::vector<forget_line>& lines) {
  std::map<std::string, expected<open_result>> opened;  // per target, opened once
  for (auto& line : lines) {
    if (line.keep) continue;
    auto it = opened.find(line.target);
    if (it == opened.end())
      it = opened.emplace(line.target, engine_->open_target(line.target, open_mode::state)).first;
    auto id = object_id::parse(line.id);
    status st = !it->second ? status(fail(it->second.error()))
                : !id       ? status(fail(errc::corrupt, "bad checkpoint id in the catalog"))
                            : it->second->repo->remove_checkpoint(*id);
    if (!st && st.error().code() != errc::not_found) {
      line.error = describe(st.error());
      continue;
    }
    auto r = engine_->forget_in_catalog(line.target, line.id);
    if (!r) line.error = describe(r.error());
  }
  return {};
}

expected<std::vector<forget_line>> application::forget(const std::vector<std::string>& plans,
                                                        const std::string& target, bool dry_run) {
  const auto& suite = *suite_;
  if (!target.empty() && !suite.find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + suite.file.string());
  std::vector<const config::plan_config*> chosen;
  for (const auto& name : plans) {
    const auto* p = suite.find_plan(name);
    if (!p) return fail(errc::invalid_input, "no plan named \"" + name + "\" in " + suite.file.string());
    if (p->keep.empty())
      return fail(errc::invalid_input, p->where.str() + ": plan \"" + name + "\" has no keep: policy, so "
                                       "forget would not know what to keep (add e.g. keep: {daily: 7, weekly: 4})");
    chosen.push_back(p);
  }
  if (plans.empty())
    for (const auto& p : suite.plans)
      if (!p.keep.empty()) chosen.push_back(&p);
  if (chosen.empty())
    return fail(errc::invalid_input, suite.file.string() + ": no plan has a keep: policy, so there is "
                                     "nothing to forget (add e.g. keep: {daily: 7, weekly: 4} to a plan)");
  for (const auto* p : chosen)
    for (const auto& t : p->targets)
      if (!dry_run && (target.empty() || t == target)) CAIRN_TRY(engine_->preflight(t));
  std::vector<forget_line> out;
  int64_t now = now_ns();
  for (const auto* p : chosen) {
    for (const auto& t : p->targets) {
      if (!target.empty() && t != target) continue;
      CAIRN_ASSIGN(auto rows, engine_->catalog_checkpoints(p->name, t));
      std::vector<config::dated_checkpoint> dated;
      for (const auto& r : rows) dated.push_back({r.id, r.time_ns});
      for (auto& x : config::apply_policy(std::move(dated), p->keep, now))
        out.push_back({p->name, t, x.id, x.time_ns, x.keep, std::move(x.reasons), {}});
    }
  }
  if (!dry_run) CAIRN_TRY(remove_forgotten(out));
  return out;
}

expected<std::vector<forget_line>> application::forget_named(const std::vector<resolved_checkpoint>& checkpoints,
                                                              bool dry_run) {
  std::vector<forget_line> out;
  for (const auto& cp : checkpoints)
    out.push_back({cp.row.plan, cp.row.target, cp.row.id, cp.row.time_ns, false, {"named"}, {}});
  if (!dry_run) CAIRN_TRY(remove_forgotten(out));
  return out;
}

expected<std::vector<prune_line>> application::prune(const std::string& target, const repo::prune_options& options) {
  if (!target.empty() && !suite_->find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + suite_->file.string());
  CAIRN_TRY(engine_->preflight(target));
  std::vector<prune_line> out;
  for (const auto& t : suite_->targets) {
    if (!target.empty() && t.name != target) continue;
    prune_line line{t.name, {}, {}};
    auto opened = engine_->open_target(t.name, open_mode::read);
    auto r = opened ? repo::prune_repository(*opened->repo, options) : expected<repo::prune_report>(fail(opened.error()));
    if (r) line.report = std::move(*r);
    else line.error = describe(r.error());
    out.push_back(std::move(line));
  }
  return out;
}

}  // namespace cairn::service
