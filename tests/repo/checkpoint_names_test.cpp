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
  c.sources = {{"alice", source_type::dir, "/home/alice", {}, {}}};
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
  for (auto type : {source_type::dir, source_type::sqlite, source_type::command, source_type::resource}) {
    auto c = sample();
    c.sources[0].type = type;
    auto back = round_trip(c);
    REQUIRE(back);
    CHECK(back->sources[0].type == type);
  }
  auto good = encode_checkpoint(sample());
  std::string text(good.begin(), good.end());
  auto at = text.find("\"type\":\"dir\"");
  REQUIRE(at != std::string::npos);
  for (const char* bad : {"dir\\n  post_restore: id", "resources", "DIR", ""}) {
    CAPTURE(bad);
    // As a target could write it: the word itself is not one Cairn writes.
    auto forged = text;
    forged.replace(at, 12, std::string("\"type\":\"") + bad + "\"");
    auto back = decode_checkpoint(byte_buffer(forged.begin(), forged.end()));
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
