// Frames of the serve protocol (targets/remote_protocol.hpp) on a file
// descriptor: a pipe or a socket, blocking, each wait bounded by a timeout
// (-1: none). Writing never raises SIGPIPE on a socket. Not synchronized: one
// thread per descriptor at a time.
#pragma once

#include <optional>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace cairn::targets::detail {

// Writes the length prefix and the payload. transient when the peer is gone
// or the timeout passes.
status write_frame(int fd, byte_view payload, int timeout_ms);

// Reads one frame of at most `max_bytes` (a longer one is corrupt, and
// nothing of it is allocated); memory grows only as bytes arrive. nullopt on
// a clean end of stream before a frame; transient when the stream ends inside
// one, fails or times out.
expected<std::optional<byte_buffer>> read_frame(int fd, uint32_t max_bytes, int timeout_ms);

}  // namespace cairn::targets::detail
