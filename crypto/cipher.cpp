#include "crypto/cipher.hpp"

#include <botan/aead.h>
#include <botan/hash.h>

#include <algorithm>

#include "base/assert.hpp"
#include "crypto/kdf.hpp"

namespace cairn::crypto {

namespace {

constexpr size_t nonce_size = 12;
constexpr uint8_t object_version_none = 0;
constexpr uint8_t object_version_gcm = 1;
constexpr uint8_t object_version_x25519 = 2;
constexpr std::string_view pack_label = "cairn/v1/pack-key";
constexpr std::string_view object_label = "cairn/v1/object-key";
constexpr std::string_view wo_pack_label = "cairn/v1/wo-pack-key";
constexpr std::string_view wo_object_label = "cairn/v1/wo-object-key";
constexpr std::string_view wo_secret_label = "cairn/v1/wo-secret";

std::array<uint8_t, nonce_size> nonce_of(uint64_t counter) {
  std::array<uint8_t, nonce_size> n{};
  for (int i = 0; i < 8; ++i) n[nonce_size - 1 - i] = static_cast<uint8_t>(counter >> (8 * i));
  return n;
}

// Encrypts `plaintext` appended to `out` in place, avoiding a copy of large
// bodies through Botan's secure_vector: the body goes through process(), only
// the last partial block and the tag through finish().
void gcm_seal(Botan::AEAD_Mode& mode, byte_view nonce, byte_view aad, byte_view plaintext,
              byte_buffer& out) {
  mode.set_associated_data(aad.data(), aad.size());
  mode.start(nonce.data(), nonce.size());
  size_t start = out.size();
  size_t granularity = mode.update_granularity();
  size_t body = plaintext.size() / granularity * granularity;
  // Appended, not resized and then copied over: a resize writes zeros first.
  out.insert(out.end(), plaintext.begin(), plaintext.begin() + static_cast<std::ptrdiff_t>(body));
  if (body) mode.process(out.data() + start, body);
  Botan::secure_vector<uint8_t> tail(plaintext.begin() + body, plaintext.end());
  mode.finish(tail);
  out.insert(out.end(), tail.begin(), tail.end());
}

// Decrypts `sealed` where it lies: the body through process(), only the last
// partial block and the tag through finish().
expected<byte_view> gcm_open_in_place(Botan::AEAD_Mode& mode, byte_view nonce, byte_view aad,
                                      std::span<uint8_t> sealed) {
  if (sealed.size() < tag_size) return fail(errc::corrupt, "sealed data too short");
  mode.set_associated_data(aad.data(), aad.size());
  mode.start(nonce.data(), nonce.size());
  size_t payload = sealed.size() - tag_size;
  size_t granularity = mode.update_granularity();
  size_t body = payload / granularity * granularity;
  if (body) mode.process(sealed.data(), body);
  Botan::secure_vector<uint8_t> tail(sealed.begin() + body, sealed.end());
  try {
    mode.finish(tail);
  } catch (const Botan::Invalid_Authentication_Tag&) {
    return fail(errc::corrupt, "authentication tag mismatch");
  }
  CAIRN_ASSERT(body + tail.size() == payload);
  std::copy(tail.begin(), tail.end(), sealed.begin() + body);
  return byte_view(sealed.data(), payload);
}

expected<byte_buffer> gcm_open(Botan::AEAD_Mode& mode, byte_view nonce, byte_view aad,
                               byte_view sealed) {
  byte_buffer out(sealed.begin(), sealed.end());
  CAIRN_ASSIGN(auto plain, gcm_open_in_place(mode, nonce, aad, out));
  out.resize(plain.size());
  return out;
}

class gcm_pack_cipher final : public pack_cipher {
public:
  explicit gcm_pack_cipher(const secret& key)
    : enc_(Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::ENCRYPTION)),
      dec_(Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::DECRYPTION)) {
    enc_->set_key(key.data(), key.size());
    dec_->set_key(key.data(), key.size());
  }
  void seal(uint64_t offset, byte_view aad, byte_view plaintext, byte_buffer& out) override {
    auto nonce = nonce_of(offset);
    gcm_seal(*enc_, nonce, aad, plaintext, out);
  }
  expected<byte_buffer> open(uint64_t offset, byte_view aad, byte_view sealed) override {
    auto nonce = nonce_of(offset);
    return gcm_open(*dec_, nonce, aad, sealed);
  }
  expected<byte_view> open_in_place(uint64_t offset, byte_view aad, std::span<uint8_t> sealed) override {
    auto nonce = nonce_of(offset);
    return gcm_open_in_place(*dec_, nonce, aad, sealed);
  }
  size_t overhead() const override { return tag_size; }

private:
  std::unique_ptr<Botan::AEAD_Mode> enc_, dec_;
};

