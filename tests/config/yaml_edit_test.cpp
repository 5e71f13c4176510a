#include <doctest/doctest.h>

#include "config/yaml_edit.hpp"

using namespace cairn;
using namespace cairn::config;

TEST_CASE("yaml_edit: a key is replaced or added, everything else is kept") {
  std::string yaml =
    "# my suite\n"
    "targets:\n"
    "  cloud:\n"
    "    type: s3   # the bucket\n"
    "    bucket: b\n"
    "    access_key_file: /old/keys\n"
    "  nas:\n"
    "    type: sftp\n"
    "    host: nas\n"
    "plans: {}\n";
  auto a = set_target_key(yaml, "cloud", "access_key_file", "/state/credentials/cloud");
  REQUIRE(a);
  CHECK(*a == "# my suite\ntargets:\n  cloud:\n    type: s3   # the bucket\n    bucket: b\n"
              "    access_key_file: \"/state/credentials/cloud\"\n  nas:\n    type: sftp\n    host: nas\nplans: {}\n");
  auto b = set_target_key(*a, "nas", "identity", "/state/credentials/a \"b\"");
  REQUIRE(b);
  CHECK(b->find("  nas:\n    identity: \"/state/credentials/a \\\"b\\\"\"\n    type: sftp\n") != std::string::npos);
}

TEST_CASE("yaml_edit: what it cannot edit is refused") {
  CHECK_FALSE(set_target_key("targets: {x: {type: s3}}\n", "x", "identity", "/k"));
  CHECK_FALSE(set_target_key("targets:\n  x:\n    type: s3\n", "y", "identity", "/k"));
  CHECK_FALSE(set_target_key("targets: [\n", "y", "identity", "/k"));
}
