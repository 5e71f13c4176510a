#include <doctest/doctest.h>

#include "repo/checkpoint.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

checkpoint sample() {
  checkpoint c;
  c.plan = "apps";
  c.time_ns = 1'700'000'000'000'000'000;
  c.tree = object_id{};
  c.sources.push_back({"notes", source_type::resource, "/etc/cairn/resources.d/notes.yaml", "", ""});
  c.resources.push_back({"notes", "2.1", R"({"notes":3})", 2, 8210, {"keys"}, "sensitive: this target does not encrypt", ""});
  return c;
}

expected<checkpoint> with_resources(const std::string& resources) {
  auto bytes = encode_checkpoint(sample());
  std::string text(bytes.begin(), bytes.end());
  auto at = text.find("\"resources\":");
  REQUIRE(at != std::string::npos);
  auto end = text.find("]", text.find("\"left_out\"")) ;
  end = text.find("}]", end) + 2;
  text = text.substr(0, at) + "\"resources\":" + resources + text.substr(end);
  return decode_checkpoint(byte_view(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace

TEST_CASE("manifest: a checkpoint's resources round-trip, alone and inside the checkpoint") {
  auto c = sample();
  auto back = decode_checkpoint(encode_checkpoint(c));
  REQUIRE(back);
  REQUIRE(back->resources.size() == 1);
  CHECK(back->resources[0] == c.resources[0]);
  auto alone = decode_manifest(encode_manifest(c.resources));
  REQUIRE(alone);
  CHECK(*alone == c.resources);
  c.resources.clear();
  auto none = encode_checkpoint(c);
  CHECK(std::string(none.begin(), none.end()).find("\"resources\":") == std::string::npos);
}

TEST_CASE("manifest: bytes from a target are bounded and strictly typed") {
  CHECK(with_resources(R"([{"name":"notes","version":"2.1","files":2,"bytes":1}])"));
  CHECK_FALSE(with_resources(R"({"name":"notes"})"));                         // not a list
  CHECK_FALSE(with_resources(R"([{"version":"1"}])"));                        // no name
  CHECK_FALSE(with_resources(R"([{"name":"n","metadata":[1,2]}])"));          // metadata not an object
  CHECK_FALSE(with_resources(R"([{"name":"n","version":"a\u001b[2Jb"}])"));   // a terminal escape
  CHECK_FALSE(with_resources(R"([{"name":")" + std::string(65, 'x') + R"("}])"));
  CHECK_FALSE(with_resources(R"([{"name":"n","metadata":{"a":")" + std::string(70000, 'x') + R"("}}])"));
  CHECK_FALSE(with_resources(R"([{"name":"n","left_out":{"paths":"keys"}}])"));
  CHECK_FALSE(with_resources(R"([{"name":"n","left_out":{"paths":[7]}}])"));
  std::string many = "[";
  for (int i = 0; i < 257; ++i) many += std::string(i ? "," : "") + R"({"name":"n"})";
  CHECK_FALSE(with_resources(many + "]"));
  // A float where a size belongs is read as 0, never converted out of range.
  auto f = with_resources(R"([{"name":"n","files":1e300}])");
  REQUIRE(f);
  CHECK(f->resources[0].files == 0);
  CHECK_FALSE(decode_manifest("[{\"name\":\"n\"}"));
  CHECK_FALSE(decode_manifest(std::string(20u << 20, ' ')));
}

TEST_CASE("manifest: a failed resource and a failed source keep their reason, bounded and printable") {
  auto c = sample();
  c.sources[0].error = "notes.yaml: resource notes: the backup command exited with 4: disk on fire";
  c.resources[0] = {"notes", "2.1", "", 0, 0, {}, "", c.sources[0].error};
  auto back = decode_checkpoint(encode_checkpoint(c));
  REQUIRE(back);
  CHECK(back->sources[0].error == c.sources[0].error);
  CHECK(back->resources[0].error == c.sources[0].error);
  auto escaped = with_resources(R"([{"name":"n","error":"a\u001b[2Jb"}])");
  REQUIRE(escaped);
  CHECK(escaped->resources[0].error == "a?[2Jb");
  CHECK_FALSE(with_resources(R"([{"name":"n","error":")" + std::string(max_source_error + 1, 'x') + R"("}])"));
  CHECK_FALSE(with_resources(R"([{"name":"n","error":7}])"));
}
