#include "repo/pruner.hpp"

#include <unordered_map>
#include <unordered_set>

#include "repo/compression.hpp"
#include "repo/repo_format.hpp"

namespace cairn::repo {

namespace {

bool removed(const status& s) { return s || s.error().code() == errc::not_found; }

// Every tree and data blob reachable from a checkpoint.
expected<std::unordered_set<object_id>> reachable(repository& repo, size_t& checkpoints) {
  std::unordered_set<object_id> used;
  CAIRN_ASSIGN(auto ids, repo.list_checkpoints());
  std::vector<object_id> stack;
  for (const auto& id : ids) {
    auto c = repo.read_checkpoint(id);
    if (!c) return fail(c.error().code(), "cannot prune: checkpoint " + id.short_hex() + " cannot be read, so "
                                          "what it needs is unknown (" + c.error().message() + "); run cairn check");
    ++checkpoints;
    stack.push_back(c->tree);
  }
  while (!stack.empty()) {
    auto id = stack.back();
    stack.pop_back();
    if (!used.insert(id).second) continue;
    auto t = repo.read_tree(id);
    if (!t) return fail(t.error().code(), "cannot prune: " + t.error().message() + "; run cairn check");
    for (const auto& n : t->nodes) {
      for (const auto& chunk : n.content) used.insert(chunk);
      if (n.meta.type == fs::file_type::directory) stack.push_back(n.subtree);
    }
  }
  return used;
}

struct pack_use {
  blob_index::pack_info info;
  std::vector<blob_entry> used;
  uint64_t used_bytes = 0;
};

// Writes the used blobs of `packs` into new packs (data and trees apart).
expected<std::vector<pack_record>> repack(repository& repo, const std::vector<const pack_use*>& packs,
                                          std::vector<object_id>& done, prune_report& report,
                                          const std::atomic<bool>* cancel) {
  const auto& h = repo.header();
  pack_writer data(repo.cipher(), h.pack_size, repo.target().get());
  pack_writer trees(repo.cipher(), h.pack_size, repo.target().get());
  std::vector<pack_record> written;
  auto flush = [&](pack_writer& w) -> status {
    if (w.empty()) return {};
    CAIRN_ASSIGN(auto p, w.finish());
    CAIRN_TRY(repo.store_pack(p));
    report.bytes_written += p.record.size;
    ++report.packs_written;
    written.push_back(std::move(p.record));
    return {};
  };
  auto hasher = repo.make_hasher();
  for (const auto* p : packs) {
    if (cancel && cancel->load()) return fail(errc::cancelled, "prune was stopped (nothing was removed)");
    auto bytes = read_range(*repo.target(), pack_name(p->info.id), {0, p->info.size});
    auto record = bytes ? parse_pack(*bytes, p->info.id, repo.cipher()) : expected<pack_record>(fail(bytes.error()));
    if (!record) {
      report.warnings.push_back("pack " + p->info.id.short_hex() + " kept as it is: " + record.error().message());
      continue;
    }
    auto cipher = repo.cipher().for_pack(record->salt);
    std::vector<std::pair<const blob_entry*, byte_buffer>> blobs;
    bool intact = true;
    for (const auto& b : p->used) {
      auto plain = open_blob(*cipher, b, byte_view(*bytes).subspan(b.offset, b.length), hasher);
      if (!plain) {
        report.warnings.push_back("pack " + p->info.id.short_hex() + " kept as it is: blob " + b.id.short_hex() +
                                  " is damaged (" + plain.error().message() + ")");
        intact = false;
        break;
      }
      blobs.emplace_back(&b, std::move(*plain));
    }
    if (!intact) continue;
    for (auto& [b, plain] : blobs) {
      auto encoded = encode_blob(plain, h.zstd_level);
      auto& w = b->type == blob_type::tree ? trees : data;
      if (w.would_overflow(encoded.size())) CAIRN_TRY(flush(w));
      CAIRN_TRY(w.add(b->type, b->id, encoded, static_cast<uint32_t>(plain.size())));
    }
    done.push_back(p->info.id);
  }
  CAIRN_TRY(flush(data));
  CAIRN_TRY(flush(trees));
  return written;
}

}  // namespace

expected<prune_report> prune_repository(repository& repo, const prune_options& o) {
  prune_report report;
  auto step = [&](const std::string& s) {
    if (o.on_step) o.on_step(s);
  };
  CAIRN_ASSIGN(auto lock, repo.lock(true, "prune"));
  CAIRN_ASSIGN(auto old_index_files, repo.list_index_files());
  CAIRN_ASSIGN(auto loaded, repo.load_index(true, false));
  for (auto& w : loaded.warnings) report.warnings.push_back(std::move(w));
  CAIRN_ASSIGN(auto used, reachable(repo, report.checkpoints));

  // What each pack holds that a checkpoint needs (at the location the index
  // gives; copies elsewhere count as unused).
  // for_each_pack visits packs in their numbers' order, so packs[n] is pack n
  // (and the index is not locked again from inside for_each_blob).
  std::vector<pack_use> packs;
  repo.index().for_each_pack([&](const blob_index::pack_info& p) { packs.push_back({p, {}, 0}); });
  repo.index().for_each_blob([&](const object_id& id, const blob_index::location& loc) {
    if (!used.count(id) || loc.pack >= packs.size()) return;
    auto& p = packs[loc.pack];
    p.used.push_back({id, loc.type, loc.offset, loc.length, loc.raw_length});
    p.used_bytes += loc.length;
  });
  for (const auto& id : used)
    if (!repo.index().contains(id))
      return fail(errc::corrupt, "cannot prune: blob " + id.short_hex() + " that a checkpoint needs is in no "
                                 "pack; run cairn check --read-data");

  std::vector<const pack_use*> to_delete, to_repack, to_keep;
  for (const auto& p : packs) {
    report.bytes += p.info.size;
    uint64_t unused = p.info.size > p.used_bytes ? p.info.size - p.used_bytes : 0;
    report.bytes_unused += unused;
    if (p.used.empty()) to_delete.push_back(&p);
    else if (static_cast<double>(unused) >= o.repack_unused * static_cast<double>(p.info.size)) to_repack.push_back(&p);
    else to_keep.push_back(&p);
  }
  report.packs = packs.size();
  report.packs_deleted = to_delete.size();
  if (o.dry_run) {
    report.packs_repacked = to_repack.size();
    for (const auto* p : to_delete) report.bytes_freed += p->info.size;
    for (const auto* p : to_repack) report.bytes_freed += p->info.size - p->used_bytes;
    return report;
  }
  if (to_delete.empty() && to_repack.empty()) return report;

  // 1. New packs with the used blobs of the packs being rewritten.
  std::vector<object_id> repacked;
  CAIRN_ASSIGN(auto written, repack(repo, to_repack, repacked, report, o.cancel));
  report.packs_repacked = repacked.size();
  std::unordered_set<object_id> gone(repacked.begin(), repacked.end());
  for (const auto* p : to_delete) gone.insert(p->info.id);
  step("packs written");
  if (o.cancel && o.cancel->load()) return fail(errc::cancelled, "prune was stopped (nothing was removed)");

  // 2. New index files naming every pack that stays, and the new ones.
  std::vector<pack_record> records;
  for (const auto& p : packs) {
    if (gone.count(p.info.id) || p.used.empty()) continue;
    records.push_back({p.info.id, p.info.salt, p.info.size, p.used});
  }
  for (auto& r : written) records.push_back(std::move(r));
  for (size_t i = 0; i < records.size(); i += packs_per_index_file) {
    std::vector<pack_record> part(records.begin() + static_cast<std::ptrdiff_t>(i),
                                  records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + packs_per_index_file)));
    CAIRN_TRY(repo.write_index(part));
  }
  step("index written");

  // 3. The old index files: every pack they name that stays is in the new ones.
  for (const auto& id : old_index_files) {
    auto st = repo.remove_index_file(id);
    if (!removed(st)) return fail(st.error());
    ++report.index_files_replaced;
  }
  step("old index removed");

  // 4. The packs nothing needs any more.
  for (const auto& id : gone) {
    auto st = repo.remove_pack(id);
    if (!removed(st)) return fail(st.error());
  }
  for (const auto* p : to_delete) report.bytes_freed += p->info.size;
  for (const auto* p : to_repack)
    if (std::find(repacked.begin(), repacked.end(), p->info.id) != repacked.end()) report.bytes_freed += p->info.size;
  report.bytes_freed = report.bytes_freed > report.bytes_written ? report.bytes_freed - report.bytes_written : 0;
  step("packs removed");
  (void)lock;
  return report;
}

}  // namespace cairn::repo
