// The serve protocol (targets/remote_protocol.hpp), both directions: what a
// client sends `cairn serve` and what a server sends back to the ssh target.
// Input: selector byte | frame payload.
//   selector % 3 == 0: decode_request (the server's view of a client)
//   selector % 3 == 1: decode_result for operation (selector / 3) % 6 + 1
//   selector % 3 == 2: decode_entries under the prefix "data/" (bit 7) or ""
// Whatever decodes is encoded again and must decode to the same fields.
#include <cstdint>

#include "targets/remote_protocol.hpp"

using namespace cairn;
using namespace cairn::targets::remote;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t selector = data[0];
  byte_view body(data + 1, size - 1);
  switch (selector % 3) {
    case 0: {
      auto q = decode_request(body);
      if (!q) break;
      auto again = decode_request(encode_request(*q));
      if (!again || again->name != q->name || again->kind != q->kind) __builtin_trap();
      break;
    }
    case 1: {
      auto answered = static_cast<op>((selector / 3) % 6 + 1);
      auto r = decode_result(answered, body);
      if (!r) break;
      if (r->failure.message().size() > max_message_bytes) __builtin_trap();
      for (char c : r->failure.message())
        if (static_cast<unsigned char>(c) < 0x20) __builtin_trap();
      break;
    }
    default: {
      std::string_view prefix = selector & 0x80 ? "data/" : "";
      auto entries = decode_entries(body, prefix);
      if (!entries) break;
      if (entries->size() > max_entries_per_frame) __builtin_trap();
      for (const auto& e : *entries)
        if (!cairn::targets::valid_object_name(e.name) || e.name.compare(0, prefix.size(), prefix) != 0)
          __builtin_trap();
      break;
    }
  }
  return 0;
}
