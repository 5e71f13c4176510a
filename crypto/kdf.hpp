// Key derivation: HKDF-SHA-256 for keys from keys, Argon2id for passwords.
// Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/error.hpp"
#include "crypto/secret.hpp"

namespace cairn::crypto {

secret hkdf_sha256(const secret& key, byte_view salt, std::string_view label, size_t length);

struct argon2_params {
  uint32_t memory_kib = 64 * 1024;  // 64 MiB: ~140 ms here, see NOTES-STACK.md
  uint32_t iterations = 3;
  uint32_t parallelism = 1;
};

// Fails with invalid_input for parameters outside sane bounds (a damaged or
// hostile header must not make us allocate terabytes).
expected<secret> argon2id(std::string_view password, byte_view salt, argon2_params params);

}  // namespace cairn::crypto
