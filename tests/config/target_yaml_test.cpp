#include <doctest/doctest.h>

#include "config/target_yaml.hpp"

using namespace cairn;
using namespace cairn::config;

namespace {

// The target written into a whole configuration, loaded back.
target_config round_trip(const target_config& t) {
  auto text = "targets:\n  back:\n    " + target_yaml(t) + "\n";
  CAPTURE(text);
  auto c = parse_config(text, "/tmp/rebuilt.yaml");
  REQUIRE(c);
  REQUIRE(c->targets.size() == 1);
  return c->targets.front();
}

}  // namespace

TEST_CASE("target_yaml: local, sftp and s3 targets read back the same") {
  target_config local;
  local.type = target_type::local;
  local.path = "/mnt/usb/cairn";
  CHECK(target_yaml(local) == "type: local\n    path: \"/mnt/usb/cairn\"");
  CHECK(round_trip(local).path == "/mnt/usb/cairn");

  target_config sftp;
  sftp.type = target_type::sftp;
  sftp.host = "nas.lan";
  sftp.user = "backup";
  sftp.path = "/srv/cairn";
  sftp.identity = "/root/.ssh/id_ed25519";
  auto s = round_trip(sftp);
  CHECK(s.type == target_type::sftp);
  CHECK(s.host == "nas.lan");
  CHECK(s.port == 22);
  CHECK(s.user == "backup");
  CHECK(s.path == "/srv/cairn");
  CHECK(s.identity == "/root/.ssh/id_ed25519");
  CHECK(s.known_hosts.empty());

  target_config s3;
  s3.type = target_type::s3;
  s3.endpoint = "http://127.0.0.1:9000";
  s3.bucket = "b";
  s3.prefix = "host/one";
  auto b = round_trip(s3);
  CHECK(b.type == target_type::s3);
  CHECK(b.endpoint == "http://127.0.0.1:9000");
  CHECK(b.bucket == "b");
  CHECK(b.prefix == "host/one");

  target_config ssh;
  ssh.type = target_type::ssh;
  ssh.host = "nas.lan";
  ssh.path = "/srv/cairn";
  ssh.ssh_command = "ssh -F /etc/cairn/ssh_config";
  auto h = round_trip(ssh);
  CHECK(h.type == target_type::ssh);
  CHECK(h.host == "nas.lan");
  CHECK(h.port == 0);
  CHECK(h.user.empty());
  CHECK(h.identity.empty());
  CHECK(h.path == "/srv/cairn");
  CHECK(h.ssh_command == ssh.ssh_command);
}

TEST_CASE("target_yaml: values with YAML syntax in them stay values") {
  target_config t;
  t.type = target_type::local;
  t.path = "/mnt/a: b\n    type: s3\n#x \"q\" 'q' é";
  CHECK(round_trip(t).path == t.path);
  CHECK(round_trip(t).type == target_type::local);
  target_config sftp;
  sftp.type = target_type::sftp;
  sftp.host = "h";
  sftp.user = "u\"ser";
  sftp.path = "/x";
  sftp.identity = "/k: v";
  sftp.known_hosts = "/kh\n";
  sftp.port = 2222;
  auto r = round_trip(sftp);
  CHECK(r.user == sftp.user);
  CHECK(r.identity == sftp.identity);
  CHECK(r.known_hosts == sftp.known_hosts);
  CHECK(r.port == 2222);
}
