// Hands the heap's free pages back to the system: memory freed on one thread
// (a restore's plan, trees read while planning) otherwise stays resident in
// that thread's malloc arena while other threads allocate in theirs.
#pragma once

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace cairn {

inline void release_free_memory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace cairn
