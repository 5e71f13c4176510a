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

// regressions/suite_state/header-not-an-object-type-error:
// read_suite_state_header calls json::value("magic") outside its try, which
// throws when the header line is JSON but not an object, or magic is not a string.
bool known_crash(byte_view object) {
  auto text = as_chars(object);
  auto end = text.find('\n');
  if (end == std::string_view::npos) return false;
  auto j = nlohmann::json::parse(text.substr(0, end), nullptr, false);
  if (j.is_discarded()) return false;
  return !j.is_object() || (j.contains("magic") && !j["magic"].is_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto in = fuzz::split(data, size);
  // regressions/suite_state/empty-payload-explicit-bzero-null
  if (fuzz::skip_known() && !in.stored && in.body.empty()) return 0;
  auto object = build_object(in);
  if (fuzz::skip_known() && known_crash(object)) return 0;
  auto header = recovery::read_suite_state_header(object, "suite/fuzz");
  if (!header) return 0;
  crypto::key_ptr keys;
  if (header->encryption != crypto::encryption::none) keys = fuzz::test_keys();
  (void)recovery::open_suite_state(object, *header, keys);
  return 0;
}
