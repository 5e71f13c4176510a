// One repository on one target: its header and keys, the in-memory index, and
// reading and writing of packs, index files, trees and checkpoints.
// Thread-safe: every method may be called from several threads at once.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>

#include "crypto/cipher.hpp"
#include "crypto/id_hasher.hpp"
#include "crypto/keys.hpp"
#include "repo/checkpoint.hpp"
#include "repo/header.hpp"
#include "repo/index.hpp"
#include "repo/pack.hpp"
#include "repo/tree.hpp"
#include "targets/target.hpp"

namespace cairn::repo {

struct create_options {
  std::string repository_id;  // 32 hex digits; generated when empty
  chunker_params chunker{default_min_chunk, default_avg_chunk, default_max_chunk, 0};
  int zstd_level = default_zstd_level;
  crypto::encryption encryption = crypto::encryption::aes256gcm;
  uint32_t pack_size = default_pack_size;
};

struct load_report {
  size_t index_files = 0;
  size_t packs = 0;
  size_t blobs = 0;
  size_t recovered_packs = 0;  // found by listing data/, not named by any index file
  std::vector<object_id> damaged_index_files;  // skipped; their packs were scanned
  std::vector<std::string> warnings;
};

class repository_lock;

class repository {
public:
  // Reads and parses the header. not_found: there is no repository there.
  static expected<repository_header> read_header(targets::target& target);

  // Creates a repository on an empty target. `keys` is null for encryption none.
  static expected<std::shared_ptr<repository>> create(targets::target_ptr target,
                                                      const create_options& options,
                                                      crypto::key_ptr keys,
                                                      std::vector<crypto::key_slot> slots);

  // Opens with keys unlocked from one of the header's slots (null for none).
  // corrupt when the header was tampered with.
  static expected<std::shared_ptr<repository>> open(targets::target_ptr target,
                                                    repository_header header,
                                                    crypto::key_ptr keys);

  const repository_header& header() const { return header_; }
  const crypto::object_cipher& cipher() const { return cipher_; }
  const targets::target_ptr& target() const { return target_; }
  const crypto::key_ptr& keys() const { return keys_; }
  crypto::id_hasher make_hasher() const;
  repo::blob_index& index() { return index_; }
  const repo::blob_index& index() const { return index_; }

  // Reads every index file; with `scan_packs`, also lists data/ and reads the
  // table of contents of packs no index names (left by an interrupted run),
  // and, with `write_recovered`, writes an index file for them. A damaged
  // index file (corrupt) is skipped with one warning naming it, and then the
  // packs no healthy index file names are scanned whatever `scan_packs` says;
  // so they are when an index file vanished after the listing (a prune).
  expected<load_report> load_index(bool scan_packs, bool write_recovered);

  // Reads and decodes one index file, bounded (max_index_file_bytes) and
  // checked against the header; corrupt naming it when damaged.
  expected<std::vector<pack_record>> read_index_file(const object_id& id,
                                                     std::optional<uint64_t> size = std::nullopt) const;

  // A pack record from a target, against the header's limits (data blobs
  // at most chunker.max_size).
  status check_record(const pack_record& record) const;

  // Reads, decrypts, decompresses and verifies one blob.
  expected<byte_buffer> read_blob(const object_id& id) const;
  expected<tree> read_tree(const object_id& id) const;
  // Forgets the trees kept by read_tree (a restore that planned its work
  // needs them no more; they would stay resident while it writes files).
  void drop_tree_cache() const;
  // Trees read alone from one pack before a miss there reads the pack whole.
  static constexpr uint32_t trees_alone_per_pack = 4;

  status store_pack(const finished_pack& pack);
  expected<object_id> write_index(const std::vector<pack_record>& packs);
  expected<object_id> write_checkpoint(const checkpoint& c);

  // unsupported when the target cannot list.
  expected<std::vector<object_id>> list_checkpoints() const;
  expected<std::vector<object_id>> list_index_files() const;
  // Removal, for forget and prune only (each object is immutable otherwise).
  status remove_checkpoint(const object_id& id);
  status remove_index_file(const object_id& id);
  status remove_pack(const object_id& id);
  expected<checkpoint> read_checkpoint(const object_id& id) const;

  // Replaces the header (key slots changed). Atomic on every target.
  status write_header(const repository_header& header);

  // Takes a lock: shared for backups and restores, exclusive for maintenance.
  // With an exclusive lock held, runs the on_exclusive_lock hook.
  expected<std::unique_ptr<repository_lock>> lock(bool exclusive, std::string purpose);

  // Work only a holder of the exclusive lock may do, run each time one is
  // taken (removing temporary files killed writers left on a local target:
  // remove_leftover_temporaries). Set once, before the repository is shared.
  void on_exclusive_lock(std::function<void()> hook) { exclusive_hook_ = std::move(hook); }

  std::string describe() const { return target_->describe(); }

private:
  repository(targets::target_ptr target, repository_header header, crypto::key_ptr keys);
  expected<object_id> write_object(std::string_view prefix, std::string_view kind,
                                   byte_view plaintext);
  // Reads a sealed object of at most `max_bytes` (refused before reading
  // when its listed `size` says more), verifies it against its name, opens it.
  expected<byte_buffer> read_object(const std::string& name, std::string_view kind,
                                    const object_id& id, uint64_t max_bytes,
                                    std::optional<uint64_t> size = std::nullopt) const;
  // Indexes packs that no loaded index file names, through their TOCs.
  expected<std::vector<pack_record>> recover_unindexed_packs(load_report& report);

  // Trees are read one by one while walking (restore planning, ls, check);
  // on a remote target each read is a round trip, so once a walk has read
  // trees_alone_per_pack trees of one pack the next miss there fetches the
  // whole pack and keeps its trees. Every tree read is kept, up to
  // tree_cache_limit bytes.
  expected<byte_buffer> cached_tree(const object_id& id) const;
  static constexpr size_t tree_cache_limit = 256u << 20;
  static constexpr uint32_t pack_loaded = UINT32_MAX;

  targets::target_ptr target_;
  repository_header header_;
  crypto::key_ptr keys_;
  crypto::object_cipher cipher_;
  repo::blob_index index_;
  mutable std::mutex tree_mutex_;
  mutable std::unordered_map<object_id, byte_buffer> trees_;
  mutable size_t tree_bytes_ = 0;
  // Trees read alone from each pack, or pack_loaded.
  mutable std::unordered_map<object_id, uint32_t> tree_pack_reads_;
  std::function<void()> exclusive_hook_;
};

// A lock object under locks/. Released on destruction (best effort).
class repository_lock {
public:
  repository_lock(targets::target_ptr target, const crypto::object_cipher& cipher,
                  std::string name, byte_buffer info_json);
  ~repository_lock();
  // Rewrites the lock with a fresh time; call more often than stale_after_ns.
  status refresh();
  status release();
  const std::string& name() const { return name_; }

  static constexpr int64_t stale_after_ns = 30LL * 60 * 1'000'000'000;

private:
  targets::target_ptr target_;
  const crypto::object_cipher& cipher_;
  std::string name_;
  byte_buffer info_;
  bool held_ = true;
};

}  // namespace cairn::repo
