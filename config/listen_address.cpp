#include "config/listen_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace cairn::config {

std::string listen_address::authority() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

expected<listen_address> parse_listen_address(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return fail(errc::invalid_input, "\"" + text + "\" is not HOST:PORT (e.g. 127.0.0.1:8765)");
  std::string host = text.substr(0, colon), port_text = text.substr(colon + 1);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return fail(errc::invalid_input, "\"" + text + "\": the port must be a number from 1 to 65535");
  listen_address a;
  a.host = host == "localhost" ? "127.0.0.1" : host;
  a.port = static_cast<uint16_t>(port);
  in_addr v4{};
  in6_addr v6{};
  if (::inet_pton(AF_INET, a.host.c_str(), &v4) == 1) {
    a.loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (::inet_pton(AF_INET6, a.host.c_str(), &v6) == 1) {
    a.loopback = IN6_IS_ADDR_LOOPBACK(&v6);
  } else {
    return fail(errc::invalid_input, "\"" + text + "\": the host must be an IP address or localhost, not a name");
  }
  return a;
}

}  // namespace cairn::config
