// The repository header ("config"): plaintext JSON read before any key is
// known. Input: the object's bytes. A decoded header's sealed settings go
// through verify_header with the test key (they do not open: the unsealing
// code still sees them).
#include <nlohmann/json.hpp>

#include "fuzz_support.hpp"
#include "repo/header.hpp"

namespace {

// regressions/header/magic-not-a-string-type-error: decode_header calls
// json::value("magic") outside its try, which throws when magic is not a string.
bool known_crash(const uint8_t* data, size_t size) {
  auto j = nlohmann::json::parse(data, data + size, nullptr, false);
  return !j.is_discarded() && j.is_object() && j.contains("magic") && !j["magic"].is_string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace cairn;
  if (fuzz::skip_known() && known_crash(data, size)) return 0;
  auto header = repo::decode_header(byte_view(data, size), "config");
  if (!header) return 0;
  (void)repo::verify_header(*header, fuzz::cipher_for(header->encryption));
  return 0;
}
