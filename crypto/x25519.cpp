#include "crypto/x25519.hpp"

#include <botan/curve25519.h>
#include <botan/hash.h>
#include <botan/kdf.h>

#include <cstring>

#include "base/assert.hpp"

namespace cairn::crypto {

namespace {

constexpr std::string_view text_prefix = "cairn-pk1-";
constexpr size_t checksum_size = 4;

std::array<uint8_t, checksum_size> checksum_of(const public_key& key) {
  auto hash = Botan::HashFunction::create_or_throw("SHA-256");
  hash->update("cairn/v1/public-key");
  hash->update(key.bytes.data(), key.bytes.size());
  auto digest = hash->final();
  std::array<uint8_t, checksum_size> out{};
  std::memcpy(out.data(), digest.data(), checksum_size);
  return out;
}

// HKDF-SHA-256(ikm = shared || auth, salt = ephemeral || recipient, label).
secret derive(const secret& shared, const secret& auth, byte_view ephemeral,
              const public_key& recipient, std::string_view label) {
  secret ikm(shared.size() + auth.size());
  std::memcpy(ikm.data(), shared.data(), shared.size());
  if (!auth.empty()) std::memcpy(ikm.data() + shared.size(), auth.data(), auth.size());
  std::array<uint8_t, 2 * x25519_size> salt{};
  std::memcpy(salt.data(), ephemeral.data(), x25519_size);
  std::memcpy(salt.data() + x25519_size, recipient.bytes.data(), x25519_size);
  static thread_local auto kdf = Botan::KDF::create_or_throw("HKDF(SHA-256)");
  secret out(32);
  kdf->kdf(out.data(), out.size(), ikm.data(), ikm.size(), salt.data(), salt.size(),
           reinterpret_cast<const uint8_t*>(label.data()), label.size());
  return out;
}

bool all_zero(const secret& s) {
  uint8_t acc = 0;
  for (size_t i = 0; i < s.size(); ++i) acc |= s.data()[i];
  return acc == 0;
}

// A low-order point gives an all-zero shared secret with every private key.
bool is_low_order(const public_key& key) {
  auto probe = secret::random(x25519_size);
  secret shared(x25519_size);
  Botan::curve25519_donna(shared.data(), probe.data(), key.bytes.data());
  return all_zero(shared);
}

}  // namespace

public_key public_of(const secret& private_key) {
  public_key pub;
  Botan::curve25519_basepoint(pub.bytes.data(), private_key.data());
  return pub;
}

key_pair generate_key_pair() {
  key_pair pair{secret::random(x25519_size), {}};
  pair.pub = public_of(pair.private_key);
  return pair;
}

std::string format_public_key(const public_key& key) {
  auto sum = checksum_of(key);
  return std::string(text_prefix) + to_hex(key.bytes) + to_hex(sum);
}

expected<public_key> parse_public_key(std::string_view text) {
  auto bad = [](std::string what) {
    return fail(errc::invalid_input, "public key: " + what +
                                       " (expected cairn-pk1- and 72 hex digits, as cairn key generate prints)");
  };
  if (text.substr(0, text_prefix.size()) != text_prefix) return bad("it does not start with cairn-pk1-");
  auto hex = text.substr(text_prefix.size());
  if (hex.size() != 2 * (x25519_size + checksum_size))
    return bad("it has " + std::to_string(hex.size()) + " hex digits");
  auto raw = from_hex(hex);
  if (!raw) return bad("it holds a character that is not a hex digit");
  public_key key;
  std::memcpy(key.bytes.data(), raw->data(), x25519_size);
  auto sum = checksum_of(key);
  if (std::memcmp(sum.data(), raw->data() + x25519_size, checksum_size) != 0)
    return bad("its checksum does not match (a mistyped or truncated key)");
  if (is_low_order(key)) return bad("it is a low-order point, not a key cairn key generate makes");
  return key;
}

sealed_exchange exchange_to(const public_key& recipient, const secret& auth, std::string_view label) {
  auto ephemeral = generate_key_pair();
  secret shared(x25519_size);
  Botan::curve25519_donna(shared.data(), ephemeral.private_key.data(), recipient.bytes.data());
  // parse_public_key refuses low-order keys, so zeros here are a programmer
  // error; never seal under a key an observer can compute.
  CAIRN_ASSERT(!all_zero(shared));
  auto key = derive(shared, auth, ephemeral.pub.bytes, recipient, label);
  return {ephemeral.pub, std::move(key)};
}

expected<secret> exchange_from(const secret& private_key, byte_view ephemeral, const secret& auth,
                               std::string_view label) {
  if (ephemeral.size() != x25519_size || private_key.size() != x25519_size)
    return fail(errc::corrupt, "X25519 key of the wrong size");
  secret shared(x25519_size);
  Botan::curve25519_donna(shared.data(), private_key.data(), ephemeral.data());
  if (all_zero(shared)) return fail(errc::corrupt, "ephemeral key is a low-order point");
  return derive(shared, auth, ephemeral, public_of(private_key), label);
}

}  // namespace cairn::crypto
