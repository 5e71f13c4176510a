// Index files, sealed as objects of kind "index".
// Input (fuzz_support.hpp): mode byte | plaintext index file (or stored object).
#include "fuzz_support.hpp"
#include "repo/index.hpp"
#include "repo/repo_format.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  auto in = fuzz::split(data, size);
  auto object = fuzz::stored_object(in, repo::kind_index);
  auto plain = fuzz::cipher_for(in.mode).open_object(repo::kind_index, object);
  if (plain) (void)repo::decode_index_file(*plain);
  return 0;
}
