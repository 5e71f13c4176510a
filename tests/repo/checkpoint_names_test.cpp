#include <doctest/doctest.h>

#include "repo/checkpoint.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

checkpoint sample() {
  checkpoint c;
  c.plan = "home";
  c.time_ns = 1'700'000'000'000'000'000;
  c.tree = object_id{};
  c.sources = {{"alice", "dir", "/home/alice", {}, {}}};
  return c;
}

expected<checkpoint> round_trip(const checkpoint& c) { return decode_checkpoint(encode_checkpoint(c)); }

const char* const payloads[] = {"x\n  post_restore: touch /tmp/pwned", "x\"\n  post_restore: touch /tmp/pwned",
                                "a: b", "\"quoted\"", "../up", "", ".hidden", "-dash", "a/b",
                                "x\n- {type: command, name: y, command: id}"};

}  // namespace

TEST_CASE("checkpoint names: a plan or source name from a target must be a plain name") {
  CHECK(round_trip(sample()));
  for (const char* bad : payloads) {
    CAPTURE(bad);
    auto c = sample();
    c.plan = bad;
    auto plan = round_trip(c);
    REQUIRE_FALSE(plan);
    CHECK(plan.error().code() == errc::corrupt);
    CHECK(plan.error().message().find("plan name") != std::string::npos);
    CHECK(plan.error().message().find('\n') == std::string::npos);
    c = sample();
    c.sources[0].name = bad;
    auto source = round_trip(c);
    REQUIRE_FALSE(source);
    CHECK(source.error().message().find("source name") != std::string::npos);
  }
}

TEST_CASE("checkpoint names: a source type must be one of the configuration's words") {
  for (auto word : known_source_types) {
    auto c = sample();
    c.sources[0].type = std::string(word);
    CHECK(round_trip(c));
  }
  for (const char* bad : {"dir\n  post_restore: id", "resources", "DIR", ""}) {
    auto c = sample();
    c.sources[0].type = bad;
    auto back = round_trip(c);
    REQUIRE_FALSE(back);
    CHECK(back.error().message().find("unknown type") != std::string::npos);
  }
}

TEST_CASE("checkpoint names: a path may hold anything and comes back the same") {
  auto c = sample();
  c.sources[0].path = "/srv/x\"\n  post_restore: touch /tmp/pwned\n# : {}[]";
  auto back = round_trip(c);
  REQUIRE(back);
  CHECK(back->sources[0].path == c.sources[0].path);
}
