#include "base/buffer_pool.hpp"

#include <algorithm>

namespace cairn {

namespace {

// Capacities are rounded up so a buffer fits the chunks of similar size that follow.
constexpr size_t granule = 256u << 10;

size_t rounded(size_t n) { return (n + granule - 1) / granule * granule; }

}  // namespace

buffer_pool& buffer_pool::shared() {
  // Never destroyed: threads may still drop chunks while the process exits.
  static auto* pool = new buffer_pool(8u << 20);
  return *pool;
}

byte_buffer buffer_pool::take(size_t capacity) {
  if (capacity >= min_pooled) {
    std::lock_guard lock(mutex_);
    // The smallest that fits: the big ones stay for big chunks.
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it)
      if (it->capacity() >= capacity && (best == free_.end() || it->capacity() < best->capacity())) best = it;
    if (best != free_.end()) {
      byte_buffer out = std::move(*best);
      free_.erase(best);
      held_ -= out.capacity();
      return out;
    }
  }
  byte_buffer out;
  out.reserve(capacity >= min_pooled ? rounded(capacity) : capacity);
  return out;
}

void buffer_pool::give(byte_buffer b) {
  size_t cap = b.capacity();
  if (cap < min_pooled || cap > max_bytes_) return;
  std::vector<byte_buffer> dropped;  // freed outside the lock
  std::lock_guard lock(mutex_);
  while (held_ + cap > max_bytes_ && !free_.empty()) {
    held_ -= free_.front().capacity();
    dropped.push_back(std::move(free_.front()));
    free_.erase(free_.begin());
  }
  held_ += cap;
  free_.push_back(std::move(b));
}

size_t buffer_pool::held_bytes() const {
  std::lock_guard lock(mutex_);
  return held_;
}

size_t buffer_pool::held_buffers() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

namespace {

chunk_ptr pooled(byte_buffer data) {
  return chunk_ptr(new chunk(std::move(data)), [](const chunk* c) {
    // The deleter owns the chunk, made non-const by new above.
    auto* owned = const_cast<chunk*>(c);
    buffer_pool::shared().give(owned->release());
    delete owned;
  });
}

}  // namespace

chunk_ptr make_pooled_chunk(byte_view bytes) {
  if (bytes.size() < buffer_pool::min_pooled) return make_chunk(byte_buffer(bytes.begin(), bytes.end()));
  auto data = buffer_pool::shared().take(bytes.size());
  data.assign(bytes.begin(), bytes.end());
  return pooled(std::move(data));
}

chunk_ptr make_pooled_chunk(byte_buffer data) {
  if (data.capacity() < buffer_pool::min_pooled) return make_chunk(std::move(data));
  return pooled(std::move(data));
}

}  // namespace cairn
