#include "backup/dry_run.hpp"

#include "backup/source_scan.hpp"
#include "catalog/catalog.hpp"
#include "fs/metadata.hpp"

namespace cairn::backup {

namespace {

dry_run_source scan_dir(const config::plan_config& plan, const config::source_config& s, catalog::catalog* cache) {
  dry_run_source out{plan.name, s.name, s.type, s.path.string(), {}, {}, {}};
  if (!s.exclude_from_error.empty()) {
    out.note = s.exclude_from_error;
    return out;
  }
  auto root = fs::stat_only(s.path.string());
  if (!root) {
    out.note = s.where.str() + ": source " + root.error().message();
    return out;
  }
  if (root->type != fs::file_type::directory) {
    out.note = s.where.str() + ": source path " + s.path.string() + " is not a directory";
    return out;
  }
  scan_options o;
  o.plan = plan.name;
  o.targets = plan.targets;
  o.cache = cache;
  o.on_read = [&](const std::string& path, const fs::metadata& m) { out.to_read.push_back({path, m.size}); };
  out.totals = scan_source(s, o);
  return out;
}

// A staged source is read whole every run: its copy is a new file each time.
dry_run_source scan_staged(const config::plan_config& plan, const config::source_config& s) {
  dry_run_source out{plan.name, s.name, s.type, s.type == config::source_type::command ? s.command : s.path.string(), {}, {}, {}};
  if (s.type == config::source_type::command) {
    out.note = "the command's output is read in full; its size is known only when it runs";
    return out;
  }
  if (s.resource) {  // a dry run runs no command
    out.what = s.resource->backup;
    out.note = "the resource's backup command fills its staging folder; its size is known only when it runs";
    return out;
  }
  auto m = fs::stat_only(s.path.string());
  if (!m) {
    out.note = s.where.str() + ": source " + m.error().message();
    return out;
  }
  out.totals = {1, 0, m->size, 1, m->size};
  out.to_read.push_back({s.path.string(), m->size});
  return out;
}

}  // namespace

expected<std::vector<dry_run_source>> dry_run(const config::suite_config& suite,
                                              const std::vector<std::string>& plans) {
  std::vector<const config::plan_config*> chosen;
  for (const auto& name : plans) {
    auto* p = suite.find_plan(name);
    if (!p) return fail(errc::invalid_input, "no plan named \"" + name + "\" in " + suite.file.string());
    chosen.push_back(p);
  }
  if (plans.empty())
    for (const auto& p : suite.plans) chosen.push_back(&p);
  // Without a catalog (no backup ran yet) every file is to be read.
  std::unique_ptr<catalog::catalog> cache;
  if (auto db = catalog::catalog::open(suite.state_dir, true)) cache = std::move(*db);
  std::vector<dry_run_source> out;
  for (const auto* p : chosen)
    for (const auto& s : p->sources)
      out.push_back(s.type == config::source_type::dir ? scan_dir(*p, s, cache.get()) : scan_staged(*p, s));
  return out;
}

}  // namespace cairn::backup
