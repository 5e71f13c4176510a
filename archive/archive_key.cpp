#include "archive/archive_key.hpp"

#include <cstring>

#include "crypto/id_hasher.hpp"
#include "crypto/keys.hpp"

namespace cairn::archive {

void keyfile_fingerprint(const crypto::secret& key, uint8_t out[8]) {
  auto fp = crypto::hkdf_sha256(key, {}, "cairn/v1/fingerprint", 8);
  std::memcpy(out, fp.data(), 8);
}

expected<std::unique_ptr<record_cipher>> record_cipher::make(const header& h, const credential& c) {
  auto cipher = std::unique_ptr<record_cipher>(new record_cipher);
  if (h.kind == protection::plain) return cipher;
  if (c.kind != h.kind)
    return fail(errc::auth, "the archive is protected by a " + std::string(to_string(h.kind)) + ", not a " +
                              std::string(to_string(c.kind)));
  byte_view salt(h.salt, sizeof h.salt);
  crypto::secret root;
  if (h.kind == protection::keyfile) {
    uint8_t fp[8];
    keyfile_fingerprint(c.keyfile, fp);
    if (std::memcmp(fp, h.fingerprint, 8) != 0) return fail(errc::auth, "this keyfile does not open the archive");
    root = crypto::hkdf_sha256(c.keyfile, salt, "cairn/v1/archive-root", 32);
  } else {
    CAIRN_ASSIGN(root, crypto::argon2id(as_chars(c.passphrase.view()), salt,
                                        {h.memory_kib, h.iterations, h.parallelism}));
  }
  crypto::object_cipher objects(crypto::encryption::aes256gcm, crypto::derive_repository_keys(std::move(root)));
  cipher->pack_ = objects.for_pack(salt);
  return cipher;
}

namespace {

object_id plain_check(record_type type, uint64_t seq, byte_view plaintext) {
  byte_buffer fields = record_aad(type);
  byte_writer(fields).u64(seq);
  fields.insert(fields.end(), plaintext.begin(), plaintext.end());
  return crypto::sha256_of(fields);
}

}  // namespace

byte_buffer record_cipher::seal(record_type type, uint64_t seq, byte_view plaintext) {
  byte_buffer out;
  if (pack_) {
    pack_->seal(seq, record_aad(type), plaintext, out);
    return out;
  }
  out.assign(plaintext.begin(), plaintext.end());
  auto check = plain_check(type, seq, plaintext);
  out.insert(out.end(), check.bytes.begin(), check.bytes.end());
  return out;
}

expected<byte_buffer> record_cipher::open(record_type type, uint64_t seq, byte_view sealed) {
  if (pack_) return pack_->open(seq, record_aad(type), sealed);
  if (sealed.size() < object_id::size) return fail(errc::corrupt, "record shorter than its checksum");
  auto body = sealed.first(sealed.size() - object_id::size);
  auto check = plain_check(type, seq, body);
  if (std::memcmp(check.bytes.data(), sealed.data() + body.size(), object_id::size) != 0)
    return fail(errc::corrupt, "record checksum mismatch");
  return byte_buffer(body.begin(), body.end());
}

}  // namespace cairn::archive
