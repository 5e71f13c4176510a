#include <doctest/doctest.h>

#include <map>

#include "repo/index.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

object_id id_of(uint64_t n, uint8_t tag = 0) {
  object_id id;
  for (int i = 0; i < 8; ++i) id.bytes[static_cast<size_t>(i * 3 % 32)] = static_cast<uint8_t>(n >> (8 * i));
  id.bytes[31] = tag;
  return id;
}

}  // namespace

TEST_CASE("blob_index: many packs (merged into the sorted array) keep every blob's first location") {
  blob_index index;
  std::map<object_id, blob_index::location> want;
  const uint64_t packs = 300, per_pack = 200;  // 60,000 blobs: many merges
  for (uint64_t p = 0; p < packs; ++p) {
    pack_record rec;
    rec.id = id_of(p, 0xff);
    rec.size = 1000;
    for (uint64_t b = 0; b < per_pack; ++b) {
      // Every 10th blob repeats one of the previous pack: its first location stays.
      uint64_t n = (b % 10 == 0 && p > 0) ? (p - 1) * per_pack + b : p * per_pack + b;
      blob_entry e{id_of(n), b % 7 == 0 ? blob_type::tree : blob_type::data, static_cast<uint32_t>(b * 100),
                   static_cast<uint32_t>(50 + b), static_cast<uint32_t>(40 + b)};
      rec.blobs.push_back(e);
      want.try_emplace(e.id, blob_index::location{static_cast<uint32_t>(p), e.offset, e.length, e.raw_length, e.type});
    }
    index.add(rec);
    index.add(rec);  // the same pack twice: a no-op
  }
  CHECK(index.pack_count() == packs);
  CHECK(index.blob_count() == want.size());
  for (const auto& [id, loc] : want) {
    auto found = index.find(id);
    REQUIRE(found);
    CHECK(found->pack == loc.pack);
    CHECK(found->offset == loc.offset);
    CHECK(found->length == loc.length);
    CHECK(found->raw_length == loc.raw_length);
    CHECK(found->type == loc.type);
    CHECK(index.contains(id));
    CHECK_FALSE(index.claim(id));
  }
  size_t seen = 0;
  index.for_each_blob([&](const object_id& id, const blob_index::location& loc) {
    ++seen;
    CHECK(want.at(id).offset == loc.offset);
  });
  CHECK(seen == want.size());
  auto absent = id_of(1'000'000);
  CHECK_FALSE(index.find(absent));
  CHECK(index.claim(absent));
  CHECK_FALSE(index.claim(absent));
}
