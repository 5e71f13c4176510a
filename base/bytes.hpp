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
  // The first `size` bytes of an allocation that was read into (never zero-filled).
  chunk(std::unique_ptr<uint8_t[]> raw, size_t size) : raw_(std::move(raw)), raw_size_(size) {}
  byte_view view() const { return raw_ ? byte_view(raw_.get(), raw_size_) : byte_view(data_); }
  const uint8_t* data() const { return view().data(); }
  size_t size() const { return view().size(); }
  bool empty() const { return size() == 0; }
  // The buffer back, for whoever owns the chunk alone (a deleter that recycles
  // it); empty for a chunk made from a raw allocation.
  byte_buffer release() { return std::move(data_); }

private:
  byte_buffer data_;
  std::unique_ptr<uint8_t[]> raw_;
  size_t raw_size_ = 0;
};
using chunk_ptr = std::shared_ptr<const chunk>;

// A buffer reused from one use to the next whose bytes are never zero-filled
// (a byte_buffer's resize writes zeros the caller overwrites at once): only
// for bytes that are written before they are read.
class scratch_buffer {
public:
  // At least `n` writable bytes; what was in it before is gone.
  // Grows in steps of 64 KiB: sizes that creep up one after another (blobs,
  // ranges) do not each make a new buffer.
  uint8_t* reserve(size_t n) {
    if (n > capacity_) {
      constexpr size_t step = 64u << 10;
      size_t size = n > SIZE_MAX - step ? n : (n + step - 1) / step * step;
      data_.reset();
      data_.reset(new uint8_t[size]);
      capacity_ = size;
    }
    return data_.get();
  }
  const uint8_t* data() const { return data_.get(); }
  size_t capacity() const { return capacity_; }
  // Frees it when larger than `keep` (one large use need not hold its memory).
  void trim(size_t keep) {
    if (capacity_ > keep) data_.reset(), capacity_ = 0;
  }

private:
  std::unique_ptr<uint8_t[]> data_;
  size_t capacity_ = 0;
};

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
