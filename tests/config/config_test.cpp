#include <doctest/doctest.h>

#include "config/suite_config.hpp"

using namespace cairn;
using namespace cairn::config;

namespace {

const char* good = R"(state_dir: ./state
keyring:
  mode: keyfile
  keyfile: ./cairn.key
targets:
  usb:
    type: local
    path: /mnt/usb/cairn
  nas:
    type: local
    path: relative/repo
plans:
  home:
    sources:
      - type: dir
        path: /home/alice
        exclude: ["**/.cache", "*.tmp"]
      - type: dir
        path: /srv/data
        name: data
    targets: [usb, nas]
)";

std::string error_of(const std::string& text) {
  auto c = parse_config(text, "/etc/cairn/cairn.yaml");
  if (c) return "";
  return c.error().message();
}

}  // namespace

TEST_CASE("config: the documented example parses with paths resolved") {
  auto c = parse_config(good, "/etc/cairn/cairn.yaml");
  REQUIRE(c);
  CHECK(c->state_dir == "/etc/cairn/state");
  CHECK(c->keyring.mode == config::keyring_mode::keyfile);
  CHECK(c->keyring.keyfile == "/etc/cairn/cairn.key");
  REQUIRE(c->targets.size() == 2);
  CHECK(c->targets[0].name == "usb");
  CHECK(c->targets[1].path == "/etc/cairn/relative/repo");
  REQUIRE(c->plans.size() == 1);
  const auto& p = c->plans[0];
  CHECK(p.name == "home");
  REQUIRE(p.sources.size() == 2);
  CHECK(p.sources[0].name == "alice");
  CHECK(p.sources[0].exclude == std::vector<std::string>{"**/.cache", "*.tmp"});
  CHECK(p.sources[0].where.str() == "/etc/cairn/cairn.yaml:16:15");
  CHECK(p.sources[1].name == "data");
  CHECK(p.targets == std::vector<std::string>{"usb", "nas"});
  CHECK(c->text == good);
}

