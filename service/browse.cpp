// Finding checkpoints and reading them: checkpoints, resolve, list, diff.
#include "service/application.hpp"

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
  CAIRN_ASSIGN(auto rows, checkpoints(spec == "latest" ? plan : "", target));
  std::vector<catalog::checkpoint_row> found;
  if (spec == "latest") {
    if (plan.empty() && suite.plans.size() != 1)
      return fail(errc::invalid_input, "\"latest\" needs --plan: " + suite.file.string() + " has " +
                                         std::to_string(suite.plans.size()) + " plans");
    std::string p = plan.empty() ? suite.plans.front().name : plan;
    for (auto& r : rows)
      if (r.plan == p) {
        found.push_back(r);
        break;  // rows are newest first
      }
    if (found.empty()) return fail(errc::not_found, "plan \"" + p + "\" has no checkpoint yet");
  } else {
    if (spec.size() < 4 || spec.find_first_not_of("0123456789abcdef") != std::string::npos)
      return fail(errc::invalid_input, "\"" + spec + "\" is not a checkpoint id, an id prefix of 4 or more hex digits, or latest");
    for (auto& r : rows)
      if (r.id.compare(0, spec.size(), spec) == 0) found.push_back(r);
    if (found.empty()) return fail(errc::not_found, "no checkpoint " + spec);
    if (found.size() > 1)
      return fail(errc::invalid_input, "checkpoint prefix " + spec + " is ambiguous (" +
                                         std::to_string(found.size()) + " match); give more digits");
  }
  auto id = object_id::parse(found.front().id);
  if (!id) return fail(errc::corrupt, "the catalog holds a damaged checkpoint id");
  return resolved_checkpoint{found.front(), *id};
}

expected<std::vector<repo::node>> application::list(const resolved_checkpoint& cp, const std::string& path) {
  CAIRN_ASSIGN(auto opened, engine_->open_target(cp.row.target, open_mode::read));
  auto& repo = *opened.repo;
  CAIRN_ASSIGN(auto c, repo.read_checkpoint(cp.id));
  CAIRN_ASSIGN(auto tree, repo.read_tree(c.tree));
  size_t start = 0;
  while (start < path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;
    auto it = std::find_if(tree.nodes.begin(), tree.nodes.end(), [&](const repo::node& n) { return n.name == part; });
    if (it == tree.nodes.end()) return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
    if (it->meta.type != cairn::fs::file_type::directory) {
      if (start < path.size()) return fail(errc::not_found, "\"" + path + "\" is not in the checkpoint");
      return std::vector<repo::node>{*it};
    }
    CAIRN_ASSIGN(tree, repo.read_tree(it->subtree));
  }
  return std::move(tree.nodes);
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
