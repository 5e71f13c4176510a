#include "repo/checker.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "repo/tree_walk.hpp"

namespace cairn::repo {

namespace {

// Every distinct tree once (its first path names it), iteratively and
// depth-bounded; per checkpoint, what restore would refuse (depth, expanded
// entry count) from the memoized extents, without expanding anything.
void check_trees(repository& repo, check_report& report,
                 const std::vector<std::pair<std::string, object_id>>& roots) {
  tree_measure measure(
    repo,
    [&](const std::string& path, const object_id&, const tree& t) {
      ++report.trees;
      for (const auto& n : t.nodes) {
        if (n.meta.type != fs::file_type::regular) continue;
        ++report.files;
        for (const auto& id : n.content)
          if (!repo.index().contains(id)) {
            report.errors.push_back(path + "/" + n.name + ": chunk " + id.short_hex() +
                                    " is missing from the repository");
            break;
          }
      }
    },
    [&](const std::string& path, const object_id&, const error& e) {
      report.errors.push_back(path + ": " + e.message());  // read_tree names the tree
    });
  for (const auto& [name, tree] : roots) {
    auto extent = measure.check_limits(tree, "checkpoint " + name + ":");
    if (!extent) report.errors.push_back(extent.error().message() + " (restore refuses it)");
  }
}

// Names the files that use a damaged blob, at the first path of each
// distinct tree (a directory stored once and shown in several places is
// named once).
std::vector<std::string> files_using(repository& repo, const std::unordered_set<object_id>& damaged,
                                     const std::vector<std::pair<std::string, object_id>>& roots) {
  std::vector<std::string> out;
  tree_measure measure(repo, [&](const std::string& path, const object_id&, const tree& t) {
    for (const auto& n : t.nodes)
      for (const auto& id : n.content)
        if (damaged.count(id)) {
          out.push_back(path + "/" + n.name);
          break;
        }
  }, [](const std::string&, const object_id&, const error&) {});
  for (const auto& [name, tree] : roots) (void)measure.measure(tree, "checkpoint " + name + ":");
  return out;
}

}  // namespace

expected<check_report> check_repository(repository& repo, const check_options& options) {
  check_report report;
  CAIRN_ASSIGN(auto loaded, repo.load_index(false, false));
  for (auto& w : loaded.warnings) report.errors.push_back(w);
  report.damaged_index_files = loaded.damaged_index_files;

  std::map<object_id, uint64_t> on_target;
  CAIRN_TRY(repo.target()->list(data_prefix, [&](const targets::object_info& info) {
    auto id = object_id::parse(info.name.substr(info.name.rfind('/') + 1));
    if (id) on_target[*id] = info.size;
    return true;
  }));
  repo.index().for_each_pack([&](const blob_index::pack_info& p) {
    auto it = on_target.find(p.id);
    if (it == on_target.end())
      report.errors.push_back(pack_name(p.id) + " is missing (the index names it)");
    else if (it->second != p.size)
      report.errors.push_back(pack_name(p.id) + " has " + std::to_string(it->second) +
                              " bytes, the index says " + std::to_string(p.size));
  });
  for (const auto& [id, size] : on_target)
    if (!repo.index().has_pack(id)) ++report.unindexed_packs;
  if (report.unindexed_packs)
    report.warnings.push_back(std::to_string(report.unindexed_packs) +
                              " pack(s) are in no index yet (left by an interrupted run; the next backup indexes and reuses them)");
  report.packs = on_target.size();
  report.blobs = repo.index().blob_count();

  CAIRN_ASSIGN(auto ids, repo.list_checkpoints());
  std::vector<std::pair<std::string, object_id>> roots;
  for (const auto& id : ids) {
    auto c = repo.read_checkpoint(id);
    if (!c) {
      report.errors.push_back(c.error().message());
      continue;
    }
    ++report.checkpoints;
    roots.emplace_back(id.short_hex(), c->tree);
  }
  check_trees(repo, report, roots);

  if (!options.read_data) return report;
  std::unordered_set<object_id> damaged;
  size_t done = 0;
  auto hasher = repo.make_hasher();
  for (const auto& entry : on_target) {
    // Named, not structured bindings: lambdas below capture them (clang 14 cannot).
    const auto& pack_id = entry.first;
    const auto& size = entry.second;
    auto name = pack_name(pack_id);
    ++done;
    if (size > max_pack_bytes) {
      report.errors.push_back(name + ": " + std::to_string(size) + " bytes, larger than a pack may be");
      continue;
    }
    auto bytes = read_range(*repo.target(), name, {0, size});
    if (!bytes) {
      report.errors.push_back(name + ": " + bytes.error().message());
      continue;
    }
    report.bytes_read += bytes->size();
    if (options.on_progress) options.on_progress(done, on_target.size(), report.bytes_read);
    auto record = parse_pack(*bytes, pack_id, repo.cipher());
    if (record)
      if (auto st = repo.check_record(*record); !st) record = fail(st.error());
    if (!record) {
      report.errors.push_back(name + ": " + record.error().message());
      // Every blob the index places in this pack is damaged.
      uint32_t number = 0, found = UINT32_MAX;
      repo.index().for_each_pack([&](const blob_index::pack_info& p) {
        if (p.id == pack_id) found = number;
        ++number;
      });
      repo.index().for_each_blob([&](const object_id& id, const blob_index::location& loc) {
        if (loc.pack == found) damaged.insert(id);
      });
      continue;
    }
    auto cipher = repo.cipher().for_pack(record->salt);
    for (const auto& b : record->blobs) {
      auto plain = open_blob(*cipher, b, byte_view(*bytes).subspan(b.offset, b.length), hasher);
      if (!plain) {
        damaged.insert(b.id);
        report.errors.push_back(name + ": blob " + b.id.short_hex() + ": " + plain.error().message());
      }
    }
  }
  if (!damaged.empty())
    for (const auto& f : files_using(repo, damaged, roots)) report.errors.push_back(f + ": uses a damaged blob");
  return report;
}

expected<repair_report> repair_index(repository& repo) {
  repair_report report;
  CAIRN_ASSIGN(auto lock, repo.lock(true, "index repair"));
  std::vector<targets::object_info> files;
  CAIRN_TRY(repo.target()->list(index_prefix, [&](const targets::object_info& info) {
    if (object_id::parse(info.name.substr(index_prefix.size()))) files.push_back(info);
    return true;
  }));
  std::unordered_set<object_id> named;  // by a healthy index file
  std::vector<object_id> damaged;
  for (const auto& info : files) {
    auto id = *object_id::parse(info.name.substr(index_prefix.size()));
    auto packs = repo.read_index_file(id, info.size);
    if (!packs && packs.error().code() == errc::not_found) continue;  // gone since the listing
    if (!packs) {
      if (packs.error().code() != errc::corrupt) return fail(packs.error());
      damaged.push_back(id);
      continue;
    }
    for (const auto& p : *packs) named.insert(p.id);
  }
  std::vector<targets::object_info> unnamed;
  CAIRN_TRY(repo.target()->list(data_prefix, [&](const targets::object_info& info) {
    auto id = object_id::parse(info.name.substr(info.name.rfind('/') + 1));
    if (id && !named.count(*id)) unnamed.push_back(info);
    return true;
  }));
  std::vector<pack_record> records;
  for (const auto& info : unnamed) {
    auto id = *object_id::parse(info.name.substr(info.name.rfind('/') + 1));
    auto record = read_pack_record(*repo.target(), id, info.size, repo.cipher());
    if (record)
      if (auto st = repo.check_record(*record); !st) record = fail(st.error().with_context(pack_name(id)));
    if (!record) {
      if (record.error().code() != errc::corrupt) return fail(record.error());
      report.warnings.push_back(record.error().message() + " (left out of the index)");
      continue;
    }
    records.push_back(std::move(*record));
  }
  for (size_t i = 0; i < records.size(); i += packs_per_index_file) {
    auto end = std::min(records.size(), i + packs_per_index_file);
    std::vector<pack_record> part(records.begin() + static_cast<std::ptrdiff_t>(i),
                                  records.begin() + static_cast<std::ptrdiff_t>(end));
    CAIRN_ASSIGN(auto written, repo.write_index(part));
    report.new_index_files.push_back(written);
  }
  report.packs_indexed = records.size();
  // Only now: every pack a damaged file could have named is in a new one.
  for (const auto& id : damaged) {
    // In mode none an index file's name is a function of its contents: the
    // rewrite may have put the intact file back under the damaged one's name.
    if (std::find(report.new_index_files.begin(), report.new_index_files.end(), id) !=
        report.new_index_files.end()) {
      report.removed_index_files.push_back(id);
      continue;
    }
    auto st = repo.remove_index_file(id);
    if (!st && st.error().code() != errc::not_found) return fail(st.error());
    report.removed_index_files.push_back(id);
  }
  CAIRN_TRY(lock->release());
  return report;
}

}  // namespace cairn::repo
