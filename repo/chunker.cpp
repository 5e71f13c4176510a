#include "repo/chunker.hpp"

#include <bit>

#include "base/assert.hpp"

namespace cairn::repo {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The top `bits` bits: in a gear hash, bit k depends on the last k+1 bytes, so
// high bits see the whole 64-byte window.
uint64_t top_bits(int bits) { return bits <= 0 ? 0 : ~uint64_t{0} << (64 - bits); }

}  // namespace

chunker::chunker(const chunker_params& params) : params_(params) {
  CAIRN_ASSERT(params.min_size > 0 && params.min_size <= params.avg_size &&
               params.avg_size <= params.max_size && std::has_single_bit(params.avg_size));
  int bits = std::countr_zero(params.avg_size);
  mask_small_ = top_bits(bits + 2);
  mask_large_ = top_bits(bits - 2);
  uint64_t state = params.seed ^ 0x6361697266646330ull;
  for (auto& g : gear_) g = splitmix64(state);
}

size_t chunker::next_cut(byte_view data, bool final) const {
  size_t n = data.size();
  if (n <= params_.min_size) return final ? n : 0;
  size_t limit = std::min<size_t>(n, params_.max_size);
  size_t normal = std::min<size_t>(limit, params_.avg_size);
  const uint8_t* p = data.data();
  uint64_t fp = 0;
  size_t i = params_.min_size;
  for (; i < normal; ++i) {
    fp = (fp << 1) + gear_[p[i]];
    if ((fp & mask_small_) == 0) return i + 1;
  }
  for (; i < limit; ++i) {
    fp = (fp << 1) + gear_[p[i]];
    if ((fp & mask_large_) == 0) return i + 1;
  }
  if (limit == params_.max_size || final) return limit;
  return 0;
}

}  // namespace cairn::repo
