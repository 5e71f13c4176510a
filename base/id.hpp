// A 32-byte content id (blob, tree, pack, checkpoint). Plain value.
#pragma once

#include <array>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace cairn {

struct object_id {
  static constexpr size_t size = 32;
  std::array<uint8_t, size> bytes{};

  static object_id from_view(byte_view b);
  static expected<object_id> parse(std::string_view hex);
  std::string hex() const { return to_hex(bytes); }
  std::string short_hex() const { return hex().substr(0, 8); }
  bool is_zero() const;
  byte_view view() const { return bytes; }
  auto operator<=>(const object_id&) const = default;
};

struct object_id_hash {
  size_t operator()(const object_id& id) const noexcept {
    size_t h;
    std::memcpy(&h, id.bytes.data(), sizeof h);  // ids are uniformly distributed
    return h;
  }
};

}  // namespace cairn

template <>
struct std::hash<cairn::object_id> : cairn::object_id_hash {};
