// cairn copy: checkpoints from one target of the suite to another
// (repo/copier.hpp does the work; this picks what to copy and records it).
#include <chrono>
#include <set>

#include "service/application.hpp"

namespace cairn::service {

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
    if (auto st = engine_->record_checkpoint(copied_row(row, to, *written, *dest.repo)); !st)
      line.error = "copied, but the catalog could not record it: " + st.error().message();
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace cairn::service
