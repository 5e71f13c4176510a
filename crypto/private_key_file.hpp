// The private key of a write-only repository, in a small text file written
// 0600 and refused when others can read it; optionally protected by a
// passphrase (Argon2id + AES-256-GCM, as password key slots are). Layout:
// docs/FORMAT.md ("Write-only repositories"). Free functions; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "base/error.hpp"
#include "crypto/kdf.hpp"
#include "crypto/x25519.hpp"

namespace cairn::crypto {

struct private_key_file {
  public_key pub;
  bool passphrase = false;  // true: kdf, salt and sealed are set; else key is
  argon2_params kdf;
  byte_buffer salt;         // 32 bytes
  byte_buffer sealed;       // nonce(12) || AES-256-GCM(kek, private key) || tag(16)
  secret key;
};

// Parses the text of a private key file; `where` names it in messages.
// invalid_input for anything that is not such a file. Never opens a
// passphrase (no Argon2id work here).
expected<private_key_file> parse_private_key_file(std::string_view text, std::string_view where);

// The private key: the stored one, or the one the passphrase unseals (auth
// when it does not). corrupt when the key does not match its public key.
expected<secret> open_private_key_file(const private_key_file& file, std::string_view passphrase,
                                       std::string_view where);

// Creates `path` (0600, exclusive: never overwrites). With a passphrase the
// key is sealed under Argon2id(passphrase) with `kdf`.
status write_private_key_file(const std::filesystem::path& path, const key_pair& pair,
                              std::optional<std::string_view> passphrase, argon2_params kdf = {});

// Reads and parses `path`: not_found, or invalid_input when it is readable
// by group or others, larger than 4 KiB, or malformed.
expected<private_key_file> read_private_key_file(const std::filesystem::path& path);

}  // namespace cairn::crypto
