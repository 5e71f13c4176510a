// Content-defined chunking: FastCDC (Xia et al., 2016/2020) with a gear table
// derived from a per-suite seed and normalized chunking (level 2). Cut points
// depend only on nearby content, so an insertion changes only the chunks
// around it. Immutable; thread-safe.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.hpp"

namespace cairn::repo {

struct chunker_params {
  uint32_t min_size = 0;
  uint32_t avg_size = 0;  // a power of two
  uint32_t max_size = 0;
  uint64_t seed = 0;
  bool operator==(const chunker_params&) const = default;
};

class chunker {
public:
  explicit chunker(const chunker_params& params);

  // Length of the chunk that starts at data[0]. When `final` is false and no
  // cut point lies within data (data shorter than max_size), returns 0: give
  // more data. When `final` is true, the rest is always cut eventually.
  size_t next_cut(byte_view data, bool final) const;

  const chunker_params& params() const { return params_; }

private:
  chunker_params params_;
  uint64_t mask_small_;  // more bits: fewer cuts before avg_size
  uint64_t mask_large_;  // fewer bits: more cuts after avg_size
  std::array<uint64_t, 256> gear_;
};

}  // namespace cairn::repo