TEST_CASE("config: bad input gets one line with file line and column") {
  struct row {
    std::string text;
    std::string expected;
  };
  std::string base = "targets:\n  usb:\n    type: local\n    path: /x\n";
  const row rows[] = {
    {"state_dir: [a\n", "/etc/cairn/cairn.yaml:2:1: end of sequence flow not found"},
    {base + "plans:\n  home:\n    sources:\n      - type: dir\n        path: /a\n    tagret: [usb]\n",
     "/etc/cairn/cairn.yaml:10:5: unknown key \"tagret\" in plan \"home\" (expected one of: after, before, keep, on_failure, readers, schedule, sources, targets)"},
    {base + "plans:\n  home:\n    sources:\n      - type: dir\n        path: /a\n    targets: [usb, tape]\n",
     "/etc/cairn/cairn.yaml:10:20: plan \"home\" names unknown target \"tape\""},
    {base + "plans:\n  home:\n    sources:\n      - type: dir\n        path: /a\n    targets: usb\n",
     "/etc/cairn/cairn.yaml:10:14: plan \"home\" needs a list of targets"},
    {base + "plans:\n  home:\n    sources:\n      - type: dir\n        path: [/a]\n    targets: [usb]\n",
     "/etc/cairn/cairn.yaml:9:15: source path must be a single value"},
    {base + "plans:\n  home:\n    sources:\n      - type: ftp\n        path: /a\n    targets: [usb]\n",
     "/etc/cairn/cairn.yaml:8:15: source type \"ftp\" is not supported (supported: dir, sqlite, command, resource, resources)"},
    {"keyring:\n  mode: magic\n" + base,
     "/etc/cairn/cairn.yaml:2:9: keyring mode \"magic\" is not one of: keyfile, none, password, tpm, write-only"},
    {"keyring:\n  mode: write-only\n" + base,
     "/etc/cairn/cairn.yaml:2:3: keyring mode write-only needs public_key: the key cairn key generate printed"},
    {"keyring:\n  mode: write-only\n  public_key: cairn-pk1-00\n" + base,
     "/etc/cairn/cairn.yaml:3:15: public_key must be cairn-pk1- and 72 lowercase hex digits, as cairn key generate printed it"},
    {"keyring:\n  mode: keyfile\n  tpm: true\n" + base,
     "/etc/cairn/cairn.yaml:3:8: tpm: is only used with keyring mode write-only (mode tpm seals the key of the other modes)"},
    {"keyring:\n  mode: keyfile\n  public_key: cairn-pk1-00\n" + base,
     "/etc/cairn/cairn.yaml:3:15: public_key is only used with keyring mode write-only"},
    {"keyring:\n  mode: tpm\n" + base,
     "/etc/cairn/cairn.yaml:2:3: keyring mode tpm needs recovery_keyfile: the key that opens the backups on other hardware"},
    {"targets:\n  usb:\n    type: local\n", "/etc/cairn/cairn.yaml:2:3: target \"usb\" of type local needs a path"},
    {"targets:\n  usb:\n    type: local\n    path: /a\n  usb:\n    type: local\n    path: /b\n",
     "/etc/cairn/cairn.yaml:5:3: duplicate key \"usb\""},
    {"targets:\n  \"bad name\":\n    type: local\n    path: /a\n",
     "/etc/cairn/cairn.yaml:2:3: target name \"bad name\" must be 1-64 letters, digits, '.', '_' or '-'"},
    {base + "plans:\n  home:\n    sources:\n      - {type: dir, path: /a/x}\n      - {type: dir, path: /b/x}\n    targets: [usb]\n",
     "/etc/cairn/cairn.yaml:9:9: two sources of plan \"home\" are named \"x\"; give one a different name:"},
    {"", "/etc/cairn/cairn.yaml: the file is empty"},
    {"- a\n- b\n", "/etc/cairn/cairn.yaml:1:1: the configuration must be a mapping (key: value)"},
    {"plans: {}\n", "/etc/cairn/cairn.yaml:1:1: the configuration needs a targets: section"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CHECK(error_of(r.text) == r.expected);
  }
}

// What yaml-cpp would build a graph from, or silently cut, is refused before
// YAML::Load: anchors and aliases (a self-reference crashed every command, an
// alias bomb took a minute of CPU), NUL and other control bytes, a second
// document, deep nesting and files over 1 MiB.
TEST_CASE("config: YAML that is dangerous or silently cut is refused with its place") {
  struct row {
    std::string text;
    std::string expected;
  };
  std::string base = "targets:\n  usb:\n    type: local\n    path: /x\n";
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'j'; ++c) {
    std::string prev(1, static_cast<char>(c - 1)), ref = "*" + prev;
    bomb += std::string(1, c) + ": &" + c + " [" + ref + ", " + ref + ", " + ref + ", " + ref + ", " +
            ref + ", " + ref + ", " + ref + ", " + ref + ", " + ref + "]\n";
  }
  std::string deep = "state_dir: " + std::string(65, '[') + std::string(65, ']') + "\n";
  std::string huge = base;
  while (huge.size() <= (1u << 20)) huge += "# " + std::string(98, 'x') + "\n";
  const row rows[] = {
    {"a: &a [*a]\n", "/etc/cairn/cairn.yaml:1:4: YAML anchors (&a) are not supported: write the value out"},
    {bomb, "/etc/cairn/cairn.yaml:1:4: YAML anchors (&a) are not supported: write the value out"},
    {base + "plans: &p {}\n", "/etc/cairn/cairn.yaml:5:8: YAML anchors (&p) are not supported: write the value out"},
    {base + "plans: *p\n", "/etc/cairn/cairn.yaml:5:8: the referenced anchor is not defined"},
    {"state_dir: \"/tmp/a\\0b\"\n" + base,
     "/etc/cairn/cairn.yaml:1:12: a value holds a NUL byte (\\0), which no path, name or command may hold"},
    {std::string("state_dir: /tmp/a\0b\n", 20) + base,
     "/etc/cairn/cairn.yaml:1:18: control character 0x00 in the file (a NUL byte, or not a text file?)"},
    {base + "\x04plans: {}\n",
     "/etc/cairn/cairn.yaml:5:1: control character 0x04 in the file (a NUL byte, or not a text file?)"},
    {base + "---\nplans: {}\n",
     "/etc/cairn/cairn.yaml:5:1: a second YAML document (after --- or ...): the configuration is one document"},
    {base + "...\nplans: {}\n",
     "/etc/cairn/cairn.yaml:6:1: a second YAML document (after --- or ...): the configuration is one document"},
    // The top-level mapping is the first level: the 64th '[' is the 65th.
    {deep, "/etc/cairn/cairn.yaml:1:75: nested deeper than 64 levels"},
    {huge, "/etc/cairn/cairn.yaml:10386:51: the file is larger than 1 MiB; a configuration is never that big"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text.substr(0, 200));
    CHECK(error_of(r.text) == r.expected);
  }
}

