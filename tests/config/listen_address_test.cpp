#include <doctest/doctest.h>

#include "config/listen_address.hpp"
#include "config/suite_config.hpp"

using namespace cairn;
using namespace cairn::config;

TEST_CASE("listen_address: good addresses (loopback or not)") {
  struct row {
    const char* text;
    const char* host;
    uint16_t port;
    bool loopback;
    const char* authority;
  };
  for (const auto& r : {row{"127.0.0.1:8765", "127.0.0.1", 8765, true, "127.0.0.1:8765"},
                        row{"localhost:1", "127.0.0.1", 1, true, "127.0.0.1:1"},
                        row{"127.1.2.3:65535", "127.1.2.3", 65535, true, "127.1.2.3:65535"},
                        row{"[::1]:8765", "::1", 8765, true, "[::1]:8765"},
                        row{"0.0.0.0:8765", "0.0.0.0", 8765, false, "0.0.0.0:8765"},
                        row{"192.168.1.5:80", "192.168.1.5", 80, false, "192.168.1.5:80"}}) {
    CAPTURE(r.text);
    auto a = parse_listen_address(r.text);
    REQUIRE(a);
    CHECK(a->host == r.host);
    CHECK(a->port == r.port);
    CHECK(a->loopback == r.loopback);
    CHECK(a->authority() == r.authority);
  }
}

TEST_CASE("listen_address: bad addresses say why") {
  struct row {
    const char* text;
    const char* says;
  };
  for (const auto& r : {row{"8765", "HOST:PORT"}, row{":8765", "HOST:PORT"}, row{"127.0.0.1:0", "1 to 65535"},
                        row{"127.0.0.1:70000", "1 to 65535"}, row{"127.0.0.1:12ab", "1 to 65535"},
                        row{"example.com:8765", "not a name"}, row{"127.0.0.1:", "1 to 65535"}}) {
    CAPTURE(r.text);
    auto a = parse_listen_address(r.text);
    REQUIRE(!a);
    CHECK(a.error().code() == errc::invalid_input);
    CHECK(a.error().message().find(r.says) != std::string::npos);
  }
}

TEST_CASE("config: api.web is off by default and names its place when bad") {
  std::string base = "targets: {usb: {type: local, path: /mnt}}\nplans: {}\n";
  auto off = parse_config(base, "/etc/cairn/cairn.yaml");
  REQUIRE(off);
  CHECK(!off->api.web);
  auto on = parse_config(base + "api: {web: \"127.0.0.1:8765\"}\n", "/etc/cairn/cairn.yaml");
  REQUIRE(on);
  REQUIRE(on->api.web);
  CHECK(on->api.web->port == 8765);
  auto bad = parse_config(base + "api:\n  web: nowhere:1\n", "/etc/cairn/cairn.yaml");
  REQUIRE(!bad);
  CAPTURE(bad.error().message());
  CHECK(bad.error().message().find("cairn.yaml:4:8: api web:") != std::string::npos);
}
