// The repository header ("config" object): plaintext, self-describing JSON
// (format version, repository id, chunker, id algorithm, compression,
// encryption, key slots with their KDF parameters) plus a sealed copy of the
// settings, so that a modified header is detected once a key opens it.
// Plain values and free functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "crypto/cipher.hpp"
#include "crypto/key_slot.hpp"
#include "repo/chunker.hpp"

namespace cairn::repo {

struct repository_header {
  int format_version = 0;
  std::string repository_id;  // 32 hex digits
  int64_t created_ns = 0;
  std::string program;        // "cairn 0.1.0"
  chunker_params chunker;     // seed is known only after verify_header
  bool keyed_ids = true;      // hmac-sha256, else sha256
  int zstd_level = 3;
  crypto::encryption encryption = crypto::encryption::aes256gcm;
  uint32_t pack_size = 0;
  std::vector<crypto::key_slot> key_slots;
  // Write-only repositories (encryption x25519): what data is sealed to.
  std::optional<crypto::public_key> public_key;
  byte_buffer sealed;         // the settings, sealed with the master key
};

byte_buffer encode_header(const repository_header& header);
// invalid_input / corrupt / unsupported with a message naming `where`.
expected<repository_header> decode_header(byte_view bytes, std::string_view where);

// Key slots as a JSON array (text), the encoding the header uses; shared with
// the suite-state backup, which carries a copy of a repository's slots.
std::string encode_key_slots(const std::vector<crypto::key_slot>& slots);
expected<std::vector<crypto::key_slot>> decode_key_slots(std::string_view json_array,
                                                         std::string_view where);

// Seals the settings into header.sealed (at creation).
void seal_header(repository_header& header, const crypto::object_cipher& cipher);
// Opens header.sealed, checks it against the plaintext and fills in the
// chunker seed. corrupt when the header was modified.
status verify_header(repository_header& header, const crypto::object_cipher& cipher);

}  // namespace cairn::repo
