#include "recovery/archive_restore.hpp"

#include "recovery/restore_execution.hpp"
#include "recovery/restore_plan.hpp"

namespace cairn::recovery {

expected<archive_restore_report> restore_archive(archive::archive_reader& reader,
                                                 const std::vector<std::string>& paths,
                                                 const std::filesystem::path& to, const fs::apply_options& options) {
  // One "pack": the archive; blobs are read in the order it holds them.
  restore_source source{
    [&reader](const object_id& id) { return reader.read_tree(id); },
    [&reader](const object_id& id) -> std::optional<repo::blob_index::location> {
      auto p = reader.find(id);
      if (!p || p->type != archive::record_type::data) return std::nullopt;
      repo::blob_index::location loc;
      loc.pack = 0;
      loc.offset = p->ordinal;
      loc.raw_length = p->raw_length;
      loc.type = repo::blob_type::data;
      return loc;
    },
    "a content blob is missing from the archive (damaged or cut short)"};
  CAIRN_ASSIGN(auto plan, plan_restore(source, reader.info().root, paths));
  archive_restore_report report;
  report.files = plan.files;
  report.dirs = plan.dirs;
  report.links = plan.links;
  report.bytes = plan.bytes;
  report.damaged = plan.missing;
  auto shared = std::make_shared<const restore_plan>(std::move(plan));
  CAIRN_ASSIGN(auto exec, restore_execution::create(shared, to, options));
  auto collect = [&](std::vector<entry_problem> problems) {
    for (auto& p : problems) report.problems.push_back(p.path + ": " + p.reason);
  };
  size_t n = shared->entries.size();
  collect(exec->create_entries(0, n));
  std::vector<object_id> damaged;
  for (const auto& work : shared->packs) {
    auto out = exec->deliver_pack(work, [&reader](const planned_blob& pb) { return reader.read_data(pb.blob.id); });
    report.bytes_written += out.bytes_written;
    damaged.insert(damaged.end(), out.damaged.begin(), out.damaged.end());
    for (auto& p : out.problems) report.problems.push_back(p.path + ": " + p.reason);
  }
  collect(exec->finish_files(0, n));
  collect(exec->link_hardlinks());
  collect(exec->apply_metadata(0, n));
  collect(exec->apply_directory_metadata());
  for (auto& line : exec->files_using(damaged)) report.damaged.push_back(std::move(line));
  return report;
}

}  // namespace cairn::recovery
