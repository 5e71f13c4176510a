// cairn key generate: a key pair for write-only backups. Needs no
// configuration, no repository and no actor system; runs on the caller's thread.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.hpp"

namespace cairn::service {

struct generated_key {
  std::string public_key;  // "cairn-pk1-..." (docs/FORMAT.md)
  std::filesystem::path private_key_file;
  bool passphrase = false;
};

// Writes the private key to `path` (0600, never over an existing file: exists;
// with `passphrase`, sealed under one from CAIRN_NEW_PASSWORD or asked twice).
expected<generated_key> generate_key(const std::filesystem::path& path, bool passphrase);

}  // namespace cairn::service
