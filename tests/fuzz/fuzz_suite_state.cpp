// Suite-state objects: one line of JSON header, then the sealed payload.
// Input (fuzz_support.hpp): mode byte | body.
//   stored: body is the whole object; its header names the encryption, and
//     its payload opens with the test key when it was sealed with it.
//   sealed: body is a payload plaintext; the harness seals it and writes a
//     valid header for it, so decode_payload sees the fuzzer's bytes.
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/id_hasher.hpp"
#include "fuzz_support.hpp"
#include "recovery/suite_state.hpp"

namespace {

using namespace cairn;

byte_buffer build_object(const fuzz::input& in) {
  if (in.stored) return {in.body.begin(), in.body.end()};
  auto sealed = fuzz::cipher_for(in.mode).seal_object("suite-state", in.body);
  std::string header = R"({"magic":"cairn-suite-state","format_version":1,"suite_id":"s",)"
                       R"("host":"h","time":"2026-12-03T10:00:00Z","repository_id":")" +
                       std::string(fuzz::golden_repository_id) + R"(","encryption":")" +
                       std::string(crypto::to_string(in.mode)) + R"(","key_slots":[],"payload_size":)" +
                       std::to_string(sealed.size()) + R"(,"payload_sha256":")" +
                       crypto::sha256_of(sealed).hex() + "\"}\n";
  byte_buffer object(header.begin(), header.end());
  object.insert(object.end(), sealed.begin(), sealed.end());
  return object;
}


}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::split(data, size);
  auto object = build_object(in);
  auto header = recovery::read_suite_state_header(object, "suite/fuzz");
  if (!header) return 0;
  crypto::key_ptr keys;
  if (header->encryption != crypto::encryption::none) keys = fuzz::test_keys();
  (void)recovery::open_suite_state(object, *header, keys);
  return 0;
}