TEST_CASE("config: an explicit document start and end, and comments after it, are fine") {
  std::string base = "targets:\n  usb:\n    type: local\n    path: /x\n";
  CHECK(error_of("---\n" + base + "...\n# the end\n") == "");
  CHECK(error_of("state_dir: " + std::string(10, '[') + std::string(10, ']') + "\n" + base) ==
        "/etc/cairn/cairn.yaml:1:12: state_dir must be a single value");
}

TEST_CASE("config: an endless file is read no further than the 1 MiB limit") {
  auto c = load_config("/dev/zero");
  REQUIRE_FALSE(c);
  CHECK(c.error().message() ==
        "/dev/zero:1:1048577: the file is larger than 1 MiB; a configuration is never that big");
}

TEST_CASE("config: a missing file is a clear error") {
  auto c = load_config("/nonexistent/cairn.yaml");
  REQUIRE_FALSE(c);
  CHECK(c.error().message() == "cannot read configuration /nonexistent/cairn.yaml: no such file");
  CHECK(c.error().code() == errc::invalid_input);
}

TEST_CASE("config: sftp and s3 targets from keys and from URLs") {
  const char* text = R"(targets:
  nas:
    url: sftp://backup@nas.lan:2222/srv/cairn
    identity: keys/id_ed25519
    limits: {connections: 3, upload_kbps: 800, timeout_seconds: 30, retry_seconds: 600}
  cloud:
    type: s3
    endpoint: https://s3.eu-west-1.amazonaws.com
    bucket: my-backups
    prefix: laptop
    region: eu-west-1
    path_style: false
    object_lock_days: 30
    object_lock_mode: governance
  garage:
    url: s3+http://127.0.0.1:3900/bucket/some/prefix
    object_lock_days: 36500
plans:
  home: {sources: [{type: dir, path: /home}], targets: [nas, cloud, garage]}
)";
  auto c = parse_config(text, "/etc/cairn/cairn.yaml");
  REQUIRE(c);
  const auto& nas = c->targets[0];
  CHECK(nas.type == config::target_type::sftp);
  CHECK(nas.user == "backup");
  CHECK(nas.host == "nas.lan");
  CHECK(nas.port == 2222);
  CHECK(nas.path == "/srv/cairn");
  CHECK(nas.identity == "/etc/cairn/keys/id_ed25519");
  CHECK(nas.limits.connections == 3);
  CHECK(nas.limits.upload_kbps == 800);
  const auto& cloud = c->targets[1];
  CHECK(cloud.type == config::target_type::s3);
  CHECK(cloud.bucket == "my-backups");
  CHECK(cloud.region == "eu-west-1");
  CHECK_FALSE(cloud.path_style);
  CHECK(cloud.object_lock_days == 30);
  CHECK(cloud.lock_mode == config::object_lock_mode::governance);
  CHECK(nas.object_lock_days == 0);
  const auto& garage = c->targets[2];
  CHECK(garage.object_lock_days == 36500);
  CHECK(garage.lock_mode == config::object_lock_mode::compliance);
  CHECK(garage.endpoint == "http://127.0.0.1:3900");
  CHECK(garage.bucket == "bucket");
  CHECK(garage.prefix == "some/prefix");
  CHECK(garage.path_style);
}

TEST_CASE("config: ssh targets, by url or by keys: the identity is optional") {
  auto c = parse_config(R"(targets:
  nas:
    url: ssh://backup@nas.lan:2222/srv/cairn
    identity: /etc/cairn/id_ed25519
  home:
    type: ssh
    host: home.lan
    path: /srv/cairn
    ssh_command: ssh -F /etc/cairn/ssh_config
plans:
  p: {sources: [{type: dir, path: /home}], targets: [nas, home]}
)", "/etc/cairn/cairn.yaml");
  REQUIRE(c);
  const auto& nas = c->targets[0];
  CHECK(nas.type == config::target_type::ssh);
  CHECK(nas.user == "backup");
  CHECK(nas.host == "nas.lan");
  CHECK(nas.port == 2222);
  CHECK(nas.path == "/srv/cairn");
  const auto& home = c->targets[1];
  CHECK(home.type == config::target_type::ssh);
  CHECK(home.identity.empty());
  CHECK(home.ssh_command == "ssh -F /etc/cairn/ssh_config");
}

