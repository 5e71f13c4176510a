// How a repository seals bytes: AES-256-GCM with a fresh key per object or pack
// (HKDF from a 256-bit random salt), so nonces never repeat for a key: within a
// pack the nonce is the blob's offset, the table of contents uses all-ones.
// In mode `none` nothing is encrypted; objects carry a SHA-256 checksum instead.
// Layouts: docs/FORMAT.md. object_cipher is immutable and thread-safe;
// pack_cipher is one pack's state and is not synchronized.
#pragma once

#include <memory>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/keys.hpp"

namespace cairn::crypto {

enum class encryption { none, aes256gcm };

std::string_view to_string(encryption e);
expected<encryption> parse_encryption(std::string_view text);

inline constexpr size_t salt_size = 32;
inline constexpr size_t tag_size = 16;

class pack_cipher {
public:
  virtual ~pack_cipher() = default;
  // Appends the sealed form of `plaintext` to `out`. `offset` is where it starts
  // in the pack (the nonce); `aad` is bound to it (blob type and id).
  virtual void seal(uint64_t offset, byte_view aad, byte_view plaintext, byte_buffer& out) = 0;
  virtual expected<byte_buffer> open(uint64_t offset, byte_view aad, byte_view sealed) = 0;
  // Bytes added by seal.
  virtual size_t overhead() const = 0;
};

class object_cipher {
public:
  // keys may be null for encryption::none.
  object_cipher(encryption mode, key_ptr keys);

  encryption mode() const { return mode_; }

  // Seals a standalone object; `kind` ("index", "checkpoint", ...) is bound as AAD,
  // so an object cannot be passed off as another kind.
  byte_buffer seal_object(std::string_view kind, byte_view plaintext) const;
  // corrupt when the tag or checksum does not match (damage, or a wrong key).
  expected<byte_buffer> open_object(std::string_view kind, byte_view sealed) const;

  // The cipher for one pack, keyed from the pack's salt.
  std::unique_ptr<pack_cipher> for_pack(byte_view salt) const;

private:
  encryption mode_;
  key_ptr keys_;
};

// Wraps and unwraps a small secret under a key-encryption key (key slots).
byte_buffer wrap_secret(const secret& kek, const secret& value, byte_view aad);
expected<secret> unwrap_secret(const secret& kek, byte_view wrapped, byte_view aad);

}  // namespace cairn::crypto
