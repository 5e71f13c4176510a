// Key slots: the master secret wrapped by a key derived from a keyfile, a
// password (Argon2id) or a TPM-sealed secret. Adding or removing a slot never
// touches data. Free functions on values; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "crypto/kdf.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"

namespace cairn::crypto {

// public_key: the writer's secret of a write-only repository sealed to the
// recipient's X25519 key; opened by a credential holding the private key.
enum class slot_kind { keyfile, password, tpm, public_key };

std::string_view to_string(slot_kind kind);
expected<slot_kind> parse_slot_kind(std::string_view text);

struct key_slot {
  std::string id;             // 8 hex digits, unique in the repository
  slot_kind kind = slot_kind::keyfile;
  int64_t created_ns = 0;
  byte_buffer salt;           // 32 random bytes
  argon2_params kdf;          // password slots
  std::string fingerprint;    // keyfile and tpm slots: which key opens it (not secret)
  byte_buffer wrapped;        // nonce || AES-256-GCM(kek, master) || tag
  std::vector<int> pcrs;      // tpm slots
  byte_buffer tpm_public;     // tpm slots: the sealed object (not secret)
  byte_buffer tpm_private;
};

// What the user holds: the 32-byte key of a keyfile, a password's bytes, or the
// secret unsealed by a TPM.
struct credential {
  slot_kind kind = slot_kind::keyfile;
  secret material;
  std::string source;  // "keyfile /etc/cairn/cairn.key", for messages; never secret
};

// Not secret; lets a keyfile or TPM secret find its slot without trying all.
std::string fingerprint_of(const credential& cred);

// A public_key slot: `master` (the writer's secret) sealed to `recipient`.
key_slot make_public_key_slot(const public_key& recipient, const secret& master, std::string_view repo_id);

key_slot make_key_slot(const credential& cred, const secret& master, std::string_view repo_id,
                       argon2_params kdf = {});

// Opens the first slot of the credential's kind that it unwraps. auth when
// none. `used` (optional) receives the id of the slot that opened.
expected<secret> open_key_slots(const std::vector<key_slot>& slots, const credential& cred,
                                std::string_view repo_id, std::string* used = nullptr);

}  // namespace cairn::crypto
