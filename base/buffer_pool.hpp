// Large byte buffers recycled between the threads that fill chunks and the
// ones that drop them. A fresh mapping costs a page fault for every 4 KiB on
// first touch (here about as much as hashing the bytes), and a backup passes
// gigabytes through ~1 MiB chunks: the same few megabytes are reused instead.
// Measured on a 2.5 GB initial backup, cold, two runs each (page faults,
// wall time, peak RSS): no pool 439-509k, 13.5-14.2 s, 97 MiB; 8 MiB
// 259-268k, 12.4-13.9 s, 107-108 MiB; 16 MiB 188-192k, 11.8-13.0 s,
// 108-119 MiB. Every buffer waiting stays resident, so the shared pool is
// 8 MiB: the peak memory of a backup is a goal too. Bounded: at most
// `max_bytes` of capacity wait in a pool; the rest is freed. Thread-safe.
#pragma once

#include <cstddef>
#include <mutex>
#include <vector>

#include "base/bytes.hpp"

namespace cairn {

class buffer_pool {
public:
  // Smaller buffers come from malloc's arenas, already mapped: not pooled.
  static constexpr size_t min_pooled = 128u << 10;

  explicit buffer_pool(size_t max_bytes) : max_bytes_(max_bytes) {}
  buffer_pool(const buffer_pool&) = delete;
  buffer_pool& operator=(const buffer_pool&) = delete;

  // The process's pool (8 MiB).
  static buffer_pool& shared();

  // A buffer whose capacity is at least `capacity`. Its size and bytes are
  // whatever its last user left (callers assign or resize): nothing is
  // zero-filled for them.
  byte_buffer take(size_t capacity);
  // Keeps `b` for a later take() when it is large and there is room.
  void give(byte_buffer b);

  size_t held_bytes() const;
  size_t held_buffers() const;

private:
  mutable std::mutex mutex_;
  std::vector<byte_buffer> free_;  // oldest first
  size_t held_ = 0;                // capacity of free_
  size_t max_bytes_;
};

// A chunk holding a copy of `bytes` (or `data` itself) whose buffer goes back
// to the shared pool when its last reference drops.
chunk_ptr make_pooled_chunk(byte_view bytes);
chunk_ptr make_pooled_chunk(byte_buffer data);

}  // namespace cairn
