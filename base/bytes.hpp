// Byte buffers, views and a small binary codec (little-endian fixed ints, LEB128
// varints, length-prefixed strings) used by every on-target format.
// Plain values; not synchronized.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"

namespace cairn {

using byte_buffer = std::vector<uint8_t>;
using byte_view = std::span<const uint8_t>;

inline byte_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(byte_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string to_hex(byte_view bytes);
expected<byte_buffer> from_hex(std::string_view hex);
std::string to_base64(byte_view bytes);
expected<byte_buffer> from_base64(std::string_view text);

// An immutable buffer shared between actors without copies.
class chunk {
public:
  chunk() = default;
  explicit chunk(byte_buffer data) : data_(std::move(data)) {}
  byte_view view() const { return data_; }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }

private:
  byte_buffer data_;
};
using chunk_ptr = std::shared_ptr<const chunk>;

inline chunk_ptr make_chunk(byte_buffer data) {
  return std::make_shared<const chunk>(std::move(data));
}

// Appends fixed-width and variable-length fields to a buffer.
class byte_writer {
public:
  explicit byte_writer(byte_buffer& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u32(uint32_t v);
  void u64(uint64_t v);
  void varint(uint64_t v);
  void svarint(int64_t v) { varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void raw(byte_view b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void bytes(byte_view b) { varint(b.size()); raw(b); }
  void str(std::string_view s) { bytes(as_bytes(s)); }

private:
  byte_buffer& out_;
};

// Reads what byte_writer wrote. Every read is bounds-checked; after the first
// failure ok() is false and all reads return zero values.
class byte_reader {
public:
  explicit byte_reader(byte_view in) : in_(in) {}
  uint8_t u8();
  uint32_t u32();
  uint64_t u64();
  uint64_t varint();
  int64_t svarint() {
    uint64_t v = varint();
    return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }
  byte_view raw(size_t n);
  byte_view bytes() { return raw(checked_size(varint())); }
  std::string str() {
    auto b = bytes();
    return std::string(as_chars(b));
  }
  bool ok() const { return ok_; }
  bool done() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }

private:
  size_t checked_size(uint64_t n);
  byte_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace cairn
