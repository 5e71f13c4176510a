#include "crypto/keys.hpp"

#include "crypto/kdf.hpp"

namespace cairn::crypto {

key_ptr derive_repository_keys(secret master) {
  auto keys = std::make_shared<repository_keys>();
  keys->data = hkdf_sha256(master, {}, "cairn/v1/data", 32);
  keys->object = hkdf_sha256(master, {}, "cairn/v1/object", 32);
  keys->id = hkdf_sha256(master, {}, "cairn/v1/id", 32);
  keys->master = std::move(master);
  return keys;
}

key_ptr derive_write_only_keys(secret master, const public_key& recipient, secret private_key) {
  auto base = derive_repository_keys(std::move(master));
  auto keys = std::make_shared<repository_keys>(*base);
  keys->recipient = recipient;
  keys->private_key = std::move(private_key);
  return keys;
}

key_ptr new_repository_keys() { return derive_repository_keys(secret::random(32)); }

}  // namespace cairn::crypto
