#include <doctest/doctest.h>

#include "catalog/cache_seal.hpp"
#include "catalog/catalog.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::catalog;

namespace {

// A stand-in for actors/sealed_file_cache (the catalog links no crypto): the
// "seal" is a XOR with the target's first byte, enough to tell keys apart.
struct test_seal : cache_seal {
  int64_t gen;
  explicit test_seal(int64_t g) : gen(g) {}
  std::string name_of(std::string_view plan, std::string_view target, std::string_view dir) const override {
    return "h(" + std::to_string(std::hash<std::string>{}(std::string(plan) + '\0' + std::string(target) + '\0' +
                                                         std::string(dir))) + ")";
  }
  byte_buffer seal(std::string_view target, std::string_view, byte_view plain) const override {
    byte_buffer out(plain.begin(), plain.end());
    out.push_back(0x42);  // a tag
    for (auto& b : out) b ^= static_cast<uint8_t>(target[0]);
    return out;
  }
  expected<byte_buffer> open(std::string_view target, std::string_view, byte_view sealed) const override {
    byte_buffer out(sealed.begin(), sealed.end());
    for (auto& b : out) b ^= static_cast<uint8_t>(target[0]);
    if (out.empty() || out.back() != 0x42) return fail(errc::corrupt, "does not open");
    out.pop_back();
    return out;
  }
  int64_t generation() const override { return gen; }
};

cache_entry entry(const std::string& name, uint64_t size) {
  object_id id;
  id.bytes.fill(static_cast<uint8_t>(size));
  return {name, size, 11, -22, 33, {id, id}, {1, 2, 3}};
}

}  // namespace

TEST_CASE("cache_codec: entries round-trip, damage is corrupt") {
  std::vector<cache_entry> in{entry("a.txt", 5), entry("b", 0)};
  in[1].chunks.clear();
  in[1].xattrs.clear();
  auto bytes = encode_cache_entries(in);
  auto out = decode_cache_entries(bytes);
  REQUIRE(out);
  REQUIRE(out->size() == 2);
  CHECK((*out)[0].name == "a.txt");
  CHECK((*out)[0].ctime_ns == -22);
  CHECK((*out)[0].chunks == in[0].chunks);
  CHECK((*out)[0].xattrs == in[0].xattrs);
  CHECK((*out)[1].chunks.empty());
  for (size_t cut = 0; cut < bytes.size(); ++cut)
    CHECK_FALSE(decode_cache_entries(byte_view(bytes.data(), cut)));
  auto extra = bytes;
  extra.push_back(0);
  CHECK_FALSE(decode_cache_entries(extra));
  byte_buffer huge{1, 0xff, 0xff, 0xff, 0xff, 0x0f};  // 4 G entries in 6 bytes
  CHECK(decode_cache_entries(huge).error().code() == errc::corrupt);
}

TEST_CASE("catalog: the sealed file cache stores no name, reads back, drops unvisited directories") {
  testing::temp_dir dir;
  auto db = cairn::catalog::catalog::open(dir.path());
  REQUIRE(db);
  auto first = std::make_shared<test_seal>(1);
  REQUIRE((*db)->store_directory("p", "t", "src/secret-dir", {entry("secret-name", 7)}, first.get()));
  REQUIRE((*db)->store_directory("p", "t", "src/other", {entry("x", 1)}, first.get()));
  REQUIRE((*db)->store_directory("p", "t", "src2/x", {entry("y", 1)}, first.get()));
  // The plain cache holds nothing; the sealed rows are read through the seal.
  CHECK((*db)->cached_directory("p", "t", "src/secret-dir")->empty());
  (*db)->use_cache_seal(first);
  auto rows = (*db)->cached_directory("p", "t", "src/secret-dir");
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].name == "secret-name");
  // Another target's key does not open it: a miss reported as damage.
  CHECK_FALSE((*db)->cached_directory("p", "u", "src/secret-dir")->size());
  // The next walk of source "src" visits only secret-dir: other goes.
  auto second = std::make_shared<test_seal>(2);
  REQUIRE((*db)->store_directory("p", "t", "src/secret-dir", {entry("secret-name", 8)}, second.get()));
  REQUIRE((*db)->drop_unvisited("p", "t", "src", *second));
  CHECK((*db)->cached_directory("p", "t", "src/other")->empty());
  CHECK((*db)->cached_directory("p", "t", "src/secret-dir")->at(0).size == 8);
  CHECK((*db)->cached_directory("p", "t", "src2/x")->size() == 1);  // another source: kept
}
