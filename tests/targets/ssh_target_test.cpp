// The ssh target's client against the real serve loop in a process of its
// own (serve_for_tests), started directly instead of through ssh; the e2e
// test remote_serve_test.sh goes through OpenSSH and `cairn serve`.
#include <doctest/doctest.h>

#include <signal.h>

#include <fstream>

#include "support/temp_dir.hpp"
#include "targets/retrying_target.hpp"
#include "targets/ssh_target.hpp"
#include "targets/target_conformance.hpp"

using namespace cairn;
using namespace cairn::targets;
using testing::pattern;

namespace {

ssh_options served(const std::filesystem::path& dir, bool append_only = false) {
  ssh_options o;
  o.command = {CAIRN_TEST_SERVE, dir.string()};
  if (append_only) o.command.push_back("--append-only");
  o.description = "ssh:test" + dir.string();
  o.timeout = std::chrono::seconds(10);
  return o;
}

ssh_options shell(const std::string& script) {
  ssh_options o;
  o.command = {"/bin/sh", "-c", script};
  o.description = "ssh:test";
  o.timeout = std::chrono::seconds(5);
  return o;
}

}  // namespace

TEST_CASE("ssh_target: conformance through the serve protocol") {
  testing::temp_dir dir;
  std::atomic<int> n{0};
  testing::run_target_conformance([&] {
    auto repo = dir / ("repo" + std::to_string(n++));
    std::filesystem::create_directories(repo);
    return std::make_shared<ssh_target>(served(repo));
  });
}

TEST_CASE("ssh_target: an append-only server refuses replacing and removing, and takes a retried upload") {
  testing::temp_dir dir;
  ssh_target t(served(dir.path(), true));
  REQUIRE_OK(t.put("checkpoints/aa", pattern(100, 1)));
  REQUIRE_OK(t.put("checkpoints/aa", pattern(100, 1)));
  auto replaced = t.put("checkpoints/aa", pattern(100, 2));
  REQUIRE_FALSE(replaced);
  CHECK(replaced.error().code() == errc::exists);
  CHECK(replaced.error().message().find("checkpoints/aa") != std::string::npos);
  CHECK(replaced.error().message().find("append-only") != std::string::npos);
  auto removed = t.remove("checkpoints/aa");
  REQUIRE_FALSE(removed);
  CHECK(removed.error().code() == errc::exists);
  CHECK(testing::bytes_of(t.get("checkpoints/aa")) == pattern(100, 1));
  REQUIRE_OK(t.put("locks/l", pattern(5, 1)));
  REQUIRE_OK(t.put("locks/l", pattern(6, 2)));
  REQUIRE_OK(t.remove("locks/l"));
  // The refusals did not break the connection: the next request is served.
  CHECK(t.stat("checkpoints/aa")->size == 100);
}

TEST_CASE("ssh_target: a dropped connection is transient, and the retrying wrapper reconnects") {
  testing::temp_dir dir;
  auto pid_file = dir / "server.pid";
  std::filesystem::create_directories(dir / "repo");
  auto o = shell("echo $$ > '" + pid_file.string() + "'; exec " + std::string(CAIRN_TEST_SERVE) + " '" +
                 (dir / "repo").string() + "'");
  o.connections = 1;
  auto inner = std::make_shared<ssh_target>(o);
  REQUIRE_OK(inner->put("data/a", pattern(10, 1)));
  pid_t pid = 0;
  std::ifstream(pid_file) >> pid;
  REQUIRE(pid > 0);
  ::kill(pid, SIGKILL);
  auto lost = inner->get("data/a");
  REQUIRE_FALSE(lost);
  CHECK(lost.error().code() == errc::transient);
  ::kill(pid, SIGKILL);
  retry_options r;
  r.initial_backoff = std::chrono::milliseconds(1);
  retrying_target t(inner, r);
  REQUIRE_OK(t.put("data/b", pattern(10, 2)));
  std::ifstream(pid_file) >> pid;
  ::kill(pid, SIGKILL);
  CHECK(testing::bytes_of(t.get("data/a")) == pattern(10, 1));
}

TEST_CASE("ssh_target: a server that is not cairn serve is a clear error, never a crash") {
  struct row {
    const char* what;
    std::string script;
    errc code;
    const char* says;
  };
  std::vector<row> rows{
    {"no cairn on the server", "echo 'sh: 1: cairn: not found' >&2; exit 127", errc::unsupported, "cannot run cairn serve"},
    {"a refused login", "echo 'user@host: Permission denied (publickey).' >&2; exit 255", errc::auth, "Permission denied"},
    {"an unreachable host", "echo 'ssh: connect to host nas port 22: Connection refused' >&2; exit 255",
     errc::transient, "Connection refused"},
    {"a frame of 4 GiB", "cat > /dev/null & printf '\\377\\377\\377\\377'; sleep 5", errc::corrupt, "bytes"},
    {"a hello answered with garbage", "cat > /dev/null & printf '\\003\\000\\000\\000abc'; sleep 5", errc::corrupt,
     "unexpected reply"},
    {"silence", "sleep 30", errc::transient, "no answer"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto o = shell(r.script);
    o.timeout = std::chrono::seconds(1);
    ssh_target t(o);
    auto got = t.stat("config");
    REQUIRE_FALSE(got);
    CHECK(got.error().code() == r.code);
    CHECK(got.error().message().find(r.says) != std::string::npos);
    CHECK(got.error().message().rfind("ssh:test: ", 0) == 0);
  }
}

TEST_CASE("ssh_target: the ssh command line keeps options out of the host and quotes the path") {
  ssh_login l;
  l.host = "nas";
  l.port = 2222;
  l.user = "backup";
  l.path = "/srv/it's";
  l.identity = "/etc/cairn/id";
  l.ssh_command = "ssh -F /dev/null";
  auto argv = ssh_command_line(l);
  REQUIRE(argv.size() > 6);
  CHECK(argv[0] == "ssh");
  CHECK(argv[1] == "-F");
  CHECK(std::find(argv.begin(), argv.end(), "BatchMode=yes") != argv.end());
  CHECK(argv[argv.size() - 3] == "--");
  CHECK(argv[argv.size() - 2] == "nas");
  CHECK(argv.back() == "cairn serve '/srv/it'\\''s'");
  CHECK(describe_login(l) == "ssh:backup@nas:2222/srv/it's");
}
