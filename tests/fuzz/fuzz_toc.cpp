// A pack's table of contents as decode_toc sees it once opened (the pack
// harness reaches it too, but through a pack it must build first).
// Input: the TOC plaintext.
#include "fuzz_support.hpp"
#include "repo/index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cairn::repo::decode_toc(cairn::byte_view(data, size));
  return 0;
}
