// A TCP address to listen on, as written in the YAML ("127.0.0.1:8765",
// "localhost:8765", "[::1]:8765", "0.0.0.0:8765"). Parsed once here. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "base/error.hpp"

namespace cairn::config {

struct listen_address {
  std::string host;     // an IPv4 or IPv6 literal (without brackets); "localhost" becomes 127.0.0.1
  uint16_t port = 0;    // 1..65535
  bool loopback = true; // 127.0.0.0/8 or ::1: only this machine can connect

  // "127.0.0.1:8765", "[::1]:8765": what a browser's Host header carries.
  std::string authority() const;
};

// invalid_input with a one-line reason ("port must be 1..65535", ...).
expected<listen_address> parse_listen_address(const std::string& text);

}  // namespace cairn::config
