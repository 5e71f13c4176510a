// A repository's keys: one random master secret and the subkeys derived from it.
// Immutable once made; shared between threads and actors as key_ptr. No inspect,
// no printing: CAF can neither serialize nor log it.
#pragma once

#include <memory>
#include <optional>

#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"

namespace cairn::crypto {

struct repository_keys {
  secret master;  // 32 random bytes; what key slots wrap
  secret data;    // derives per-pack encryption keys
  secret object;  // derives per-object encryption keys (index, trees' packs' TOC, checkpoints)
  secret id;      // HMAC key for chunk ids
  // Write-only repositories (encryption x25519): what describes or holds data
  // is sealed to `recipient`; only `private_key` opens it, and it is empty on
  // a machine that backs up. data and object then only authenticate.
  std::optional<public_key> recipient;
  secret private_key;
};

using key_ptr = std::shared_ptr<const repository_keys>;

// Derives the subkeys of a master secret (HKDF-SHA-256, labels in FORMAT.md).
key_ptr derive_repository_keys(secret master);
key_ptr new_repository_keys();
// Keys of a write-only repository: `master` is the writer's secret.
key_ptr derive_write_only_keys(secret master, const public_key& recipient, secret private_key = {});

}  // namespace cairn::crypto
