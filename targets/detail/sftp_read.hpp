// Pipelined reads of one open SFTP file (libssh 0.10), for sftp_target only.
// Not thread-safe: one caller per file and connection at a time.
#pragma once

#include <libssh/sftp.h>

#include <cstddef>
#include <cstdint>

namespace cairn::targets::detail {

struct sftp_read_result {
  enum kind { complete, ended_early, failed } outcome = complete;
  uint64_t end = 0;       // ended_early: the offset at which the server said EOF
  bool in_flight = false; // requests are still unanswered: the connection is unusable
};

// Reads `length` bytes at `offset` into `out`, with up to `depth` requests of
// at most `block` bytes in flight. A server may answer a request with fewer
// bytes than asked (the protocol allows it; rclone's sends at most 32 KiB,
// OpenSSH 64 KiB): the rest is asked for again from where the answer ended,
// and `block` shrinks to what the server sends (not below 16 KiB), so that
// later requests, also of later reads on this connection, come in order:
// rclone serves reads out of order slowly (it reopens the file and waits).
// failed: the cause is in sftp_get_error / ssh_get_error of the session.
sftp_read_result sftp_read_at(sftp_file file, uint64_t offset, uint8_t* out, size_t length,
                              size_t& block, size_t depth);

}  // namespace cairn::targets::detail
