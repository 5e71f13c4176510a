#include "crypto/id_hasher.hpp"

#include <botan/hash.h>
#include <botan/mac.h>

namespace cairn::crypto {

struct id_hasher::impl {
  std::unique_ptr<Botan::MessageAuthenticationCode> mac;
  std::unique_ptr<Botan::HashFunction> hash;
};

id_hasher::id_hasher(key_ptr keys) : keys_(std::move(keys)), impl_(std::make_unique<impl>()) {
  if (keys_) {
    impl_->mac = Botan::MessageAuthenticationCode::create_or_throw("HMAC(SHA-256)");
    impl_->mac->set_key(keys_->id.data(), keys_->id.size());
  } else {
    impl_->hash = Botan::HashFunction::create_or_throw("SHA-256");
  }
}

id_hasher::~id_hasher() = default;
id_hasher::id_hasher(id_hasher&&) noexcept = default;
id_hasher& id_hasher::operator=(id_hasher&&) noexcept = default;

object_id id_hasher::id_of(byte_view data) {
  object_id id;
  if (impl_->mac) {
    impl_->mac->update(data.data(), data.size());
    impl_->mac->final(id.bytes.data());
  } else {
    impl_->hash->update(data.data(), data.size());
    impl_->hash->final(id.bytes.data());
  }
  return id;
}

object_id sha256_of(byte_view data) {
  static thread_local auto hash = Botan::HashFunction::create_or_throw("SHA-256");
  object_id id;
  hash->update(data.data(), data.size());
  hash->final(id.bytes.data());
  return id;
}

std::string content_md5(byte_view data) {
  static thread_local auto hash = Botan::HashFunction::create_or_throw("MD5");
  uint8_t digest[16];
  hash->update(data.data(), data.size());
  hash->final(digest);
  return to_base64(byte_view(digest, sizeof digest));
}

struct sha256_stream::impl {
  std::unique_ptr<Botan::HashFunction> hash = Botan::HashFunction::create_or_throw("SHA-256");
};

sha256_stream::sha256_stream() : impl_(std::make_unique<impl>()) {}
sha256_stream::~sha256_stream() = default;

void sha256_stream::update(byte_view data) { impl_->hash->update(data.data(), data.size()); }

object_id sha256_stream::finish() {
  object_id id;
  impl_->hash->final(id.bytes.data());
  return id;
}

}  // namespace cairn::crypto
