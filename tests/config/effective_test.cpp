#include <doctest/doctest.h>

#include <fstream>

#include "config/effective.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::config;

namespace {

const char* full = R"(state_dir: /var/lib/cairn
keyring: {mode: tpm, recovery_keyfile: /root/recovery.key, pcrs: [7]}
limits: {upload_kbps: 100}
targets:
  usb: {type: local, path: /mnt/usb}
  nas: {url: "sftp://alice:hunter2@nas:2222/srv/cairn", identity: /etc/cairn/id}
  cloud:
    endpoint: "https://AKIAKEY:s3cr3t@s3.example.org"
    type: s3
    bucket: b
    region: eu-west-1
    limits: {connections: 8, retry_seconds: 30}
plans:
  home:
    sources:
      - {type: dir, path: /home, exclude: ["*.tmp"], exclude_caches: true}
      - {type: command, name: db, command: "pg_dumpall --clean"}
    targets: [usb, nas, cloud]
    schedule: daily 02:30
    keep: {last: 3, within: 1d12h}
    after: "echo done"
daemon: {retry: 90m, io: normal, pause_when: {on_battery: true}}
)";

}  // namespace

TEST_CASE("effective: every default is filled in") {
  auto c = parse_config(full, "/etc/cairn/cairn.yaml");
  REQUIRE(c);
  auto y = effective_yaml(*c);
  CHECK(y.find("connections: 1\n") != std::string::npos);     // local's default
  CHECK(y.find("connections: 2\n") != std::string::npos);     // sftp's
  CHECK(y.find("connections: 8\n") != std::string::npos);     // as written
  CHECK(y.find("timeout_seconds: 60") != std::string::npos);
  CHECK(y.find("retry_seconds: 300") != std::string::npos);
  CHECK(y.find("retry_seconds: 30\n") != std::string::npos);
  CHECK(y.find("port: 2222") != std::string::npos);
  CHECK(y.find("nice: 19") != std::string::npos);
  CHECK(y.find("prune_every: 7d") != std::string::npos);
  CHECK(y.find("retry: 1h30m") != std::string::npos);
  CHECK(y.find("within: 1d12h") != std::string::npos);
  CHECK(y.find("keep: 5") != std::string::npos);
  CHECK(y.find("socket: /var/lib/cairn/cairn.sock") != std::string::npos);
  CHECK(y.find("AWS_ACCESS_KEY_ID") != std::string::npos);  // where the credentials come from
}

TEST_CASE("effective: credentials in URLs are redacted") {
  auto c = parse_config(full, "/etc/cairn/cairn.yaml");
  REQUIRE(c);
  auto y = effective_yaml(*c);
  CHECK(y.find("hunter2") == std::string::npos);
  CHECK(y.find("s3cr3t") == std::string::npos);
  CHECK(y.find("AKIAKEY") == std::string::npos);
  CHECK(y.find("<redacted>") != std::string::npos);
}

TEST_CASE("effective: the output loads again, to the same configuration") {
  auto c = parse_config(full, "/etc/cairn/cairn.yaml");
  REQUIRE(c);
  auto once = effective_yaml(*c);
  auto again = parse_config(once, "/etc/cairn/cairn.yaml");
  REQUIRE_MESSAGE(again, (again ? "" : again.error().message()) << "\n" << once);
  // The first line names the file: equal because both are read as the same one.
  CHECK(effective_yaml(*again) == once);
}

TEST_CASE("effective: patterns read from exclude_from are not repeated") {
  testing::temp_dir dir;
  std::ofstream(dir.path() / "ex") << "# comment\n*.iso\n";
  auto yaml = std::string("targets: {t: {type: local, path: /r}}\nplans:\n  p:\n    sources:\n"
                          "      - {type: dir, path: /d, exclude: [a], exclude_from: ex}\n    targets: [t]\n");
  auto c = parse_config(yaml, dir.path() / "c.yaml");
  REQUIRE(c);
  CHECK(c->plans[0].sources[0].exclude.size() == 2);
  auto y = effective_yaml(*c);
  CHECK(y.find("*.iso") == std::string::npos);
  auto again = parse_config(y, dir.path() / "c.yaml");
  REQUIRE(again);
  CHECK(again->plans[0].sources[0].exclude == c->plans[0].sources[0].exclude);
}

TEST_CASE("effective: durations print as parse_duration reads them") {
  for (long s : {0L, 1L, 59L, 60L, 3600L, 5400L, 86400L, 95400L, 7 * 86400L + 61}) {
    auto text = duration_text(std::chrono::seconds(s));
    if (s == 0) {
      CHECK(text == "0s");
      continue;
    }
    auto back = parse_duration(text);
    REQUIRE(back);
    CHECK(back->count() == s);
  }
}

TEST_CASE("effective: the example configuration loads as it is") {
  auto c = parse_config(example_yaml(), "/etc/cairn/cairn.yaml");
  REQUIRE_MESSAGE(c, (c ? "" : c.error().message()));
  CHECK(c->plans.size() == 1);
  CHECK(c->keyring.keyfile == "/etc/cairn/cairn.key");
  CHECK(c->plans[0].sources[0].exclude_caches);
}
