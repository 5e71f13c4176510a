#include "crypto/file_cache_key.hpp"

#include <botan/aead.h>
#include <botan/mac.h>

#include "crypto/kdf.hpp"

namespace cairn::crypto {

namespace {
constexpr size_t nonce_size = 12;
constexpr size_t tag_size = 16;
}  // namespace

file_cache_key::file_cache_key(const repository_keys& keys)
  : name_key_(hkdf_sha256(keys.master, {}, "cairn/v1/file-cache-name", 32)),
    seal_key_(hkdf_sha256(keys.master, {}, "cairn/v1/file-cache-seal", 32)) {}

std::string file_cache_key::name_of(std::string_view text) const {
  auto mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
  mac->set_key(name_key_.data(), name_key_.size());
  mac->update(reinterpret_cast<const uint8_t*>(text.data()), text.size());
  auto out = mac->final();
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

byte_buffer file_cache_key::seal(byte_view aad, byte_view plaintext) const {
  auto aead = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::ENCRYPTION);
  aead->set_key(seal_key_.data(), seal_key_.size());
  aead->set_associated_data(aad.data(), aad.size());
  byte_buffer nonce = random_bytes(nonce_size);
  aead->start(nonce.data(), nonce.size());
  Botan::secure_vector<uint8_t> buf(plaintext.begin(), plaintext.end());
  aead->finish(buf);
  byte_buffer out = std::move(nonce);
  out.insert(out.end(), buf.begin(), buf.end());
  return out;
}

expected<byte_buffer> file_cache_key::open(byte_view aad, byte_view sealed) const {
  if (sealed.size() < nonce_size + tag_size) return fail(errc::corrupt, "sealed file cache entry too short");
  try {
    auto aead = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::DECRYPTION);
    aead->set_key(seal_key_.data(), seal_key_.size());
    aead->set_associated_data(aad.data(), aad.size());
    aead->start(sealed.data(), nonce_size);
    Botan::secure_vector<uint8_t> buf(sealed.begin() + nonce_size, sealed.end());
    aead->finish(buf);
    return byte_buffer(buf.begin(), buf.end());
  } catch (const std::exception&) {
    return fail(errc::corrupt, "sealed file cache entry does not open (damaged, or another key)");
  }
}

}  // namespace cairn::crypto