// A write-only machine's view of a pack it cannot open.
class refusing_pack_cipher final : public pack_cipher {
public:
  void seal(uint64_t, byte_view, byte_view, byte_buffer&) override { CAIRN_ASSERT(false); }
  expected<byte_buffer> open(uint64_t, byte_view, byte_view) override {
    return fail(errc::auth, std::string(write_only_message));
  }
  expected<byte_view> open_in_place(uint64_t, byte_view, std::span<uint8_t>) override {
    return fail(errc::auth, std::string(write_only_message));
  }
  size_t overhead() const override { return tag_size; }
};

class plain_pack_cipher final : public pack_cipher {
public:
  void seal(uint64_t, byte_view, byte_view plaintext, byte_buffer& out) override {
    out.insert(out.end(), plaintext.begin(), plaintext.end());
  }
  expected<byte_buffer> open(uint64_t, byte_view, byte_view sealed) override {
    return byte_buffer(sealed.begin(), sealed.end());
  }
  expected<byte_view> open_in_place(uint64_t, byte_view, std::span<uint8_t> sealed) override { return sealed; }
  size_t overhead() const override { return 0; }
};

byte_buffer sha256(byte_view a, byte_view b = {}) {
  static thread_local auto hash = Botan::HashFunction::create_or_throw("SHA-256");
  hash->update(a.data(), a.size());
  hash->update(b.data(), b.size());
  byte_buffer out(32);
  hash->final(out.data());
  return out;
}

}  // namespace

std::string_view to_string(encryption e) {
  switch (e) {
    case encryption::none: return "none";
    case encryption::aes256gcm: return "aes-256-gcm";
    case encryption::x25519: return "x25519-aes-256-gcm";
  }
  return "?";
}

expected<encryption> parse_encryption(std::string_view text) {
  if (text == "none") return encryption::none;
  if (text == "aes-256-gcm") return encryption::aes256gcm;
  if (text == "x25519-aes-256-gcm") return encryption::x25519;
  return fail(errc::unsupported, "unknown encryption \"" + std::string(text) + "\"");
}

bool sealed_to_recipient(std::string_view kind) { return kind != "lock" && kind != "header"; }

object_cipher::object_cipher(encryption mode, key_ptr keys) : mode_(mode), keys_(std::move(keys)) {
  CAIRN_ASSERT(mode_ != encryption::x25519 || (keys_ && keys_->recipient));
}

bool object_cipher::can_read() const {
  return mode_ != encryption::x25519 || !keys_->private_key.empty();
}

byte_buffer object_cipher::seal_object(std::string_view kind, byte_view plaintext) const {
  byte_buffer out;
  if (mode_ == encryption::none) {
    out.reserve(1 + plaintext.size() + 32);
    out.push_back(object_version_none);
    out.insert(out.end(), plaintext.begin(), plaintext.end());
    auto sum = sha256(as_bytes(kind), plaintext);
    out.insert(out.end(), sum.begin(), sum.end());
    return out;
  }
  out.reserve(1 + salt_size + plaintext.size() + tag_size);
  secret key;
  if (mode_ == encryption::x25519 && sealed_to_recipient(kind)) {
    auto ex = exchange_to(*keys_->recipient, keys_->object, wo_object_label);
    out.push_back(object_version_x25519);
    out.insert(out.end(), ex.ephemeral.bytes.begin(), ex.ephemeral.bytes.end());
    key = std::move(ex.key);
  } else {
    out.push_back(object_version_gcm);
    auto salt = random_bytes(salt_size);
    out.insert(out.end(), salt.begin(), salt.end());
    key = hkdf_sha256(keys_->object, salt, object_label, 32);
  }
  auto mode = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::ENCRYPTION);
  mode->set_key(key.data(), key.size());
  gcm_seal(*mode, nonce_of(0), as_bytes(kind), plaintext, out);
  return out;
}

