#include <doctest/doctest.h>

#include <fstream>

#include "config/suite_config.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::config;

namespace {

std::string yaml_with(const std::string& source_keys) {
  return "targets:\n"
         "  usb: {type: local, path: /mnt/usb}\n"
         "plans:\n"
         "  home:\n"
         "    sources:\n"
         "      - type: dir\n"
         "        path: /home/alice\n" +
         source_keys + "    targets: [usb]\n";
}

}  // namespace

TEST_CASE("config: exclude_caches and exclude_if_present on dir sources") {
  auto c = parse_config(yaml_with("        exclude_caches: true\n"
                                  "        exclude_if_present: [.nobackup, .cairn-skip]\n"),
                        "/etc/cairn/cairn.yaml");
  REQUIRE(c);
  const auto& s = c->plans[0].sources[0];
  CHECK(s.exclude_caches);
  CHECK(s.exclude_if_present == std::vector<std::string>{".nobackup", ".cairn-skip"});

  auto d = parse_config(yaml_with(""), "/etc/cairn/cairn.yaml");
  REQUIRE(d);
  CHECK_FALSE(d->plans[0].sources[0].exclude_caches);
  CHECK(d->plans[0].sources[0].exclude_if_present.empty());
}

TEST_CASE("config: bad exclude keys are named with their place") {
  struct row {
    std::string keys;
    std::string error;
  };
  const row rows[] = {
    {"        exclude_caches: maybe\n", "cairn.yaml:8:25: exclude_caches must be true or false"},
    {"        exclude_if_present: .nobackup\n", "cairn.yaml:8:29: exclude_if_present must be a list"},
    {"        exclude_if_present: [a/b]\n", "cairn.yaml:8:29: exclude_if_present entries are file names"},
    {"        exclude_if_present: [..]\n", "cairn.yaml:8:29: exclude_if_present entries are file names"},
  };
  for (const auto& r : rows) {
    CAPTURE(r.keys);
    auto c = parse_config(yaml_with(r.keys), "/etc/cairn/cairn.yaml");
    REQUIRE_FALSE(c);
    CHECK(c.error().code() == errc::invalid_input);
    CHECK(c.error().message().find(r.error) != std::string::npos);
  }
}

TEST_CASE("config: exclude_from reads patterns relative to the YAML's folder") {
  cairn::testing::temp_dir dir;
  {
    std::ofstream out(dir / "excludes.txt");
    out << "# build products\n"
           "*.o\n"
           "\n"
           "   \n"
           "  **/node_modules  \n"
           "  # an indented comment\n"
           "/home/alice/tmp/\r\n";
  }
  auto c = parse_config(yaml_with("        exclude: [\"*.tmp\"]\n"
                                  "        exclude_from: excludes.txt\n"),
                        dir / "cairn.yaml");
  REQUIRE(c);
  const auto& s = c->plans[0].sources[0];
  CHECK(s.exclude_from == dir / "excludes.txt");
  CHECK(s.exclude == std::vector<std::string>{"*.tmp", "*.o", "**/node_modules", "/home/alice/tmp/"});
}

// An unreadable exclude_from fails only a backup of its source (which would
// read too much without it), not every command that loads the YAML.
TEST_CASE("config: an unreadable exclude_from is kept as the source's error, named with its place") {
  cairn::testing::temp_dir dir;
  auto c = parse_config(yaml_with("        exclude_from: .\n"), dir / "cairn.yaml");
  REQUIRE(c);
  const auto& s = c->plans[0].sources[0];
  CHECK(s.exclude_from_error.find("cairn.yaml:8:23: cannot read exclude_from ") != std::string::npos);
  CHECK(s.exclude_from_error.find("it is a directory") != std::string::npos);
  auto missing = parse_config(yaml_with("        exclude_from: missing.txt\n"), "/etc/cairn/cairn.yaml");
  REQUIRE(missing);
  CHECK(missing->plans[0].sources[0].exclude_from_error ==
        "/etc/cairn/cairn.yaml:8:23: cannot read exclude_from /etc/cairn/missing.txt: no such file");
}

TEST_CASE("config: sqlite sources refuse the dir-only exclude keys") {
  auto c = parse_config("targets:\n  usb: {type: local, path: /mnt/usb}\nplans:\n  p:\n    sources:\n"
                        "      - {type: sqlite, path: /a.db, exclude_caches: true}\n    targets: [usb]\n",
                        "/etc/cairn/cairn.yaml");
  REQUIRE_FALSE(c);
  CHECK(c.error().message().find("unknown key \"exclude_caches\" in sqlite source") != std::string::npos);
}
