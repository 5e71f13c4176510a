// Whole reads and writes on a file descriptor (EINTR and short counts
// handled): 0 on success, else the errno (EIO for a read that met the end).
#pragma once

#include <cstdint>

#include "base/bytes.hpp"

namespace cairn::targets::detail {

int write_all(int fd, byte_view data);
int pwrite_all(int fd, byte_view data, uint64_t offset);
int pread_all(int fd, uint8_t* out, size_t length, uint64_t offset);

}  // namespace cairn::targets::detail
