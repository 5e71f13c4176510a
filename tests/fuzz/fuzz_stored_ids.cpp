// A write-only machine's record of stored blob ids (repo/stored_ids.hpp), a
// file in the state directory. Input: the file's bytes.
#include "fuzz_support.hpp"
#include "repo/stored_ids.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)cairn::repo::decode_stored_ids(cairn::byte_view(data, size));
  return 0;
}
