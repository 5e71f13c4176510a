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
  CHECK(c->keyring.mode == "keyfile");
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
     "/etc/cairn/cairn.yaml:10:5: unknown key \"tagret\" in plan \"home\" (expected one of: sources, targets)"},
    {base + "plans:\n  home:\n    sources:\n      - type: dir\n        path: /a\n    targets: [usb, tape]\n",
     "/etc/cairn/cairn.yaml:10:20: plan \"home\" names unknown target \"tape\""},
    {base + "plans:\n  home:\n    sources:\n      - type: dir\n        path: /a\n    targets: usb\n",
     "/etc/cairn/cairn.yaml:10:14: plan \"home\" needs a list of targets"},
    {base + "plans:\n  home:\n    sources:\n      - type: dir\n        path: [/a]\n    targets: [usb]\n",
     "/etc/cairn/cairn.yaml:9:15: source path must be a single value"},
    {base + "plans:\n  home:\n    sources:\n      - type: ftp\n        path: /a\n    targets: [usb]\n",
     "/etc/cairn/cairn.yaml:8:15: source type \"ftp\" is not supported (supported: dir)"},
    {"keyring:\n  mode: magic\n" + base,
     "/etc/cairn/cairn.yaml:2:9: keyring mode \"magic\" is not one of: keyfile, none, password, tpm"},
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

TEST_CASE("config: a missing file is a clear error") {
  auto c = load_config("/nonexistent/cairn.yaml");
  REQUIRE_FALSE(c);
  CHECK(c.error().message() == "cannot read configuration /nonexistent/cairn.yaml: no such file");
  CHECK(c.error().code() == errc::invalid_input);
}
