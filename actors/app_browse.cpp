// The application's browsing commands: restore --dry-run, find, history and
// copy. They use the application only through its public methods, and do
// their work in the libraries below (recovery/, repo/).
#include "actors/app.hpp"

#include "recovery/restore_plan.hpp"

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
