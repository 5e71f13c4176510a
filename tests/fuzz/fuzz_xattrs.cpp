// The file cache's encoding of extended attributes (catalog rows).
// Input: the encoded attributes.
#include "fs/metadata.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cairn::fs::decode_xattrs(cairn::byte_view(data, size));
  return 0;
}
