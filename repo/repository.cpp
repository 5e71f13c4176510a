#include "repo/repository.hpp"

#include <unistd.h>

#include "base/clock.hpp"
#include "base/ordered_parallel.hpp"
#include "base/version.hpp"
#include "crypto/secret.hpp"

namespace cairn::repo {

namespace {

// Index files read and decoded at once while the index loads: enough to keep
// a remote target's round trips overlapping (the target's own connection
// limit still holds) and both cores decoding; each holds at most one decoded
// index file (max_index_file_bytes) waiting its turn.
constexpr size_t index_readers = 4;
// And at most this many of their bytes at once (one larger file is read alone).
constexpr uint64_t index_bytes_at_once = 64u << 20;

}  // namespace

repository::repository(targets::target_ptr target, repository_header header, crypto::key_ptr keys)
  : target_(std::move(target)), header_(std::move(header)), keys_(std::move(keys)),
    cipher_(header_.encryption, keys_) {}

expected<repository_header> repository::read_header(targets::target& target) {
  auto bytes = read_bounded(target, std::string(header_name), max_header_bytes);
  if (!bytes) {
    if (bytes.error().code() == errc::not_found)
      return fail(errc::not_found,
                  "no Cairn repository at " + target.describe() + " (run: cairn init)");
    return fail(bytes.error());
  }
  return decode_header(*bytes, target.describe() + "/" + std::string(header_name));
}

expected<std::shared_ptr<repository>> repository::create(targets::target_ptr target,
                                                         const create_options& options,
                                                         crypto::key_ptr keys,
                                                         std::vector<crypto::key_slot> slots) {
  auto existing = target->stat(std::string(header_name));
  if (existing)
    return fail(errc::exists, "there already is a repository at " + target->describe());
  if (existing.error().code() != errc::not_found) return fail(existing.error());
  repository_header h;
  h.format_version = format_version;
  h.repository_id = options.repository_id.empty() ? to_hex(crypto::random_bytes(16)) : options.repository_id;
  h.created_ns = now_ns();
  h.program = std::string("cairn ") + program_version;
  h.chunker = options.chunker;
  h.keyed_ids = options.encryption != crypto::encryption::none;
  h.zstd_level = options.zstd_level;
  h.encryption = options.encryption;
  h.pack_size = options.pack_size;
  h.key_slots = std::move(slots);
  if (h.encryption == crypto::encryption::x25519) {
    if (!keys || !keys->recipient)
      return fail(errc::invalid_input, "a write-only repository needs the keys of a public key");
    h.public_key = keys->recipient;
  }
  crypto::object_cipher cipher(h.encryption, keys);
  seal_header(h, cipher);
  CAIRN_TRY(target->put(std::string(header_name), encode_header(h)));
  return std::shared_ptr<repository>(new repository(std::move(target), std::move(h), std::move(keys)));
}

expected<std::shared_ptr<repository>> repository::open(targets::target_ptr target,
                                                       repository_header header,
                                                       crypto::key_ptr keys) {
  if (header.encryption != crypto::encryption::none && !keys)
    return fail(errc::auth, target->describe() + ": the repository is encrypted and no key was given");
  if (header.encryption == crypto::encryption::x25519 && !(keys->recipient && header.public_key &&
                                                           *keys->recipient == *header.public_key))
    return fail(errc::auth, target->describe() + ": a write-only repository, and these keys are not of its public key");
  if (header.encryption != crypto::encryption::x25519 && keys && keys->recipient)
    return fail(errc::auth, target->describe() + ": not a write-only repository");
  crypto::object_cipher cipher(header.encryption, keys);
  if (auto st = verify_header(header, cipher); !st)
    return fail(st.error().with_context(target->describe()));
  return std::shared_ptr<repository>(new repository(std::move(target), std::move(header), std::move(keys)));
}

crypto::id_hasher repository::make_hasher() const {
  return crypto::id_hasher(header_.keyed_ids ? keys_ : nullptr);
}

expected<object_id> repository::write_object(std::string_view prefix, std::string_view kind,
                                              byte_view plaintext) {
  auto sealed = cipher_.seal_object(kind, plaintext);
  auto id = crypto::sha256_of(sealed);
  CAIRN_TRY(target_->put(std::string(prefix) + id.hex(), sealed));
  return id;
}

expected<byte_buffer> repository::read_object(const std::string& name, std::string_view kind,
                                              const object_id& id, uint64_t max_bytes,
                                              std::optional<uint64_t> size) const {
  if (size && *size > max_bytes)
    return fail(errc::corrupt, describe() + ": " + name + " is larger than the format allows (" +
                                 std::to_string(*size) + " bytes, at most " + std::to_string(max_bytes) + ")");
  CAIRN_ASSIGN(auto sealed, read_bounded(*target_, name, max_bytes));
  if (crypto::sha256_of(sealed) != id)
    return fail(errc::corrupt, describe() + ": " + name + " does not match its name (damaged)");
  auto plain = cipher_.open_object(kind, sealed);
  if (!plain) return fail(plain.error().with_context(describe() + ": " + name));
  return plain;
}

status repository::check_record(const pack_record& p) const {
  for (const auto& b : p.blobs)
    if (b.type == blob_type::data && b.raw_length > header_.chunker.max_size)
      return fail(errc::corrupt, "a data blob of " + std::to_string(b.raw_length) +
                                   " bytes is larger than the chunker's max_size");
  return {};
}

expected<std::vector<pack_record>> repository::read_index_file(const object_id& id,
                                                               std::optional<uint64_t> size) const {
  CAIRN_ASSIGN(auto plain, read_object(index_name(id), kind_index, id, max_index_file_bytes, size));
  auto packs = decode_index_file(plain);
  if (!packs) return fail(packs.error().with_context(describe() + ": " + index_name(id)));
  for (const auto& p : *packs)
    if (auto st = check_record(p); !st)
      return fail(st.error().with_context(describe() + ": " + index_name(id) + ": pack " + p.id.short_hex()));
  return packs;
}

expected<load_report> repository::load_index(bool scan_packs, bool write_recovered) {
  if (!cipher_.can_read()) return fail(errc::auth, describe() + ": " + std::string(crypto::write_only_message));
  load_report report;
  struct index_file {
    object_id id;
    uint64_t size = 0;
  };
  std::vector<index_file> index_files;
  auto listed = target_->list(index_prefix, [&](const targets::object_info& info) {
    if (auto id = object_id::parse(info.name.substr(index_prefix.size()))) index_files.push_back({*id, info.size});
    return true;
  });
  if (!listed) return fail(listed.error());
  bool vanished = false;
  index_.bulk_load(true);
  struct bulk_end {
    blob_index& index;
    ~bulk_end() {
      try {
        index.bulk_load(false);
      } catch (const std::bad_alloc&) {  // the blobs stay queued: the next lookup settles them
      }
    }
  } bulk{index_};
  // Index files are read and decoded a few at a time (a remote target's round
  // trips, or decryption and zstd on a local one, overlap) and added in the
  // order they were listed, so the outcome does not depend on the timing.
  // What a target says of their sizes only spreads the work: each read is
  // still bounded by max_index_file_bytes.
  std::optional<error> failed;
  parallel_limits limits{index_readers, 2 * index_readers,
                         [&](size_t i) { return index_files[i].size; }, index_bytes_at_once};
  ordered_parallel(
    index_files.size(), limits,
    [&](size_t i) { return read_index_file(index_files[i].id, index_files[i].size); },
    [&](size_t i, expected<std::vector<pack_record>> packs) {
      if (!packs && packs.error().code() == errc::not_found) {
        // Removed since the listing by a prune (readers take no lock): its
        // packs are now in index files this listing may not have seen.
        vanished = true;
        return true;
      }
      if (!packs) {
        // One damaged index file must not cost every restore: the packs it
        // named are found below through their own tables of contents.
        if (packs.error().code() != errc::corrupt) {
          failed = packs.error();
          return false;
        }
        report.damaged_index_files.push_back(index_files[i].id);
        report.warnings.push_back(packs.error().message() +
                                  " (skipped; its packs are read through their own tables of contents;"
                                  " cairn check --repair rewrites it)");
        return true;
      }
      for (const auto& p : *packs) index_.add(p);
      ++report.index_files;
      return true;
    });
  if (failed) return fail(*failed);
  if (scan_packs || vanished || !report.damaged_index_files.empty()) {
    CAIRN_ASSIGN(auto recovered, recover_unindexed_packs(report));
    report.recovered_packs = recovered.size();
    if (scan_packs && write_recovered && !recovered.empty()) CAIRN_TRY(write_index(recovered));
  }
  report.packs = index_.pack_count();
  report.blobs = index_.blob_count();
  return report;
}

expected<std::vector<pack_record>> repository::recover_unindexed_packs(load_report& report) {
  std::vector<targets::object_info> unindexed;
  auto st = target_->list(data_prefix, [&](const targets::object_info& info) {
    auto slash = info.name.rfind('/');
    auto id = object_id::parse(info.name.substr(slash + 1));
    if (id && !index_.has_pack(*id)) unindexed.push_back(info);
    return true;
  });
  if (!st) return fail(st.error());
  std::vector<pack_record> recovered;
  for (const auto& info : unindexed) {
    auto id = *object_id::parse(info.name.substr(info.name.rfind('/') + 1));
    auto record = read_pack_record(*target_, id, info.size, cipher_);
    if (record) {
      if (auto ok = check_record(*record); !ok) record = fail(ok.error().with_context(pack_name(id)));
    }
    if (!record) {
      if (record.error().code() != errc::corrupt) return fail(record.error());
      report.warnings.push_back(record.error().message());
      continue;
    }
    index_.add(*record);
    recovered.push_back(std::move(*record));
  }
  return recovered;
}

expected<byte_buffer> repository::read_blob(const object_id& id) const {
  auto loc = index_.find(id);
  if (!loc) return fail(errc::not_found, describe() + ": blob " + id.short_hex() + " is not in the index");
  auto pack = index_.pack(loc->pack);
  auto name = pack_name(pack.id);
  CAIRN_ASSIGN(auto sealed, read_range(*target_, name, {loc->offset, loc->length}));
  auto cipher = cipher_.for_pack(pack.salt);
  auto hasher = make_hasher();
  blob_entry entry{id, loc->type, loc->offset, loc->length, loc->raw_length};
  auto plain = open_blob(*cipher, entry, sealed, hasher);
  if (!plain)
    return fail(errc::corrupt, describe() + ": blob " + id.short_hex() + " in " + name + ": " +
                                 plain.error().message());
  return plain;
}

expected<byte_buffer> repository::cached_tree(const object_id& id) const {
  {
    std::lock_guard lock(tree_mutex_);
    if (auto it = trees_.find(id); it != trees_.end()) return it->second;
  }
  auto loc = index_.find(id);
  if (!loc || loc->type != blob_type::tree) return read_blob(id);
  auto pack = index_.pack(loc->pack);
  bool whole_pack = false;
  {
    std::lock_guard lock(tree_mutex_);
    auto& reads = tree_pack_reads_[pack.id];
    if (reads != pack_loaded && tree_bytes_ + pack.size <= tree_cache_limit && ++reads >= trees_alone_per_pack) {
      reads = pack_loaded;
      whole_pack = true;
    }
  }
  if (!whole_pack) {
    // One path down the tree (restore of a file, ls of a directory) touches
    // a few trees in a few packs: reading whole packs for them would cost
    // more than the walk.
    CAIRN_ASSIGN(auto plain, read_blob(id));
    std::lock_guard lock(tree_mutex_);
    if (tree_bytes_ + plain.size() <= tree_cache_limit && !trees_.count(id)) {
      tree_bytes_ += plain.size();
      trees_.emplace(id, plain);
    }
    return plain;
  }
  auto bytes = read_range(*target_, pack_name(pack.id), {0, pack.size});
  auto record = bytes ? parse_pack(*bytes, pack.id, cipher_) : expected<pack_record>(fail(bytes.error()));
  if (!record) return read_blob(id);  // damaged pack: read_blob names the blob that fails
  auto pc = cipher_.for_pack(record->salt);
  auto hasher = make_hasher();
  std::lock_guard lock(tree_mutex_);
  for (const auto& b : record->blobs) {
    if (b.type != blob_type::tree || trees_.count(b.id)) continue;
    // Charged before decompressing, also when it fails: a small pack of
    // highly compressed (or bogus) trees must not expand past the limit.
    if (tree_bytes_ + b.raw_length > tree_cache_limit) break;
    tree_bytes_ += b.raw_length;
    auto plain = open_blob(*pc, b, byte_view(*bytes).subspan(b.offset, b.length), hasher);
    if (!plain) continue;  // stays uncached; read_blob reports it when asked
    trees_.emplace(b.id, std::move(*plain));
  }
  if (auto it = trees_.find(id); it != trees_.end()) return it->second;
  return read_blob(id);
}

void repository::drop_tree_cache() const {
  std::lock_guard lock(tree_mutex_);
  std::unordered_map<object_id, byte_buffer>().swap(trees_);
  std::unordered_map<object_id, uint32_t>().swap(tree_pack_reads_);
  tree_bytes_ = 0;
}

expected<tree> repository::read_tree(const object_id& id) const {
  CAIRN_ASSIGN(auto plain, cached_tree(id));
  auto t = decode_tree(plain);
  if (!t) return fail(t.error().with_context(describe() + ": tree " + id.short_hex()));
  return t;
}

status repository::store_pack(const finished_pack& pack) {
  if (pack.written) return pack.written->commit(pack_name(pack.record.id));
  return target_->put(pack_name(pack.record.id), pack.bytes);
}

expected<object_id> repository::write_index(const std::vector<pack_record>& packs) {
  auto id = write_object(index_prefix, kind_index, encode_index_file(packs));
  if (id)
    for (const auto& p : packs) index_.add(p);
  return id;
}

expected<object_id> repository::write_checkpoint(const checkpoint& c) {
  return write_object(checkpoint_prefix, kind_checkpoint, encode_checkpoint(c));
}

namespace {

expected<std::vector<object_id>> list_ids(targets::target& target, std::string_view prefix) {
  std::vector<object_id> ids;
  auto st = target.list(prefix, [&](const targets::object_info& info) {
    auto id = object_id::parse(info.name.substr(prefix.size()));
    if (id) ids.push_back(*id);
    return true;
  });
  if (!st) return fail(st.error());
  return ids;
}

}  // namespace

expected<std::vector<object_id>> repository::list_checkpoints() const {
  return list_ids(*target_, checkpoint_prefix);
}

expected<std::vector<object_id>> repository::list_index_files() const {
  return list_ids(*target_, index_prefix);
}

status repository::remove_checkpoint(const object_id& id) { return target_->remove(checkpoint_name(id)); }
status repository::remove_index_file(const object_id& id) { return target_->remove(index_name(id)); }
status repository::remove_pack(const object_id& id) { return target_->remove(pack_name(id)); }

expected<checkpoint> repository::read_checkpoint(const object_id& id) const {
  CAIRN_ASSIGN(auto plain, read_object(checkpoint_name(id), kind_checkpoint, id, max_checkpoint_bytes));
  auto c = decode_checkpoint(plain);
  if (!c) return fail(c.error().with_context(describe() + ": checkpoint " + id.short_hex()));
  return c;
}

status repository::write_header(const repository_header& header) {
  return target_->put(std::string(header_name), encode_header(header));
}

}  // namespace cairn::repo