TEST_CASE("config: bad sftp and s3 targets are named with their place") {
  struct row {
    std::string text, expected;
  };
  const row rows[] = {
    {"targets:\n  nas:\n    url: sftp://nas.lan/srv\n",
     "/etc/cairn/cairn.yaml:2:3: target \"nas\" of type sftp needs an identity (a private key file)"},
    {"targets:\n  nas:\n    url: sftp://nas.lan:ssh/srv\n",
     "/etc/cairn/cairn.yaml:3:10: \"sftp://nas.lan:ssh/srv\": the port is not a number"},
    {"targets:\n  nas:\n    url: sftp://nas.lan:22x/srv\n",
     "/etc/cairn/cairn.yaml:3:10: \"sftp://nas.lan:22x/srv\": the port is not a number"},
    {"targets:\n  nas:\n    url: sftp://nas.lan:/srv\n",
     "/etc/cairn/cairn.yaml:3:10: \"sftp://nas.lan:/srv\": the port is not a number"},
    {"targets:\n  nas:\n    url: sftp://nas.lan:99999999999/srv\n",
     "/etc/cairn/cairn.yaml:3:10: \"sftp://nas.lan:99999999999/srv\": the port is not a number"},
    {"targets:\n  nas:\n    url: sftp://nas.lan:70000/srv\n",
     "/etc/cairn/cairn.yaml:3:10: \"sftp://nas.lan:70000/srv\": the port must be 1-65535"},
    {"targets:\n  c:\n    url: s3+http://host:0/b\n",
     "/etc/cairn/cairn.yaml:3:10: \"s3+http://host:0/b\": the port must be 1-65535"},
    {"targets:\n  c:\n    url: s3://host\n", "/etc/cairn/cairn.yaml:3:10: \"s3://host\" names no bucket"},
    {"targets:\n  c:\n    url: ftp://host/x\n",
     "/etc/cairn/cairn.yaml:3:10: unknown URL scheme \"ftp\" (use a path, file://, sftp://, ssh://, s3:// or s3+http://)"},
    {"targets:\n  c:\n    type: s3\n    bucket: b\n",
     "/etc/cairn/cairn.yaml:2:3: target \"c\" of type s3 needs an endpoint http(s)://host[:port]"},
    {"targets:\n  c:\n    url: s3://host/b\n    path_style: maybe\n",
     "/etc/cairn/cairn.yaml:4:17: path_style must be true or false"},
    {"targets:\n  c:\n    url: s3://host/My.Bucket\n    path_style: false\n",
     "/etc/cairn/cairn.yaml:4:17: bucket \"My.Bucket\" cannot be a host name (lowercase letters, digits and '-' only): use path_style: true"},
    {"targets:\n  c:\n    url: s3://host/b\n    object_lock_days: 0\n",
     "/etc/cairn/cairn.yaml:4:23: object_lock_days must be a whole number of days from 1 to 36500"},
    {"targets:\n  c:\n    url: s3://host/b\n    object_lock_days: 36501\n",
     "/etc/cairn/cairn.yaml:4:23: object_lock_days must be a whole number of days from 1 to 36500"},
    {"targets:\n  c:\n    url: s3://host/b\n    object_lock_days: -3\n",
     "/etc/cairn/cairn.yaml:4:23: object_lock_days must be a whole number of days from 1 to 36500"},
    {"targets:\n  c:\n    url: s3://host/b\n    object_lock_days: 7\n    object_lock_mode: legal\n",
     "/etc/cairn/cairn.yaml:5:23: object_lock_mode \"legal\" is not known (known: compliance, governance)"},
    {"targets:\n  c:\n    url: s3://host/b\n    object_lock_mode: governance\n",
     "/etc/cairn/cairn.yaml:4:23: object_lock_mode needs object_lock_days"},
    {"targets:\n  c:\n    type: local\n    path: /x\n    object_lock_days: 7\n",
     "/etc/cairn/cairn.yaml:5:23: object_lock_days is only for targets of type s3"},
    {"targets:\n  c:\n    type: ftp\n    path: /x\n",
     "/etc/cairn/cairn.yaml:3:11: target type \"ftp\" is not supported (supported: local, sftp, s3, ssh)"},
    {"targets:\n  c:\n    type: Local\n    path: /x\n",
     "/etc/cairn/cairn.yaml:3:11: target type \"Local\" is not supported (supported: local, sftp, s3, ssh)"},
    {"targets:\n  c:\n    url: s3://host/b\n    type: sftp\n", "/etc/cairn/cairn.yaml:4:11: type sftp contradicts the url"},
    {"targets:\n  c:\n    path: /x\n", "/etc/cairn/cairn.yaml:2:3: target \"c\" needs a type (local, sftp, s3, ssh) or a url"},
    {"targets:\n  c:\n    url: ssh://-oProxyCommand=x/srv\n",
     "/etc/cairn/cairn.yaml:3:10: \"ssh://-oProxyCommand=x/srv\": a host or user may not start with '-'"},
    {"targets:\n  c:\n    type: ssh\n    host: nas\n    path: srv\n",
     "/etc/cairn/cairn.yaml:5:11: target \"c\" of type ssh needs an absolute path on the server"},
    {"targets:\n  c:\n    url: sftp://nas/srv\n    identity: /k\n    ssh_command: ssh\n",
     "/etc/cairn/cairn.yaml:5:18: ssh_command is for targets of type ssh"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.text);
    CHECK(error_of(r.text) == r.expected);
  }
}

