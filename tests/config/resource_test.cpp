#include <doctest/doctest.h>

#include "support/temp_dir.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "config/resource.hpp"
#include "config/suite_config.hpp"

using namespace cairn;
using namespace cairn::config;
namespace fs = std::filesystem;

namespace {

const char* firefox = R"(name: firefox
version: "128.0"
backup: /usr/lib/firefox/cairn-backup
recover: /usr/lib/firefox/cairn-recover
post_recovery: /usr/lib/firefox/cairn-post
sensitive: [logins.json, ./keys/, profile/key4.db]
)";

std::string error_of(const std::string& text) {
  auto r = parse_resource(text, "/etc/cairn/resources.d/firefox.yaml");
  return r ? "" : r.error().message();
}

// The project's temporary directory, with a way to write files into it.
struct temp_dir {
  cairn::testing::temp_dir dir;
  const fs::path& path = dir.path();
  void write(const fs::path& rel, const std::string& text, mode_t mode = 0644) const {
    fs::create_directories((path / rel).parent_path());
    std::ofstream(path / rel) << text;
    ::chmod((path / rel).c_str(), mode);
  }
};

const char* suite = R"(state_dir: ./state
targets:
  usb: {type: local, path: ./usb}
plans:
  apps:
    sources:
      - {type: resource, name: firefox}
      - {type: dir, path: /srv}
    targets: [usb]
  all:
    sources: [{type: resources}]
    targets: [usb]
)";

}  // namespace

TEST_CASE("a resource descriptor is read into its fields, sensitive paths normalized") {
  auto r = parse_resource(firefox, "/etc/cairn/resources.d/firefox.yaml");
  REQUIRE(r);
  CHECK(r->name == "firefox");
  CHECK(r->version == "128.0");
  CHECK(r->backup == "/usr/lib/firefox/cairn-backup");
  CHECK(r->post_recovery == "/usr/lib/firefox/cairn-post");
  CHECK(r->sensitive == std::vector<std::string>{"logins.json", "keys", "profile/key4.db"});
  CHECK(r->is_sensitive("logins.json"));
  CHECK(r->is_sensitive("keys/a/b"));
  CHECK(r->is_sensitive("keys"));
  CHECK_FALSE(r->is_sensitive("keys2"));
  CHECK_FALSE(r->is_sensitive("profile"));
  CHECK_FALSE(r->is_sensitive("logins.json.bak"));
}

TEST_CASE("bad descriptors get one error naming file, line and column") {
  CHECK(error_of("name: x\nversion: 1\nbackup: b\nrecover: r\ncolour: red\n") ==
        "/etc/cairn/resources.d/firefox.yaml:5:1: unknown key \"colour\" in a resource descriptor (expected one "
        "of: backup, name, post_recovery, recover, registered_by, sensitive, timeout, user, version)");
  CHECK(error_of("name: x\nversion: 1\nrecover: r\n") ==
        "/etc/cairn/resources.d/firefox.yaml:1:1: a resource descriptor needs backup:");
  CHECK(error_of("name: ../x\nversion: 1\nbackup: b\nrecover: r\n").find(":1:7: resource name \"../x\" must be") !=
        std::string::npos);
  CHECK(error_of("name: x\nversion: 1\nbackup: b\nrecover: r\nsensitive: [../etc/shadow]\n")
          .find(":5:13: sensitive entry \"../etc/shadow\" must be a path inside the staging folder") != std::string::npos);
  CHECK(error_of("name: x\nversion: 1\nbackup: b\nrecover: r\nsensitive: [/etc/shadow]\n").find("must be a path inside") !=
        std::string::npos);
  CHECK(error_of("name: x\nversion: 1\nbackup: b\nrecover: r\nsensitive: secret\n").find(":5:12: sensitive must be a list") !=
        std::string::npos);
  CHECK(error_of("name: x\nversion: 1\nbackup: b\nbackup: c\nrecover: r\n").find(":4:1: duplicate key \"backup\"") !=
        std::string::npos);
  CHECK(error_of("name: x\nversion: 1\nbackup: [a]\nrecover: r\n").find(":3:9: backup must be a single value") !=
        std::string::npos);
  CHECK(error_of("").find("the descriptor is empty") != std::string::npos);
  CHECK(error_of("- a\n- b\n").find("must be a mapping") != std::string::npos);
  CHECK(error_of(std::string(70000, '#')).find("at most 64 KiB") != std::string::npos);
  // The YAML screen applies: an alias bomb is refused before yaml-cpp expands it.
  CHECK_FALSE(error_of("a: &a [x]\nb: [*a, *a]\nname: x\n").empty());
}

TEST_CASE("a descriptor writable by others, or running as root without being root's, is refused") {
  auto r = parse_resource(firefox, "/etc/cairn/resources.d/firefox.yaml");
  REQUIRE(r);
  auto w = resource_user(*r, geteuid(), 0664);
  REQUIRE_FALSE(w);
  CHECK(w.error().message() == "/etc/cairn/resources.d/firefox.yaml: resource firefox runs commands, and the file can "
                               "be changed by other users: chmod go-w /etc/cairn/resources.d/firefox.yaml");
  r->user = "root";
  auto root = resource_user(*r, 1000, 0644);
  REQUIRE_FALSE(root);
  CHECK(root.error().message().find("would run its commands as root, but the file is not owned by root") !=
        std::string::npos);
  CHECK(resource_user(*r, 0, 0644));
  r->user = "no-such-user-cairn";
  CHECK(resource_user(*r, 0, 0644).error().message().find("no user \"no-such-user-cairn\"") != std::string::npos);
  CHECK(resource_user(*r, 0, 0644).error().code() == errc::not_found);
  r->user.clear();
  auto me = resource_user(*r, geteuid(), 0600);
  if (geteuid() != 0) {
    REQUIRE(me);
    CHECK(me->uid == geteuid());
  }
}