expected<byte_buffer> object_cipher::open_object(std::string_view kind, byte_view sealed) const {
  if (sealed.empty()) return fail(errc::corrupt, "empty object");
  if (mode_ == encryption::none) {
    if (sealed[0] != object_version_none || sealed.size() < 33)
      return fail(errc::corrupt, "not a plaintext object of this repository");
    auto body = sealed.subspan(1, sealed.size() - 33);
    auto sum = sha256(as_bytes(kind), body);
    if (!std::equal(sum.begin(), sum.end(), sealed.end() - 32))
      return fail(errc::corrupt, "checksum mismatch");
    return byte_buffer(body.begin(), body.end());
  }
  bool to_recipient = mode_ == encryption::x25519 && sealed_to_recipient(kind);
  auto version = to_recipient ? object_version_x25519 : object_version_gcm;
  if (sealed[0] != version || sealed.size() < 1 + salt_size + tag_size)
    return fail(errc::corrupt, "not an encrypted object of this repository");
  auto salt = sealed.subspan(1, salt_size);
  secret key;
  if (to_recipient) {
    if (keys_->private_key.empty()) return fail(errc::auth, std::string(write_only_message));
    auto k = exchange_from(keys_->private_key, salt, keys_->object, wo_object_label);
    if (!k) return fail(k.error());
    key = std::move(*k);
  } else {
    key = hkdf_sha256(keys_->object, salt, object_label, 32);
  }
  auto mode = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::DECRYPTION);
  mode->set_key(key.data(), key.size());
  return gcm_open(*mode, nonce_of(0), as_bytes(kind), sealed.subspan(1 + salt_size));
}

std::unique_ptr<pack_cipher> object_cipher::new_pack(std::array<uint8_t, salt_size>& salt) const {
  if (mode_ != encryption::x25519) {
    random_fill(salt.data(), salt.size());
    return for_pack(salt);
  }
  auto ex = exchange_to(*keys_->recipient, keys_->data, wo_pack_label);
  salt = ex.ephemeral.bytes;
  return std::make_unique<gcm_pack_cipher>(ex.key);
}

std::unique_ptr<pack_cipher> object_cipher::for_pack(byte_view salt) const {
  if (mode_ == encryption::none) return std::make_unique<plain_pack_cipher>();
  if (mode_ == encryption::aes256gcm)
    return std::make_unique<gcm_pack_cipher>(hkdf_sha256(keys_->data, salt, pack_label, 32));
  if (keys_->private_key.empty()) return std::make_unique<refusing_pack_cipher>();
  auto key = exchange_from(keys_->private_key, salt, keys_->data, wo_pack_label);
  // A low-order ephemeral key is damage: a cipher that opens nothing says so.
  if (!key) return std::make_unique<gcm_pack_cipher>(secret::random(32));
  return std::make_unique<gcm_pack_cipher>(*key);
}

byte_buffer wrap_secret(const secret& kek, const secret& value, byte_view aad) {
  auto mode = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::ENCRYPTION);
  mode->set_key(kek.data(), kek.size());
  byte_buffer out = random_bytes(nonce_size);
  byte_buffer nonce = out;
  gcm_seal(*mode, nonce, aad, value.view(), out);
  return out;
}

expected<secret> unwrap_secret(const secret& kek, byte_view wrapped, byte_view aad) {
  if (wrapped.size() < nonce_size + tag_size) return fail(errc::corrupt, "wrapped key too short");
  auto mode = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::DECRYPTION);
  mode->set_key(kek.data(), kek.size());
  auto plain = gcm_open(*mode, wrapped.first(nonce_size), aad, wrapped.subspan(nonce_size));
  if (!plain) return fail(errc::auth, "key does not open this slot");
  auto s = secret::copy_of(*plain);
  if (!plain->empty()) explicit_bzero(plain->data(), plain->size());
  return s;
}

byte_buffer seal_secret_to(const public_key& recipient, const secret& value, byte_view aad) {
  auto ex = exchange_to(recipient, secret{}, wo_secret_label);
  byte_buffer out(ex.ephemeral.bytes.begin(), ex.ephemeral.bytes.end());
  auto mode = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::ENCRYPTION);
  mode->set_key(ex.key.data(), ex.key.size());
  gcm_seal(*mode, nonce_of(0), aad, value.view(), out);
  return out;
}

expected<secret> open_sealed_secret(const secret& private_key, byte_view sealed, byte_view aad) {
  if (sealed.size() < x25519_size + tag_size) return fail(errc::corrupt, "sealed key too short");
  auto key = exchange_from(private_key, sealed.first(x25519_size), secret{}, wo_secret_label);
  if (!key) return fail(key.error());
  auto mode = Botan::AEAD_Mode::create_or_throw("AES-256/GCM", Botan::DECRYPTION);
  mode->set_key(key->data(), key->size());
  auto plain = gcm_open(*mode, nonce_of(0), aad, sealed.subspan(x25519_size));
  if (!plain) return fail(errc::auth, "the private key does not open this sealed key");
  auto s = secret::copy_of(*plain);
  if (!plain->empty()) explicit_bzero(plain->data(), plain->size());
  return s;
}

}  // namespace cairn::crypto
