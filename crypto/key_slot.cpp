#include "crypto/key_slot.hpp"

#include "base/clock.hpp"
#include "crypto/cipher.hpp"
#include "crypto/id_hasher.hpp"

namespace cairn::crypto {

namespace {

std::string slot_aad(std::string_view repo_id, const key_slot& slot) {
  return "cairn/v1/key-slot|" + std::string(repo_id) + "|" + slot.id + "|" +
         std::string(to_string(slot.kind));
}

expected<secret> kek_for(const key_slot& slot, const credential& cred) {
  if (cred.kind == slot_kind::password)
    return argon2id(as_chars(cred.material.view()), slot.salt, slot.kdf);
  return hkdf_sha256(cred.material, slot.salt, "cairn/v1/slot-key", 32);
}

std::string fingerprint_of(const public_key& key) {
  auto fp = hkdf_sha256(secret::copy_of(key.bytes), {}, "cairn/v1/fingerprint", 8);
  return to_hex(fp.view());
}

}  // namespace

std::string_view to_string(slot_kind kind) {
  switch (kind) {
    case slot_kind::keyfile: return "keyfile";
    case slot_kind::password: return "password";
    case slot_kind::tpm: return "tpm";
    case slot_kind::public_key: return "public-key";
  }
  return "unknown";
}

expected<slot_kind> parse_slot_kind(std::string_view text) {
  if (text == "keyfile") return slot_kind::keyfile;
  if (text == "password") return slot_kind::password;
  if (text == "tpm") return slot_kind::tpm;
  if (text == "public-key") return slot_kind::public_key;
  return fail(errc::invalid_input, "unknown key slot kind \"" + std::string(text) + "\"");
}

std::string fingerprint_of(const credential& cred) {
  if (cred.kind == slot_kind::password) return {};
  if (cred.kind == slot_kind::public_key) return fingerprint_of(public_of(cred.material));
  auto fp = hkdf_sha256(cred.material, {}, "cairn/v1/fingerprint", 8);
  return to_hex(fp.view());
}

key_slot make_public_key_slot(const public_key& recipient, const secret& master, std::string_view repo_id) {
  key_slot slot;
  slot.id = to_hex(random_bytes(4));
  slot.kind = slot_kind::public_key;
  slot.created_ns = now_ns();
  slot.salt = random_bytes(32);  // unused; kept so every slot has the same fields
  slot.fingerprint = fingerprint_of(recipient);
  slot.wrapped = seal_secret_to(recipient, master, as_bytes(slot_aad(repo_id, slot)));
  return slot;
}

key_slot make_key_slot(const credential& cred, const secret& master, std::string_view repo_id,
                       argon2_params kdf) {
  key_slot slot;
  slot.id = to_hex(random_bytes(4));
  slot.kind = cred.kind;
  slot.created_ns = now_ns();
  slot.salt = random_bytes(32);
  slot.kdf = kdf;
  slot.fingerprint = fingerprint_of(cred);
  auto kek = kek_for(slot, cred);
  // Password KDF parameters come from our own defaults here, so this cannot fail.
  slot.wrapped = wrap_secret(*kek, master, as_bytes(slot_aad(repo_id, slot)));
  return slot;
}

expected<secret> open_key_slots(const std::vector<key_slot>& slots, const credential& cred,
                                std::string_view repo_id, std::string* used) {
  std::string fp = fingerprint_of(cred);
  bool any_kind = false;
  for (const auto& slot : slots) {
    if (slot.kind != cred.kind) continue;
    any_kind = true;
    if (!fp.empty() && slot.fingerprint != fp) continue;
    if (cred.kind == slot_kind::public_key) {
      auto master = open_sealed_secret(cred.material, slot.wrapped, as_bytes(slot_aad(repo_id, slot)));
      if (!master) continue;
      if (used) *used = slot.id;
      return master;
    }
    auto kek = kek_for(slot, cred);
    if (!kek) return fail(kek.error());
    auto master = unwrap_secret(*kek, slot.wrapped, as_bytes(slot_aad(repo_id, slot)));
    if (master) {
      if (used) *used = slot.id;
      return master;
    }
  }
  if (!any_kind)
    return fail(errc::auth, "the repository has no " + std::string(to_string(cred.kind)) +
                              " key slot");
  if (cred.kind == slot_kind::password) return fail(errc::auth, "wrong password");
  return fail(errc::auth, cred.source + " does not open this repository (no matching key slot)");
}

}  // namespace cairn::crypto
