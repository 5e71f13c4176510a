// How a repository seals bytes: AES-256-GCM with a fresh key per object or pack
// (HKDF from a 256-bit random salt), so nonces never repeat for a key: within a
// pack the nonce is the blob's offset, the table of contents uses all-ones.
// In mode `none` nothing is encrypted; objects carry a SHA-256 checksum instead.
// Layouts: docs/FORMAT.md. object_cipher is immutable and thread-safe;
// pack_cipher is one pack's state and is not synchronized.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/keys.hpp"

namespace cairn::crypto {

// x25519: a write-only repository (keys.recipient set); see docs/FORMAT.md.
enum class encryption { none, aes256gcm, x25519 };

std::string_view to_string(encryption e);
expected<encryption> parse_encryption(std::string_view text);

inline constexpr size_t salt_size = 32;
inline constexpr size_t tag_size = 16;

// What every read of a write-only repository without its private key says.
inline constexpr std::string_view write_only_message =
  "this machine is write-only: reading its backups needs --private-key FILE";

// In a write-only repository, kinds every writer must read (locks) and the
// header (whose sealed copy carries the chunker seed) stay sealed with the
// writer's keys; every other kind is sealed to the recipient's public key.
bool sealed_to_recipient(std::string_view kind);

class pack_cipher {
public:
  virtual ~pack_cipher() = default;
  // Appends the sealed form of `plaintext` to `out`. `offset` is where it starts
  // in the pack (the nonce); `aad` is bound to it (blob type and id).
  virtual void seal(uint64_t offset, byte_view aad, byte_view plaintext, byte_buffer& out) = 0;
  virtual expected<byte_buffer> open(uint64_t offset, byte_view aad, byte_view sealed) = 0;
  // The same without a copy: decrypts `sealed` where it lies and returns its
  // plaintext, the first size() - overhead() bytes of it. The bytes are
  // overwritten whatever the outcome (a failed open leaves no plaintext to use).
  virtual expected<byte_view> open_in_place(uint64_t offset, byte_view aad, std::span<uint8_t> sealed) = 0;
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
  // corrupt when the tag or checksum does not match (damage, or a wrong key);
  // auth (write_only_message) for a write-only repository without its
  // private key.
  expected<byte_buffer> open_object(std::string_view kind, byte_view sealed) const;
  // False on a write-only machine: objects and packs can be written, not read.
  bool can_read() const;

  // The cipher for a new pack; fills `salt` with what starts the pack (random,
  // or in mode x25519 the pack's ephemeral public key).
  std::unique_ptr<pack_cipher> new_pack(std::array<uint8_t, salt_size>& salt) const;
  // The cipher to read one pack, keyed from its salt. In mode x25519 without
  // the private key, its open() fails with auth (write_only_message).
  std::unique_ptr<pack_cipher> for_pack(byte_view salt) const;

private:
  encryption mode_;
  key_ptr keys_;
};

// Wraps and unwraps a small secret under a key-encryption key (key slots).
byte_buffer wrap_secret(const secret& kek, const secret& value, byte_view aad);
expected<secret> unwrap_secret(const secret& kek, byte_view wrapped, byte_view aad);

// Seals a small secret to a public key (one ephemeral X25519 exchange):
// ephemeral(32) || AES-256-GCM(K, nonce 0, aad, value) || tag(16). Anyone who
// knows the public key can make one: it hides, it does not authenticate.
byte_buffer seal_secret_to(const public_key& recipient, const secret& value, byte_view aad);
expected<secret> open_sealed_secret(const secret& private_key, byte_view sealed, byte_view aad);

}  // namespace cairn::crypto
