#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "support/server_env.hpp"
#include "support/temp_dir.hpp"
#include "targets/sftp_target.hpp"
#include "targets/target_conformance.hpp"

using namespace cairn;
using namespace cairn::targets;

namespace {

// A private SFTP server for this test: OpenSSH (tests/support/start-sshd) or,
// as a second implementation, rclone's (start-rclone-sftp; Go's pkg/sftp, which
// answers reads with at most 32 KiB and names paths relative to its root).
struct sshd {
  testing::temp_dir dir;
  std::map<std::string, std::string> env;
  bool ok = false;
  explicit sshd(const std::string& script = "start-sshd") {
    auto present = script == "start-sshd" ? "test -x /usr/sbin/sshd" : "command -v rclone > /dev/null";
    if (std::system(present) != 0) return;
    std::string cmd = std::string(CAIRN_TEST_SUPPORT_DIR) + "/" + script + " " + dir.path().string();
    ok = testing::run_for_env(cmd, env) && env.count("SSHD_PORT");
  }
  ~sshd() {
    if (ok) std::system(("kill " + env["SSHD_PID"] + " 2>/dev/null").c_str());
  }
  sftp_options options(const std::string& sub) {
    sftp_options o;
    o.host = "127.0.0.1";
    o.port = std::stoi(env["SSHD_PORT"]);
    o.user = env["SSHD_USER"];
    o.path = (env.count("SFTP_ROOT") ? std::string() : env["SSHD_ROOT"]) + "/" + sub;
    o.identity = env["SSHD_IDENTITY"];
    o.known_hosts = env["SSHD_KNOWN_HOSTS"];
    o.timeout = std::chrono::seconds(10);
    return o;
  }
};

}  // namespace

TEST_CASE("sftp_target: conformance against OpenSSH") {
  sshd server;
  if (!server.ok) {
    MESSAGE("no sshd: skipped");
    return;
  }
  int n = 0;
  testing::run_target_conformance(
    [&] { return std::make_shared<sftp_target>(server.options("repo" + std::to_string(n++))); });
}

TEST_CASE("sftp_target: conformance against rclone's SFTP server (32 KiB reads)") {
  sshd server("start-rclone-sftp");
  if (!server.ok) {
    MESSAGE("no rclone: skipped");
    return;
  }
  int n = 0;
  testing::run_target_conformance(
    [&] { return std::make_shared<sftp_target>(server.options("repo" + std::to_string(n++))); });
}

TEST_CASE("sftp_target: an object that ends before its size is corrupt and named") {
  // sysfs files say 4096 bytes and hold a few: the server's EOF comes early,
  // as for a file truncated while it is read.
  sshd server;
  if (!server.ok || std::system("test -r /sys/devices/system/cpu/online") != 0) return;
  auto o = server.options("");
  o.path = "/sys/devices/system/cpu";
  sftp_target t(o);
  REQUIRE(t.stat("online")->size == 4096);
  auto g = t.get("online");
  REQUIRE_FALSE(g);
  CHECK(g.error().code() == errc::corrupt);
  CHECK_MESSAGE(g.error().message().find("online ends at byte ") != std::string::npos, g.error().message());
  CHECK_MESSAGE(g.error().message().find(", not at 4096") != std::string::npos, g.error().message());
}

TEST_CASE("sftp_target: a read the server fails is a permanent error naming the object") {
  // rclone keeps the size it knew (its directory cache) when a file is cut
  // behind its back, and fails reads past the real end (SSH_FX_FAILURE,
  // "unexpected EOF"): nothing a retry could cure.
  sshd server("start-rclone-sftp");
  if (!server.ok) return;
  sftp_target t(server.options("r"));
  REQUIRE_OK(t.put("data/ab/pack", testing::pattern(200'000, 3)));
  REQUIRE(t.stat("data/ab/pack")->size == 200'000);
  std::filesystem::resize_file(server.env["SSHD_ROOT"] + "/r/data/ab/pack", 70'000);
  auto g = t.get("data/ab/pack");
  REQUIRE_FALSE(g);
  CHECK_FALSE(g.error().transient());
  CHECK_MESSAGE(g.error().message().find("read data/ab/pack") != std::string::npos, g.error().message());
  CHECK_MESSAGE(g.error().message().find("SFTP status 0") == std::string::npos, g.error().message());
}

TEST_CASE("sftp_target: replacing an object never leaves it missing") {
  sshd server;
  if (!server.ok) return;
  sftp_target t(server.options("r"));
  REQUIRE(t.put("config", testing::pattern(100, 1)));
  REQUIRE(t.put("config", testing::pattern(200, 2)));
  CHECK(*t.get("config") == testing::pattern(200, 2));
  // As if killed between moving the old one aside and renaming the new one in:
  std::string root = server.options("r").path;
  REQUIRE(std::rename((root + "/config").c_str(), (root + "/.replaced-config-0123").c_str()) == 0);
  CHECK(*t.get("config") == testing::pattern(200, 2));
  CHECK(t.stat("config")->size == 200);
  CHECK(testing::list_names(t, "").empty());  // hidden names are never listed
}

TEST_CASE("sftp_target: an unknown host key and a wrong identity are refused clearly") {
  sshd server;
  if (!server.ok) return;
  auto o = server.options("r");
  testing::temp_dir other;
  o.known_hosts = other / "known_hosts";
  { std::FILE* f = std::fopen(o.known_hosts.c_str(), "w"); std::fclose(f); }
  sftp_target unknown(o);
  auto r = unknown.put("x", testing::pattern(1, 1));
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::auth);
  CHECK(r.error().message().find("unknown host key SHA256:") != std::string::npos);

  auto o2 = server.options("r");
  std::system(("ssh-keygen -q -t ed25519 -N '' -f " + (other / "stranger").string()).c_str());
  o2.identity = other / "stranger";
  sftp_target stranger(o2);
  auto s = stranger.put("x", testing::pattern(1, 1));
  REQUIRE_FALSE(s);
  CHECK(s.error().code() == errc::auth);
  CHECK(s.error().message().find("refused the key") != std::string::npos);
}

TEST_CASE("sftp_target: no server is a transient error naming the target") {
  sftp_options o;
  o.host = "127.0.0.1";
  o.port = 1;
  o.path = "/tmp/x";
  o.timeout = std::chrono::seconds(2);
  sftp_target t(o);
  auto r = t.get("config");
  REQUIRE_FALSE(r);
  CHECK(r.error().transient());
  CHECK(r.error().message().find("sftp://127.0.0.1:1/tmp/x") != std::string::npos);
}
