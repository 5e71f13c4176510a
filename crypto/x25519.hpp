// X25519 key pairs for write-only repositories: the public key in its text
// form, and the one ephemeral exchange per pack or object that derives a key
// only the private key (together with the writer's secret) can derive again.
// Layouts: docs/FORMAT.md ("Write-only repositories"). Free functions; thread-safe.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "crypto/secret.hpp"

namespace cairn::crypto {

inline constexpr size_t x25519_size = 32;

struct public_key {
  std::array<uint8_t, x25519_size> bytes{};
  bool operator==(const public_key&) const = default;
};

struct key_pair {
  secret private_key;  // 32 bytes (clamped by X25519 itself)
  public_key pub;
};

key_pair generate_key_pair();
public_key public_of(const secret& private_key);

// "cairn-pk1-" + 64 hex digits of the key + 8 hex digits of a checksum, so a
// mistyped key is refused instead of sealing backups nobody can open.
std::string format_public_key(const public_key& key);
// invalid_input naming what is wrong; never echoes more than the prefix.
expected<public_key> parse_public_key(std::string_view text);

// The sender's half: a fresh ephemeral key pair, one X25519 with the
// recipient's key, and HKDF-SHA-256(shared || auth, ephemeral || recipient,
// label). `auth` is a secret of the writer (empty allowed) so that a party
// knowing only the public key cannot make objects that open.
struct sealed_exchange {
  public_key ephemeral;
  secret key;  // 32 bytes
};
sealed_exchange exchange_to(const public_key& recipient, const secret& auth, std::string_view label);

// The recipient's half. corrupt when the ephemeral key is a low-order point
// (the shared secret would be all zeros: damage or an attack).
expected<secret> exchange_from(const secret& private_key, byte_view ephemeral, const secret& auth,
                               std::string_view label);

}  // namespace cairn::crypto
