// Finding checkpoints and reading them: checkpoints, resolve, list, diff.
#include "service/application.hpp"

#include "catalog/checkpoint_lookup.hpp"
#include "repo/tree_search.hpp"

namespace cairn::service {

namespace fs = std::filesystem;

expected<std::vector<catalog::checkpoint_row>> application::checkpoints(const std::string& plan,
                                                                         const std::string& target) {
  if (suite_->keyring.mode == config::keyring_mode::write_only) return write_only_checkpoints(plan, target);
  auto db = catalog::catalog::open(suite_->state_dir, true);
  if (!db && db.error().code() == errc::not_found) return std::vector<catalog::checkpoint_row>{};
  if (!db) return fail(db.error());
  return (*db)->checkpoints(plan, target);
}

expected<resolved_checkpoint> application::resolve(const std::string& spec, const std::string& plan,
                                                   const std::string& target) {
  auto& suite = *suite_;
  if (!plan.empty() && !suite.find_plan(plan))
    return fail(errc::invalid_input, "no plan named \"" + plan + "\" in " + suite.file.string());
  if (!target.empty() && !suite.find_target(target))
    return fail(errc::invalid_input, "no target named \"" + target + "\" in " + suite.file.string());
  catalog::checkpoint_query q{spec, plan, target};
  if (spec == "latest" && plan.empty()) {
    if (suite.plans.size() != 1)
      return fail(errc::invalid_input, "\"latest\" needs --plan: " + suite.file.string() + " has " +
                                         std::to_string(suite.plans.size()) + " plans");
    q.plan = suite.plans.front().name;
  }
  CAIRN_ASSIGN(auto rows, checkpoints(spec == "latest" ? q.plan : "", target));
  CAIRN_ASSIGN(auto row, catalog::find_checkpoint(rows, q));
  auto id = object_id::parse(row.id);
  if (!id) return fail(errc::corrupt, "the catalog holds a damaged checkpoint id");
  return resolved_checkpoint{std::move(row), *id};
}

expected<std::vector<repo::node>> application::list(const resolved_checkpoint& cp, const std::string& path) {
  CAIRN_ASSIGN(auto opened, engine_->open_target(cp.row.target, open_mode::read));
  CAIRN_ASSIGN(auto c, opened.repo->read_checkpoint(cp.id));
  return repo::list_path(*opened.repo, c.tree, path);
}

expected<repo::diff_summary> application::diff(const resolved_checkpoint& older, const resolved_checkpoint& newer,
                                               const std::function<void(const repo::tree_change&)>& on_change) {
  if (older.row.target != newer.row.target)
    return fail(errc::invalid_input, "checkpoints " + older.row.id.substr(0, 8) + " and " + newer.row.id.substr(0, 8) +
                                       " are on different targets (" + older.row.target + ", " + newer.row.target +
                                       "): compare two of one target (--target T)");
  CAIRN_ASSIGN(auto opened, engine_->open_target(older.row.target, open_mode::read));
  auto& repo = *opened.repo;
  CAIRN_ASSIGN(auto a, repo.read_checkpoint(older.id));
  CAIRN_ASSIGN(auto b, repo.read_checkpoint(newer.id));
  return repo::diff_trees(repo, a.tree, b.tree, on_change);
}

}  // namespace cairn::service
