// Trees, as decode_tree sees them once their blob is opened and verified
// (in mode none the blob id is a plain SHA-256: anyone can make a valid one).
// Input: the tree plaintext.
#include "fuzz_support.hpp"
#include "repo/tree.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cairn::repo::decode_tree(cairn::byte_view(data, size));
  return 0;
}
