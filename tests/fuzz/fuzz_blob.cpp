// One blob: encoding byte (raw or zstd) | payload, sealed in a pack.
// Input (fuzz_support.hpp): mode byte | u32 raw_length (LE) | encoded blob.
// decode_blob sees the encoded bytes directly; open_blob sees them sealed
// with the test key at offset 32 (or, stored, as they come). The *_into forms
// (reused buffers, decryption in place) must agree with them on every input.
#include <algorithm>
#include <cstring>

#include "crypto/id_hasher.hpp"
#include "fuzz_support.hpp"
#include "repo/compression.hpp"
#include "repo/pack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  auto in = fuzz::split(data, size);
  if (in.body.size() < 4) return 0;
  byte_reader r(in.body.first(4));
  uint32_t raw_length = r.u32();
  auto encoded = in.body.subspan(4);
  auto whole = repo::decode_blob(encoded, raw_length);
  scratch_buffer scratch;  // a used scratch buffer, smaller or larger than needed
  std::memset(scratch.reserve(7), 0xee, 7);
  auto view = repo::decode_blob_into(encoded, raw_length, scratch);
  if (whole.has_value() != view.has_value()) __builtin_trap();
  if (whole && !std::equal(whole->begin(), whole->end(), view->begin(), view->end())) __builtin_trap();

  auto cipher = fuzz::cipher_for(in.mode);
  std::array<uint8_t, 32> salt{};
  auto pc = cipher.for_pack(salt);
  repo::blob_entry entry{object_id{}, repo::blob_type::data, 32, 0, raw_length};
  byte_buffer sealed;
  if (in.stored) sealed.assign(encoded.begin(), encoded.end());
  else pc->seal(entry.offset, repo::blob_aad(entry.type, entry.id), encoded, sealed);
  entry.length = static_cast<uint32_t>(sealed.size());
  crypto::id_hasher hasher(in.mode == crypto::encryption::none ? nullptr : fuzz::test_keys());
  auto opened = repo::open_blob(*pc, entry, sealed, hasher);
  repo::blob_scratch blob_scratch;
  byte_buffer in_place = sealed;  // open_blob_into decrypts where the bytes lie
  auto opened_view = repo::open_blob_into(*pc, entry, in_place, hasher, blob_scratch);
  if (opened.has_value() != opened_view.has_value()) __builtin_trap();
  if (opened && !std::equal(opened->begin(), opened->end(), opened_view->begin(), opened_view->end())) __builtin_trap();
  return 0;
}
