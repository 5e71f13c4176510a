// The sealed file cache of a write-only machine: the plaintext of one row
// (catalog::decode_cache_entries). Its bytes passed AEAD under the machine's
// key before they reach the decoder, but a decoder of stored bytes is fuzzed
// all the same. A decoded row must encode back to the same bytes.
#include <cstdlib>

#include "catalog/cache_seal.hpp"
#include "catalog/catalog.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  auto entries = catalog::decode_cache_entries(byte_view(data, size));
  if (!entries) return 0;
  auto again = catalog::encode_cache_entries(*entries);
  auto round = catalog::decode_cache_entries(again);
  if (!round || round->size() != entries->size()) std::abort();
  return 0;
}
