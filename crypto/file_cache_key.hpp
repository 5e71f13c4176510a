// The keys of a write-only machine's file cache, derived from a repository's
// writer secret (HKDF labels in docs/FORMAT.md): an HMAC key that names a
// directory without saying its path, and an AES-256-GCM key that seals its
// entries. Immutable after construction; each call is thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/keys.hpp"

namespace cairn::crypto {

class file_cache_key {
public:
  explicit file_cache_key(const repository_keys& keys);

  // HMAC-SHA-256 of `text` (32 raw bytes).
  std::string name_of(std::string_view text) const;
  // nonce(12, random) || AES-256-GCM(aad, plaintext) || tag(16).
  byte_buffer seal(byte_view aad, byte_view plaintext) const;
  // corrupt when damaged or sealed under another key.
  expected<byte_buffer> open(byte_view aad, byte_view sealed) const;

private:
  secret name_key_;
  secret seal_key_;
};

}  // namespace cairn::crypto