TEST_CASE("plans include resources by name or all of them: unknown names are errors") {
  temp_dir d;
  d.write("resources.d/firefox.yaml", firefox, 0644);
  d.write("resources.d/notes.yaml", "name: notes\nversion: '2'\nbackup: b\nrecover: r\n", 0644);
  d.write("cairn.yaml", suite);
  if (geteuid() == 0) {  // the descriptors are root's: fine for root
  }
  auto c = load_config(d.path / "cairn.yaml");
  REQUIRE_MESSAGE(c, c.error().message());
  CHECK(c->resources.size() == 2);
  REQUIRE(c->find_plan("apps"));
  auto& apps = c->find_plan("apps")->sources;
  REQUIRE(apps.size() == 2);
  CHECK(apps[0].type == config::source_type::resource);
  CHECK(apps[0].name == "firefox");
  REQUIRE(apps[0].resource);
  CHECK(apps[0].resource->sensitive.size() == 3);
  auto& all = c->find_plan("all")->sources;
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "firefox");
  CHECK(all[1].name == "notes");

  d.write("cairn.yaml", std::string(suite).replace(std::string(suite).find("name: firefox"), 13, "name: chrome"));
  auto bad = load_config(d.path / "cairn.yaml");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message().find("cairn.yaml:7:32: no resource \"chrome\" is registered") != std::string::npos);

  d.write("resources.d/notes.yaml", "name: other\nversion: '2'\nbackup: b\nrecover: r\n", 0644);
  auto misnamed = load_config(d.path / "cairn.yaml");
  REQUIRE_FALSE(misnamed);
  CHECK(misnamed.error().message().find("notes.yaml: declares resource \"other\"; the file must be other.yaml") !=
        std::string::npos);

  d.write("resources.d/notes.yaml", "name: notes\nversion: '2'\nbackup: b\nrecover: r\n", 0666);
  auto writable = load_config(d.path / "cairn.yaml");
  REQUIRE_FALSE(writable);
  CHECK(writable.error().message().find("notes.yaml: resource notes runs commands, and the file can be changed by other users") !=
        std::string::npos);
}

TEST_CASE("resource: timeout is seconds per command, with defaults for each command") {
  auto r = parse_resource(std::string(firefox) + "timeout: 90\n", "/etc/cairn/resources.d/firefox.yaml");
  REQUIRE(r);
  CHECK(r->command_timeout() == 90);
  CHECK(r->post_recovery_timeout() == 90);
  auto d = parse_resource(firefox, "/etc/cairn/resources.d/firefox.yaml");
  REQUIRE(d);
  CHECK(d->command_timeout() == 3600);
  CHECK(d->post_recovery_timeout() == 300);
  for (const char* bad : {"timeout: 0\n", "timeout: -5\n", "timeout: 604801\n", "timeout: soon\n", "timeout: [1]\n"})
    CHECK(error_of(std::string(firefox) + bad) ==
          "/etc/cairn/resources.d/firefox.yaml:7:10: timeout must be a whole number of seconds from 1 to 604800");
}

TEST_CASE("resource: emit_resource gives text the parser reads back as the same descriptor") {
  resource_config r;
  r.name = "notes";
  r.version = "2.1: \"quoted\"";
  r.backup = "printf 'a\\nb' > \"$CAIRN_STAGING_DIR/x\" # not a comment";
  r.recover = "true";
  r.post_recovery = "yes";
  r.sensitive = {"keys", "a b/c"};
  r.user = "alice";
  r.timeout = 90;
  r.registered_by = 1000;
  auto back = parse_resource(emit_resource(r), "/etc/cairn/resources.d/notes.yaml");
  REQUIRE(back);
  CHECK(back->name == r.name);
  CHECK(back->version == r.version);
  CHECK(back->backup == r.backup);
  CHECK(back->recover == r.recover);
  CHECK(back->post_recovery == r.post_recovery);
  CHECK(back->sensitive == r.sensitive);
  CHECK(back->user == r.user);
  CHECK(back->timeout == 90);
  CHECK(back->registered_by == std::optional<uint32_t>(1000));
  resource_config bare;
  bare.name = "x";
  bare.version = "1";
  bare.backup = "b";
  bare.recover = "r";
  auto b = parse_resource(emit_resource(bare), "/etc/cairn/resources.d/x.yaml");
  REQUIRE(b);
  CHECK_FALSE(b->registered_by);
  CHECK(b->user.empty());
  CHECK(error_of("name: x\nversion: 1\nbackup: b\nrecover: r\nregistered_by: alice\n") ==
        "/etc/cairn/resources.d/firefox.yaml:5:16: registered_by must be the uid that registered the resource");
}
