// Key material in locked, non-dumpable memory that is zeroized when released.
// A secret is a plain value: copy = new locked copy. Not synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/bytes.hpp"

namespace cairn::crypto {

class secret {
public:
  secret() = default;
  explicit secret(size_t size);  // zero-filled
  static secret random(size_t size);
  static secret copy_of(byte_view bytes);

  secret(const secret& other);
  secret(secret&& other) noexcept;
  secret& operator=(const secret& other);
  secret& operator=(secret&& other) noexcept;
  ~secret();

  uint8_t* data() { return ptr_; }
  const uint8_t* data() const { return ptr_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  byte_view view() const { return {ptr_, size_}; }

  // Constant-time comparison.
  bool equals(const secret& other) const;

private:
  void release() noexcept;
  uint8_t* ptr_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;
};

// Fills `out` from the operating system's CSPRNG (getrandom).
void random_fill(uint8_t* out, size_t n);
byte_buffer random_bytes(size_t n);

// Keeps key pages out of core dumps for the whole process (RLIMIT_CORE = 0).
void disable_core_dumps();

}  // namespace cairn::crypto
