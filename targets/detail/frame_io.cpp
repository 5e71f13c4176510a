#include "targets/detail/frame_io.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "targets/remote_protocol.hpp"

namespace cairn::targets::detail {

namespace {

status wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return {};
    if (n == 0) return fail(errc::transient, "no answer for " + std::to_string(timeout_ms / 1000) + " s");
    if (errno != EINTR) return fail(errc::transient, std::string("poll: ") + std::strerror(errno));
  }
}

status write_all(int fd, byte_view data, int timeout_ms) {
  bool socket = true;
  size_t done = 0;
  while (done < data.size()) {
    CAIRN_TRY(wait_for(fd, POLLOUT, timeout_ms));
    ssize_t n = socket ? ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL) : -1;
    if (n < 0 && socket && errno == ENOTSOCK) {
      socket = false;
      continue;
    }
    if (!socket) n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return fail(errc::transient, std::string("the connection broke: ") + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

// Reads exactly `want` bytes into `out` from `at`; false with `eof` at a clean end.
status read_exact(int fd, uint8_t* out, size_t want, int timeout_ms, bool& eof) {
  size_t done = 0;
  eof = false;
  while (done < want) {
    CAIRN_TRY(wait_for(fd, POLLIN, timeout_ms));
    ssize_t n = ::read(fd, out + done, want - done);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return fail(errc::transient, std::string("the connection broke: ") + std::strerror(errno));
    }
    if (n == 0) {
      eof = true;
      return done == 0 ? status{} : status(fail(errc::transient, "the connection closed inside a frame"));
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

status write_frame(int fd, byte_view payload, int timeout_ms) {
  if (payload.size() > remote::max_frame_bytes)
    return fail(errc::invalid_input, "a frame of " + std::to_string(payload.size()) + " bytes is larger than the protocol carries");
  uint8_t header[remote::frame_header_bytes];
  remote::put_frame_header(header, static_cast<uint32_t>(payload.size()));
  CAIRN_TRY(write_all(fd, byte_view(header, sizeof header), timeout_ms));
  return write_all(fd, payload, timeout_ms);
}

expected<std::optional<byte_buffer>> read_frame(int fd, uint32_t max_bytes, int timeout_ms) {
  uint8_t header[remote::frame_header_bytes];
  bool eof = false;
  CAIRN_TRY(read_exact(fd, header, sizeof header, timeout_ms, eof));
  if (eof) return std::nullopt;
  uint32_t length = remote::frame_length(header);
  if (length > max_bytes)
    return fail(errc::corrupt, "a frame of " + std::to_string(length) + " bytes (at most " +
                                 std::to_string(max_bytes) + ")");
  byte_buffer payload;
  constexpr size_t step = 4u << 20;
  while (payload.size() < length) {
    size_t from = payload.size();
    payload.resize(std::min<size_t>(length, from + step));
    CAIRN_TRY(read_exact(fd, payload.data() + from, payload.size() - from, timeout_ms, eof));
    if (eof) return fail(errc::transient, "the connection closed inside a frame");
  }
  return std::optional<byte_buffer>(std::move(payload));
}

}  // namespace cairn::targets::detail
