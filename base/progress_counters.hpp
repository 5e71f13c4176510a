// What a backup or a restore has done (or has to do), as counters that add
// up: sources and targets report them, the progress actor sums them into
// done/total, rate and ETA.
#pragma once

#include <cstdint>

namespace cairn {

struct progress_counters {
  uint64_t files = 0;           // files done (or to do, in totals)
  uint64_t bytes = 0;           // bytes read or restored (or to read)
  uint64_t bytes_uploaded = 0;  // bytes sent to targets
  uint64_t bytes_new = 0;       // bytes found new (to upload)
  uint64_t errors = 0;
};

}  // namespace cairn
