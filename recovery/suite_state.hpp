// The suite-state backup: a self-describing object that lets a new machine with
// only a keyfile (or the password) get its plans, targets and checkpoints back.
//
//   <one line of plaintext JSON header>\n<sealed payload>
//
// The header names the suite, host, time, the repository it was written to,
// a copy of that repository's key slots (with their KDF parameters), the
// encryption and the payload's size and SHA-256. The payload (the catalog
// without its file cache, the YAML, per-target credentials) is sealed with
// that repository's keys, so every key slot that opens the repository opens
// it too. On a target: generations under suite/, newest first in the pointer
// object suite/latest, so a target that cannot list still works.
// Free functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "crypto/cipher.hpp"
#include "crypto/key_slot.hpp"
#include "repo/header.hpp"
#include "targets/target.hpp"

namespace cairn::recovery {

inline constexpr std::string_view suite_prefix = "suite/";
inline constexpr std::string_view suite_pointer = "suite/latest";
// A suite-state object (header, the catalog, the YAML, credentials) is read
// whole: larger ones are refused, not allocated (docs/FORMAT.md, "Limits").
inline constexpr uint64_t max_suite_state_bytes = 4ull << 30;

// A write-only machine's writer key (state_dir/writer.key) travels in the
// payload's credentials under this name, which no target can have, so that
// bootstrap --private-key lets the new machine go on backing up.
inline constexpr std::string_view writer_key_credential = "@writer-key";
inline constexpr std::string_view writer_key_file_name = "writer.key";

struct suite_payload {
  std::string suite_id;
  std::string yaml;                // the definitions, as written
  byte_buffer catalog;             // a SQLite database file (the catalog, without its file cache)
  std::map<std::string, byte_buffer> credentials;  // target name -> secret file (encrypted modes only)
};

struct suite_state_header {
  int format_version = 1;
  std::string suite_id;
  std::string host;
  int64_t time_ns = 0;
  std::string repository_id;
  crypto::encryption encryption = crypto::encryption::aes256gcm;
  std::vector<crypto::key_slot> key_slots;
  uint64_t payload_size = 0;
  std::string payload_sha256;  // hex
};

byte_buffer encode_payload(const suite_payload& p);
expected<suite_payload> decode_payload(byte_view bytes);

// Seals the payload with the repository's keys (null for encryption none,
// where credentials are left out) and prefixes the header.
byte_buffer seal_suite_state(const suite_state_header& header, const suite_payload& payload,
                             const crypto::key_ptr& keys);
expected<suite_state_header> read_suite_state_header(byte_view object, std::string_view where);
// Opens the payload with keys unlocked from the header's slots; corrupt when
// the object was damaged.
expected<suite_payload> open_suite_state(byte_view object, const suite_state_header& header,
                                         const crypto::key_ptr& keys);

// Writes a new generation, then the pointer, then removes generations beyond
// `keep`. A crash at any point leaves every older generation intact. Where the
// target refuses to replace the pointer (exists: an append-only server), the
// generation is written and nothing is removed.
status write_suite_state(targets::target& target, byte_view object, int64_t time_ns, size_t keep);

// Names of the generations, newest first: the pointer's and, where the
// target can list, the listed ones.
// `notes` receives what was not found on the way.
expected<std::vector<std::string>> suite_state_generations(targets::target& target,
                                                           std::vector<std::string>& notes);

}  // namespace cairn::recovery
