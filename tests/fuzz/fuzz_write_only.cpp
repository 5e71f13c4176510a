// Write-only mode's decoders: the private key file, the public key's text
// form, objects and packs sealed to a public key (opened with the fixed test
// private key of fuzz_support.hpp), and public-key key slots.
// Input: selector byte | body.
//   0 private key file text; an unprotected one is opened (no Argon2id work)
//   1 public key text
//   2 stored object of kind "index" (version 2 framing, X25519 + AES-GCM)
//   3 pack: salt/ephemeral key(32) | u32 offset | sealed blob
//   4 a secret sealed to the public key (a public-key slot's wrapped_key)
//   5 key slots JSON, opened with the private key
#include "crypto/key_slot.hpp"
#include "crypto/private_key_file.hpp"
#include "fuzz_support.hpp"
#include "repo/header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  if (size == 0) return 0;
  byte_view body(data + 1, size - 1);
  const auto& keys = fuzz::test_write_only_keys();
  switch (data[0] % 6) {
    case 0: {
      auto f = crypto::parse_private_key_file(as_chars(body), "fuzz");
      if (f && !f->passphrase) (void)crypto::open_private_key_file(*f, "", "fuzz");
      break;
    }
    case 1: (void)crypto::parse_public_key(as_chars(body)); break;
    case 2: (void)fuzz::cipher_for(crypto::encryption::x25519).open_object("index", body); break;
    case 3: {
      if (body.size() < 36) break;
      uint32_t offset = 0;
      std::memcpy(&offset, body.data() + 32, 4);
      auto pc = fuzz::cipher_for(crypto::encryption::x25519).for_pack(body.first(32));
      (void)pc->open(offset, as_bytes("aad"), body.subspan(36));
      break;
    }
    case 4: (void)crypto::open_sealed_secret(keys->private_key, body, as_bytes("aad")); break;
    case 5: {
      auto slots = repo::decode_key_slots(as_chars(body), "config");
      if (!slots) break;
      crypto::credential cred{crypto::slot_kind::public_key, keys->private_key, "fuzz private key"};
      (void)crypto::open_key_slots(*slots, cred, fuzz::golden_repository_id);
      break;
    }
  }
  return 0;
}
