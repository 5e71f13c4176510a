#include "base/id.hpp"

#include <algorithm>

#include "base/assert.hpp"

namespace cairn {

object_id object_id::from_view(byte_view b) {
  CAIRN_ASSERT(b.size() == size);
  object_id id;
  std::copy(b.begin(), b.end(), id.bytes.begin());
  return id;
}

expected<object_id> object_id::parse(std::string_view hex) {
  if (hex.size() != 2 * size) return fail(errc::invalid_input, "an id has 64 hex digits");
  auto raw = from_hex(hex);
  if (!raw) return fail(raw.error());
  return from_view(*raw);
}

bool object_id::is_zero() const {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace cairn
