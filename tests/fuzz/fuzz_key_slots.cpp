// Key slots: the JSON array of a header (or a suite-state header). Input: the
// array's text. Slots are then opened with the golden keyfile's key, so a slot
// with its fingerprint reaches the unwrap (HKDF + AES-GCM). Password slots are
// not opened: Argon2id at real parameters takes a second per input.
#include "fuzz_support.hpp"
#include "repo/header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  auto slots = repo::decode_key_slots(as_chars(byte_view(data, size)), "config");
  if (!slots) return 0;
  static const auto credential = fuzz::golden_credential();
  (void)crypto::open_key_slots(*slots, credential, fuzz::golden_repository_id);
  return 0;
}
