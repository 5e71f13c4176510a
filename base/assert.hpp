// CAIRN_ASSERT: programmer errors only (never for bad input or I/O).
#pragma once

#include <cstdio>
#include <cstdlib>

#define CAIRN_ASSERT(cond)                                                        \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "cairn: internal error: %s (%s:%d)\n", #cond, __FILE__, \
                   __LINE__);                                                     \
      std::abort();                                                               \
    }                                                                             \
  } while (0)
