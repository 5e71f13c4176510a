// Building and reading packs: salt | sealed blobs | sealed TOC | TOC length |
// magic (docs/FORMAT.md). A pack_writer is owned by one thread.
#pragma once

#include <memory>
#include <optional>

#include "crypto/cipher.hpp"
#include "crypto/id_hasher.hpp"
#include "repo/index.hpp"
#include "targets/target.hpp"

namespace cairn::repo {

struct finished_pack {
  pack_record record;  // id, salt, size, blobs
  byte_buffer bytes;   // the whole pack, unless it was streamed:
  // the pack's bytes already on the target, waiting for their name (commit).
  std::unique_ptr<targets::object_writer> written;
};

class pack_writer {
public:
  // With `stream_to`, packs are written onto that target while they are built
  // (when it offers an object_writer), holding at most ~1 MiB in memory;
  // otherwise each pack is built in memory.
  pack_writer(const crypto::object_cipher& cipher, uint32_t target_size,
              targets::target* stream_to = nullptr);

  // `encoded` is [encoding byte][payload] (encode_blob); raw_length is the
  // plaintext length. Fails only when streaming to the target fails.
  status add(blob_type type, const object_id& id, byte_view encoded, uint32_t raw_length);
  bool empty() const { return record_.blobs.empty(); }
  bool full() const { return size() >= target_size_; }
  // True when a blob of `encoded_size` would take the pack past its target
  // size: finish() first, so packs never overshoot (and never reallocate).
  bool would_overflow(size_t encoded_size) const {
    return !empty() && size() + encoded_size + 64 > target_size_;
  }
  size_t size() const { return streamed_ + bytes_.size(); }
  size_t blob_count() const { return record_.blobs.size(); }

  // Seals the table of contents and returns the pack; the writer starts anew.
  expected<finished_pack> finish();

  // Gives back the buffer of a pack that was uploaded, so the next pack reuses
  // it instead of allocating (and faulting in) another 16 MiB.
  void recycle(byte_buffer buffer);

private:
  void start();
  status open_stream();
  status flush();
  const crypto::object_cipher& cipher_;
  uint32_t target_size_;
  targets::target* stream_to_;
  std::unique_ptr<crypto::pack_cipher> pack_cipher_;
  pack_record record_;
  byte_buffer bytes_;  // the pack, or when streaming the part not yet written
  std::vector<byte_buffer> spare_;
  // Streaming: the target's writer (null until the first blob, and when the
  // target has none), the bytes written so far and their running hash.
  std::unique_ptr<targets::object_writer> out_;
  bool try_stream_ = false;
  std::optional<error> failed_;  // a write to the target failed: the pack is lost
  uint64_t streamed_ = 0;
  std::unique_ptr<crypto::sha256_stream> hash_;
};

// The associated data bound to a sealed blob: its type and id.
std::array<uint8_t, 33> blob_aad(blob_type type, const object_id& id);

// Opens one sealed blob, decompresses it and verifies it against its id.
// corrupt (naming nothing: callers add the blob and pack) when anything is off.
expected<byte_buffer> open_blob(crypto::pack_cipher& cipher, const blob_entry& entry,
                                byte_view sealed, crypto::id_hasher& hasher);
// The same for a caller that opens many blobs one after another (restore):
// the blob is decrypted where it lies in `sealed` (the caller's buffer, whose
// bytes are overwritten) and decompressed into a buffer reused from one blob to
// the next (decode_blob_into). The view holds until `scratch` or `sealed` is
// used again; a raw blob's view lies in `sealed`.
struct blob_scratch {
  scratch_buffer plain;
  // Keeps at most `keep` bytes between blobs: one large chunk does not hold
  // its buffer for the rest of a restore (peak RSS), the many smaller ones
  // reuse theirs.
  void trim(size_t keep = 2u << 20) { plain.trim(keep); }
};
expected<byte_view> open_blob_into(crypto::pack_cipher& cipher, const blob_entry& entry, std::span<uint8_t> sealed,
                                   crypto::id_hasher& hasher, blob_scratch& scratch);

// Reads `range` of an object whose extent the repository recorded: a range
// the object no longer holds (truncated) is corrupt, never invalid_input.
expected<byte_buffer> read_range(targets::target& target, const std::string& name,
                                 targets::byte_range range);
// The same into `buffer`, reused from range to range (target::get_into).
expected<std::span<uint8_t>> read_range_into(targets::target& target, const std::string& name, targets::byte_range range,
                                             targets::target::read_buffer& buffer);

// Reads a whole object that may hold at most `max_bytes` (a format limit):
// corrupt when it is larger, without reading more than max_bytes + 1.
expected<byte_buffer> read_bounded(targets::target& target, const std::string& name, uint64_t max_bytes);

// Reads a pack's salt and table of contents from the target (two ranged reads).
expected<pack_record> read_pack_record(targets::target& target, const object_id& pack_id,
                                       uint64_t pack_size, const crypto::object_cipher& cipher);

// Parses a whole pack held in memory (check --read-data).
expected<pack_record> parse_pack(byte_view pack, const object_id& pack_id,
                                 const crypto::object_cipher& cipher);

}  // namespace cairn::repo
