#include "crypto/kdf.hpp"

#include <botan/kdf.h>
#include <botan/pwdhash.h>

#include <string>

namespace cairn::crypto {

secret hkdf_sha256(const secret& key, byte_view salt, std::string_view label, size_t length) {
  static thread_local auto kdf = Botan::KDF::create_or_throw("HKDF(SHA-256)");
  secret out(length);
  kdf->kdf(out.data(), length, key.data(), key.size(), salt.data(), salt.size(),
           reinterpret_cast<const uint8_t*>(label.data()), label.size());
  return out;
}

expected<secret> argon2id(std::string_view password, byte_view salt, argon2_params p) {
  if (p.memory_kib < 8 || p.memory_kib > 4u * 1024 * 1024 || p.iterations < 1 ||
      p.iterations > 100 || p.parallelism < 1 || p.parallelism > 64)
    return fail(errc::invalid_input, "Argon2id parameters out of range (m=" +
                                       std::to_string(p.memory_kib) + " KiB, t=" +
                                       std::to_string(p.iterations) + ", p=" +
                                       std::to_string(p.parallelism) + ")");
  try {
    auto family = Botan::PasswordHashFamily::create_or_throw("Argon2id");
    auto hash = family->from_params(p.memory_kib, p.iterations, p.parallelism);
    secret out(32);
    hash->derive_key(out.data(), out.size(), password.data(), password.size(), salt.data(),
                     salt.size());
    return out;
  } catch (const std::exception& e) {
    return fail(errc::io, std::string("Argon2id failed: ") + e.what());
  }
}

}  // namespace cairn::crypto
