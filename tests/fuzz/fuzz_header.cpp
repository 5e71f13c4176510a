// The repository header ("config"): plaintext JSON read before any key is
// known. Input: the object's bytes. A decoded header's sealed settings go
// through verify_header with the test key (they do not open: the unsealing
// code still sees them).
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "repo/header.hpp"

namespace {


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  auto header = repo::decode_header(byte_view(data, size), "config");
  if (!header) return 0;
  (void)repo::verify_header(*header, fuzz::cipher_for(header->encryption));
  return 0;
}
