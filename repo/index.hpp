// Where every blob lives: blob id -> pack, offset, length. Index files and the
// table of contents inside each pack share one encoding (pack records), so the
// index can be rebuilt from the packs alone. The in-memory `index` class is
// thread-safe (a shared mutex); the codecs are free functions.
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/error.hpp"
#include "base/id.hpp"
#include "repo/detail/blob_table.hpp"
#include "repo/repo_format.hpp"

namespace cairn::repo {

struct blob_entry {
  object_id id;
  blob_type type = blob_type::data;
  uint32_t offset = 0;      // in the pack
  uint32_t length = 0;      // sealed length in the pack
  uint32_t raw_length = 0;  // plaintext length
  bool operator==(const blob_entry&) const = default;
};

struct pack_record {
  object_id id;                      // SHA-256 of the whole pack
  std::array<uint8_t, 32> salt{};    // derives the pack key
  uint64_t size = 0;
  std::vector<blob_entry> blobs;
  bool operator==(const pack_record&) const = default;
};

// The table of contents of one pack (no pack id: it is the pack's own hash).
byte_buffer encode_toc(const std::vector<blob_entry>& blobs);
expected<std::vector<blob_entry>> decode_toc(byte_view bytes);

// The plaintext of an index file.
byte_buffer encode_index_file(const std::vector<pack_record>& packs);
expected<std::vector<pack_record>> decode_index_file(byte_view bytes);

class blob_index {
public:
  // pack: number into the packs, see pack(); offset, length, raw_length, type.
  using location = detail::blob_location;
  struct pack_info {
    object_id id;
    std::array<uint8_t, 32> salt{};
    uint64_t size = 0;
  };

  // Adds a pack's blobs; a blob already indexed keeps its first location.
  // Adding the same pack twice is a no-op. Releases claims on its blobs.
  void add(const pack_record& pack);
  // Blobs known to be stored whose location this machine cannot read (a
  // write-only machine's record, stored_ids.hpp): contains() is true and
  // claim() false for them; find() knows no location until a pack added
  // later names them. They take the index's ~44 bytes each, not a hash node.
  void add_known(const std::unordered_set<object_id>& ids);
  // Many packs arrive at once (the index files of a repository): their
  // blobs are queued and sorted in together when it is turned off or a
  // lookup needs them (detail::blob_table::set_bulk).
  void bulk_load(bool on);
  std::optional<location> find(const object_id& id) const;
  bool contains(const object_id& id) const;
  bool has_pack(const object_id& pack) const;
  pack_info pack(uint32_t number) const;

  // Claims a blob for storing: true when it is neither indexed nor claimed,
  // so exactly one writer stores each new blob. Unclaim on failure.
  bool claim(const object_id& id);
  void unclaim(const object_id& id);

  size_t blob_count() const;
  size_t pack_count() const;
  void for_each_pack(const std::function<void(const pack_info&)>& fn) const;
  void for_each_blob(const std::function<void(const object_id&, const location&)>& fn) const;

private:
  // Runs `read` on the table under a shared lock, after settling what a bulk
  // load queued (under the exclusive lock: settling moves no blob in or out).
  template <class F>
  auto with_settled(F&& read) const {
    {
      std::shared_lock lock(mutex_);
      if (!blobs_.pending()) return read(std::as_const(blobs_));
    }
    std::unique_lock lock(mutex_);
    blobs_.settle();
    return read(std::as_const(blobs_));
  }

  mutable std::shared_mutex mutex_;
  // ~44 bytes a blob, never twice at once; claimed and known blobs too:
  // repo/detail/blob_table.hpp. Mutable for with_settled.
  mutable detail::blob_table blobs_;
  std::vector<pack_info> packs_;
  std::unordered_map<object_id, uint32_t> pack_numbers_;
};

}  // namespace cairn::repo
