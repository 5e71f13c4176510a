// restore --dry-run (with --delete: what it would remove): the restore plan
// compared with the destination, which is only read.
#include "recovery/restore_plan.hpp"
#include "service/application.hpp"

namespace cairn::service {

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
  auto dest = fs::destination::open(root, std::nullopt, false);  // a dry run creates nothing
  if (!dest && dest.error().code() != errc::not_found) return fail(dest.error());
  return recovery::compare_with_destination(plan, paths, dest ? dest->get() : nullptr,
                                            recovery::mirror_options{true, removals});
}

expected<open_result> application::open_for_reading(const std::string& target) {
  return engine_->open_target(target, open_mode::read);
}

}  // namespace cairn::service
