// Keyfiles: a random 256-bit key in a small text file, created 0600 and refused
// when others can read it. Free functions; thread-safe.
#pragma once

#include <filesystem>

#include "base/error.hpp"
#include "crypto/secret.hpp"

namespace cairn::crypto {

// Creates `path` (0600, exclusive: never overwrites) with a new random key.
expected<secret> create_keyfile(const std::filesystem::path& path);

// A write-only machine's writer key: the keyfile format, with comments that
// say what it is (it adds backups; it reads none). Created like create_keyfile;
// `key` empty: a new random key.
expected<secret> create_writer_key(const std::filesystem::path& path, const secret& key = {});

// Reads a keyfile. invalid_input when it is malformed or readable by group or
// others; not_found when it does not exist.
expected<secret> read_keyfile(const std::filesystem::path& path);

}  // namespace cairn::crypto