TEST_CASE("config: sqlite and command sources, and their mistakes") {
  std::string base = "targets:\n  usb: {type: local, path: /mnt/usb}\nplans:\n  home:\n    targets: [usb]\n    sources:\n";
  auto ok = parse_config(base + "      - {type: sqlite, path: /var/lib/app/app.db}\n"
                                "      - {type: command, name: pg, command: pg_dump shop, output: shop.sql,\n"
                                "         restore_command: psql shop, timeout: 60}\n"
                                "      - {type: command, name: ls, command: ls /}\n",
                         "/etc/cairn/cairn.yaml");
  REQUIRE_MESSAGE(ok, (ok ? "" : ok.error().message()));
  const auto& s = ok->plans[0].sources;
  CHECK(s[0].type == config::source_type::sqlite);
  CHECK(s[0].name == "app.db");
  CHECK(s[1].command == "pg_dump shop");
  CHECK(s[1].output == "shop.sql");
  CHECK(s[1].restore_command == "psql shop");
  CHECK(s[1].timeout == 60);
  CHECK(s[2].output == "ls.out");
  CHECK(s[2].restore_command.empty());
  struct bad {
    std::string text, expected;
  };
  for (const auto& b : std::vector<bad>{
         {"      - {type: command, command: ls}\n", "cairn.yaml:7:9: a command source needs a name"},
         {"      - {type: command, name: x}\n", "cairn.yaml:7:9: a command source needs a command"},
         {"      - {type: sqlite, name: x}\n", "cairn.yaml:7:9: a sqlite source needs a path"},
         {"      - {type: sqlite, path: /a.db, exclude: [x]}\n", "unknown key \"exclude\" in sqlite source"},
         {"      - {type: command, name: x, command: ls, output: ../etc/passwd}\n",
          "output \"../etc/passwd\" must be 1-64 letters"},
         {"      - {type: command, name: x, command: ls, restore_command: \"\"}\n",
          "cairn.yaml:7:64: the restore_command is empty (leave it out for none)"},
         {"      - {type: command, name: x, command: ls, restore_command: [a]}\n",
          "cairn.yaml:7:64: restore_command must be a single value"},
         {"      - {type: sqlite, path: /a.db, restore_command: cat}\n", "unknown key \"restore_command\" in sqlite source"},
       }) {
    auto r = parse_config(base + b.text, "/etc/cairn/cairn.yaml");
    CAPTURE(b.text);
    REQUIRE_FALSE(r);
    CHECK_MESSAGE(r.error().message().find(b.expected) != std::string::npos, r.error().message());
  }
}

TEST_CASE("config: target and source types are words parsed once, and printed back the same") {
  for (auto t : {target_type::local, target_type::sftp, target_type::s3, target_type::ssh}) {
    CAPTURE(to_string(t));
    CHECK(parse_target_type(to_string(t)) == t);
  }
  for (auto t : {source_type::dir, source_type::sqlite, source_type::command, source_type::resource}) {
    CAPTURE(to_string(t));
    CHECK(parse_source_type(to_string(t)) == t);
  }
  for (const char* word : {"", "ftp", "LOCAL", "s3 ", "file", "directory", "resources"}) {
    CAPTURE(word);
    CHECK(!parse_target_type(word));
    CHECK(!parse_source_type(word));
  }
}
