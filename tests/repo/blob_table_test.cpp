#include <doctest/doctest.h>

#include <map>
#include <random>

#include "repo/detail/blob_table.hpp"
#include "repo/index.hpp"

using namespace cairn;
using namespace cairn::repo;
using detail::blob_location;
using detail::blob_table;
using detail::packed_location;

namespace {

object_id random_id(std::mt19937_64& rng, int prefixes = 0) {
  object_id id;
  for (size_t i = 0; i < object_id::size; i += 8) {
    uint64_t v = rng();
    std::memcpy(id.bytes.data() + i, &v, 8);
  }
  if (prefixes > 0) {  // crowd a few buckets, with the edges 0x0000 and 0xffff among them
    static const uint8_t first[][2] = {{0, 0}, {0xff, 0xff}, {0x12, 0x34}, {0x12, 0x35}};
    auto& f = first[rng() % static_cast<uint64_t>(std::min(prefixes, 4))];
    id.bytes[0] = f[0];
    id.bytes[1] = f[1];
  }
  return id;
}

blob_location some_location(std::mt19937_64& rng, bool big) {
  blob_location loc;
  loc.pack = static_cast<uint32_t>(rng() % (1u << 28));
  loc.type = rng() % 2 ? blob_type::tree : blob_type::data;
  loc.offset = static_cast<uint32_t>(rng() % (1u << 30));
  loc.raw_length = static_cast<uint32_t>(rng() % (big ? max_tree_bytes + 1 : 1u << 24));
  loc.length = static_cast<uint32_t>(rng() % (uint64_t{loc.raw_length} + max_blob_overhead + 1));
  return loc;
}

}  // namespace

TEST_CASE("packed_location: every field's largest value round-trips and one more goes to the side table") {
  const uint32_t max_pack = (1u << 28) - 1, max_offset = (1u << 30) - 1, max_raw = (1u << 27) - 1,
                 max_length = (1u << 26) - 2;
  for (auto type : {blob_type::data, blob_type::tree}) {
    blob_location top{max_pack, max_offset, max_length, max_raw, type};
    auto p = packed_location::pack(top);
    REQUIRE(p);
    CHECK_FALSE(p->is_overflow());
    CHECK(p->unpack() == top);
    blob_location zero{0, 0, 0, 0, type};
    REQUIRE(packed_location::pack(zero));
    CHECK(packed_location::pack(zero)->unpack() == zero);
    // Each field alone at its maximum, the others zero: no field spills into another.
    for (auto loc : {blob_location{max_pack, 0, 0, 0, type}, blob_location{0, max_offset, 0, 0, type},
                     blob_location{0, 0, max_length, 0, type}, blob_location{0, 0, 0, max_raw, type}}) {
      REQUIRE(packed_location::pack(loc));
      CHECK(packed_location::pack(loc)->unpack() == loc);
    }
    CHECK_FALSE(packed_location::pack({max_pack + 1, 0, 0, 0, type}));
    CHECK_FALSE(packed_location::pack({0, max_offset + 1, 0, 0, type}));
    CHECK_FALSE(packed_location::pack({0, 0, max_length + 1, 0, type}));  // the marker's value
    CHECK_FALSE(packed_location::pack({0, 0, 0, max_raw + 1, type}));
    CHECK_FALSE(packed_location::pack({UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, type}));
  }
  CHECK(packed_location::overflow().is_overflow());
  // Chunks up to 64 MiB less 2 bytes (sealed) fit: the default largest chunk (8 MiB) by far; a chunk at the
  // header's limit (64 MiB) and a tree of 128 MiB or more go to the side table.
  CHECK(packed_location::pack({0, 32, default_max_chunk + max_blob_overhead, default_max_chunk, blob_type::data}));
  CHECK_FALSE(packed_location::pack({0, 32, max_chunk_limit + 1, max_chunk_limit, blob_type::data}));
  CHECK_FALSE(packed_location::pack({0, 32, max_tree_bytes + max_blob_overhead, max_tree_bytes, blob_type::tree}));
}

TEST_CASE("blob_table: locations that do not fit 14 bytes stay exact through merges") {
  blob_table table;
  std::mt19937_64 rng(7);
  std::map<object_id, blob_location> want;
  const blob_location huge{(1u << 28) - 1, UINT32_MAX, UINT32_MAX, UINT32_MAX, blob_type::tree};
  const blob_location tree{3, 32, max_tree_bytes + max_blob_overhead, max_tree_bytes, blob_type::tree};
  for (int i = 0; i < 5000; ++i) {
    auto id = random_id(rng);
    auto loc = i % 100 == 0 ? huge : i % 100 == 1 ? tree : some_location(rng, false);
    REQUIRE(table.insert(id, loc));
    want.emplace(id, loc);
  }
  CHECK(table.overflow_count() == 100);
  CHECK(table.sorted_count() > 0);
  for (const auto& [id, loc] : want) CHECK(table.find(id) == loc);
}

TEST_CASE("blob_table: interleaved inserts, duplicates and lookups agree with a std::map across merges") {
  for (int prefixes : {0, 1, 4}) {  // spread ids, all in one bucket, or in four (among them the first and last)
    CAPTURE(prefixes);
    blob_table table;
    std::mt19937_64 rng(static_cast<uint64_t>(prefixes) + 1);
    std::map<object_id, blob_location> want;
    std::vector<object_id> ids;
    size_t merges_seen = 0, last_sorted = 0;
    for (int i = 0; i < 40000; ++i) {
      if (!ids.empty() && rng() % 5 == 0) {
        // A duplicate: refused, the first location stays.
        auto& id = ids[rng() % ids.size()];
        CHECK_FALSE(table.insert(id, some_location(rng, true)));
      } else {
        auto id = random_id(rng, prefixes);
        auto loc = some_location(rng, i % 37 == 0);
        CHECK(table.insert(id, loc) == want.emplace(id, loc).second);
        ids.push_back(id);
      }
      if (table.sorted_count() != last_sorted) {
        ++merges_seen;
        last_sorted = table.sorted_count();
      }
      if (i % 7 == 0) {  // a present id and an absent one, wherever they sit now
        auto& id = ids[rng() % ids.size()];
        CHECK(table.find(id) == want.at(id));
        CHECK_FALSE(table.find(random_id(rng, prefixes)));
      }
    }
    CHECK(merges_seen >= 10);
    CHECK(table.size() == want.size());
    for (const auto& [id, loc] : want) CHECK(table.find(id) == loc);
    // for_each: every blob once, the sorted ones in id order.
    std::map<object_id, blob_location> seen;
    size_t n = 0;
    object_id previous;
    table.for_each([&](const object_id& id, const blob_location& loc) {
      if (n > 0 && n < table.sorted_count()) CHECK(previous < id);
      previous = id;
      ++n;
      seen.emplace(id, loc);
    });
    CHECK(n == want.size());
    CHECK(seen == want);
    table.merge();
    CHECK(table.sorted_count() == want.size());
    for (const auto& [id, loc] : want) CHECK(table.find(id) == loc);
  }
}

TEST_CASE("blob_index: claims, adds and lookups interleaved across merges and add_known") {
  blob_index index;
  std::mt19937_64 rng(11);
  std::map<object_id, blob_index::location> want;
  std::vector<object_id> pending;  // claimed, not yet added
  for (uint32_t p = 0; p < 200; ++p) {
    pack_record rec;
    rec.id = random_id(rng);
    rec.size = 1u << 20;
    for (int b = 0; b < 50; ++b) {
      auto id = random_id(rng);
      REQUIRE(index.claim(id));
      CHECK_FALSE(index.claim(id));  // claimed: no second writer
      CHECK_FALSE(index.find(id));
      pending.push_back(id);
    }
    // The pack holds what was claimed, plus one blob an earlier pack holds already.
    for (const auto& id : pending) {
      blob_entry e{id, blob_type::data, static_cast<uint32_t>(32 + rec.blobs.size() * 100), 90, 80};
      rec.blobs.push_back(e);
      want.emplace(id, blob_index::location{p, e.offset, e.length, e.raw_length, e.type});
    }
    if (p > 0) rec.blobs.push_back({want.begin()->first, blob_type::tree, 32, 1, 1});
    pending.clear();
    index.add(rec);
    for (const auto& b : rec.blobs) {
      CHECK_FALSE(index.claim(b.id));  // indexed now
      CHECK(index.find(b.id) == want.at(b.id));
    }
    auto absent = random_id(rng);
    CHECK(index.claim(absent));  // a claim, then unclaim (a failed store)
    index.unclaim(absent);
    CHECK(index.claim(absent));
    index.unclaim(absent);
  }
  CHECK(index.blob_count() == want.size());
  for (const auto& [id, loc] : want) CHECK(index.find(id) == loc);

  auto known = random_id(rng);
  index.add_known({known});
  CHECK(index.contains(known));
  CHECK_FALSE(index.claim(known));
  CHECK_FALSE(index.find(known));
  CHECK(index.blob_count() == want.size());
}

TEST_CASE("blob_table: lookups in a full bucket find every id and none between two neighbours") {
  // Evenly spread ids in one bucket: the first guess lands on or next to the
  // id; then one bucket of ids crowded into a narrow range: every guess is far.
  for (uint64_t spread : {uint64_t{1} << 51, uint64_t{1} << 20}) {
    CAPTURE(spread);
    blob_table table;
    const uint64_t count = 4000;
    auto id_at = [&](uint64_t n, uint8_t last) {
      object_id id;
      id.bytes[0] = 0x80;
      id.bytes[1] = 0x01;
      uint64_t v = __builtin_bswap64(n * spread);  // bytes 2..9, big-endian
      std::memcpy(id.bytes.data() + 2, &v, 8);
      id.bytes[31] = last;
      return id;
    };
    for (uint64_t n = 0; n < count; ++n) REQUIRE(table.insert(id_at(n, 1), {static_cast<uint32_t>(n), 32, 1, 1}));
    table.merge();
    REQUIRE(table.sorted_count() == count);
    for (uint64_t n = 0; n < count; ++n) {
      auto found = table.find(id_at(n, 1));
      REQUIRE(found);
      CHECK(found->pack == n);
      CHECK_FALSE(table.find(id_at(n, 0)));  // just below
      CHECK_FALSE(table.find(id_at(n, 2)));  // just above
    }
  }
}

TEST_CASE("blob_table: known ids have no location until a pack gives them one, before and after a merge") {
  blob_table table;
  std::mt19937_64 rng(5);
  std::vector<object_id> known, located;
  for (int i = 0; i < 3000; ++i) {
    auto id = random_id(rng);
    if (i % 3 == 0) {
      REQUIRE(table.insert_known(id));
      CHECK_FALSE(table.insert_known(id));
      known.push_back(id);
    } else {
      REQUIRE(table.insert(id, {1, 32, 10, 10}));
      CHECK_FALSE(table.insert_known(id));  // has a location: stays
      located.push_back(id);
    }
  }
  CHECK(table.sorted_count() > 0);
  CHECK(table.count(detail::mark::known) == known.size());
  CHECK(table.size() == located.size());
  for (const auto& id : known) {
    CHECK(table.contains(id));
    CHECK_FALSE(table.find(id));
  }
  size_t seen = 0;
  table.for_each([&](const object_id&, const blob_location& loc) {
    ++seen;
    CHECK(loc.pack == 1);
  });
  CHECK(seen == located.size());
  // Half of the known ones get a location (some sorted by now, some recent), one of them too big for 14 bytes.
  const blob_location big{2, 32, max_tree_bytes + 10, max_tree_bytes, blob_type::tree};
  for (size_t i = 0; i < known.size(); i += 2) {
    REQUIRE(table.insert(known[i], i == 0 ? big : blob_location{2, 32, 20, 20}));
    CHECK_FALSE(table.insert(known[i], {3, 32, 30, 30}));  // the first location stays
  }
  for (size_t i = 0; i < known.size(); ++i) {
    auto found = table.find(known[i]);
    CHECK(found.has_value() == (i % 2 == 0));
    if (found) CHECK(*found == (i == 0 ? big : blob_location{2, 32, 20, 20}));
  }
  CHECK(table.count(detail::mark::known) == known.size() / 2);
  CHECK(table.size() == located.size() + (known.size() + 1) / 2);
  table.merge();
  CHECK(table.find(known[0]) == big);
  CHECK_FALSE(table.find(known[1]));
  CHECK(table.contains(known[1]));
}

TEST_CASE("blob_index: a known blob gets the location of a pack added later") {
  blob_index index;
  std::mt19937_64 rng(3);
  auto a = random_id(rng), b = random_id(rng);
  index.add_known({a, b});
  CHECK(index.blob_count() == 0);
  pack_record rec;
  rec.id = random_id(rng);
  rec.size = 1000;
  rec.blobs.push_back({a, blob_type::data, 32, 100, 90});
  index.add(rec);
  CHECK(index.blob_count() == 1);
  CHECK(index.find(a) == blob_index::location{0, 32, 100, 90, blob_type::data});
  CHECK_FALSE(index.find(b));
  CHECK_FALSE(index.claim(b));
}

TEST_CASE("blob_table: claimed ids are absent until a pack gives them a location, in place, across merges") {
  blob_table table;
  std::mt19937_64 rng(9);
  std::vector<object_id> claimed, unclaimed;
  for (int i = 0; i < 5000; ++i) {
    auto id = random_id(rng);
    REQUIRE(table.claim(id));
    CHECK_FALSE(table.claim(id));  // one writer only
    CHECK_FALSE(table.contains(id));
    CHECK_FALSE(table.find(id));
    if (i % 10 == 0) {
      table.unclaim(id);  // its store failed
      unclaimed.push_back(id);
    } else {
      claimed.push_back(id);
    }
  }
  CHECK(table.sorted_count() > 0);
  CHECK(table.size() == 0);
  CHECK(table.count(detail::mark::claimed) == claimed.size());
  CHECK(table.count(detail::mark::unclaimed) == unclaimed.size());
  size_t visited = 0;
  table.for_each([&](const object_id&, const blob_location&) { ++visited; });
  CHECK(visited == 0);
  const size_t entries = table.entries();
  // Every claimed id gets its location in its own entry: no entry more.
  for (size_t i = 0; i < claimed.size(); ++i) REQUIRE(table.insert(claimed[i], {static_cast<uint32_t>(i), 32, 5, 5}));
  CHECK(table.entries() == entries);
  CHECK(table.size() == claimed.size());
  CHECK(table.count(detail::mark::claimed) == 0);
  for (size_t i = 0; i < claimed.size(); ++i) {
    CHECK(table.find(claimed[i]) == blob_location{static_cast<uint32_t>(i), 32, 5, 5});
    CHECK_FALSE(table.claim(claimed[i]));
  }
  // An unclaimed id is absent: claimed again, or known, or located.
  CHECK(table.claim(unclaimed[0]));
  CHECK_FALSE(table.claim(unclaimed[0]));
  CHECK(table.insert_known(unclaimed[1]));
  CHECK(table.contains(unclaimed[1]));
  CHECK_FALSE(table.claim(unclaimed[1]));
  CHECK(table.insert(unclaimed[2], {7, 32, 5, 5}));
  CHECK(table.find(unclaimed[2]) == blob_location{7, 32, 5, 5});
  CHECK_FALSE(table.contains(unclaimed[3]));
  table.unclaim(claimed[0]);  // has a location: unclaim changes nothing
  CHECK(table.find(claimed[0]));
  table.merge();
  CHECK(table.size() == claimed.size() + 1);
  CHECK(table.count(detail::mark::claimed) == 1);
  CHECK(table.count(detail::mark::unclaimed) == unclaimed.size() - 3);
}

TEST_CASE("blob_table: a bulk load queues, then settles into the same table a plain load builds, duplicates keeping their first location") {
  std::mt19937_64 rng(99);
  std::map<object_id, blob_location> want;
  std::vector<object_id> ids;
  blob_table plain, bulk;
  bulk.set_bulk(true);
  for (int i = 0; i < 60000; ++i) {
    object_id id = !ids.empty() && rng() % 9 == 0 ? ids[rng() % ids.size()] : random_id(rng, i % 7 == 0 ? 4 : 0);
    auto loc = some_location(rng, i % 41 == 0);
    loc.pack = static_cast<uint32_t>(i / 3);  // numbered in the order added, as blob_index does
    bool fresh = want.emplace(id, loc).second;
    if (fresh) ids.push_back(id);
    CHECK(plain.insert(id, loc) == fresh);
    CHECK(bulk.insert(id, loc));  // queued
    if (i == 20000) {
      // Settled halfway: from then on the queue is checked against a sorted array.
      CHECK(bulk.pending());
      bulk.settle();
      CHECK_FALSE(bulk.pending());
      CHECK(bulk.sorted_count() == want.size());
      for (const auto& [id, loc] : want) CHECK(bulk.find(id) == loc);
    }
  }
  CHECK(bulk.pending());
  bulk.set_bulk(false);  // settles what is left
  CHECK_FALSE(bulk.pending());
  CHECK(bulk.sorted_count() == want.size());
  CHECK(bulk.size() == want.size());
  CHECK(bulk.overflow_count() == plain.overflow_count());
  for (const auto& [id, loc] : want) CHECK(bulk.find(id) == loc);
  // The same blobs in the same order as the plain table's.
  std::vector<std::pair<object_id, blob_location>> a, b;
  plain.merge();
  plain.for_each([&](const object_id& id, const blob_location& loc) { a.emplace_back(id, loc); });
  bulk.for_each([&](const object_id& id, const blob_location& loc) { b.emplace_back(id, loc); });
  CHECK(a == b);
  // After the load it is a plain table again: inserts, merges and lookups go on.
  for (int i = 0; i < 5000; ++i) {
    auto id = random_id(rng);
    auto loc = some_location(rng, false);
    CHECK(bulk.insert(id, loc));
    want.emplace(id, loc);
  }
  bulk.merge();
  CHECK(bulk.size() == want.size());
  for (const auto& [id, loc] : want) CHECK(bulk.find(id) == loc);
}

TEST_CASE("blob_table: a bulk load into a table with locations and marks keeps the locations and fills the marks") {
  std::mt19937_64 rng(5);
  blob_table table;
  std::vector<object_id> located, claimed, known, unclaimed, fresh;
  for (int i = 0; i < 3000; ++i) {
    located.push_back(random_id(rng));
    REQUIRE(table.insert(located.back(), {1, 32, 10, 10}));
  }
  for (int i = 0; i < 500; ++i) {
    claimed.push_back(random_id(rng));
    REQUIRE(table.claim(claimed.back()));
    known.push_back(random_id(rng));
    REQUIRE(table.insert_known(known.back()));
    unclaimed.push_back(random_id(rng));
    REQUIRE(table.claim(unclaimed.back()));
    table.unclaim(unclaimed.back());
  }
  table.merge();
  for (int i = 0; i < 200; ++i) {  // a few in the recent array when the load starts
    claimed.push_back(random_id(rng));
    REQUIRE(table.claim(claimed.back()));
  }
  table.set_bulk(true);
  const blob_location later{9, 64, 20, 20}, big{9, 128, UINT32_MAX, UINT32_MAX, blob_type::tree};
  for (size_t i = 0; i < located.size(); ++i) table.insert(located[i], i % 2 ? later : big);
  for (size_t i = 0; i < claimed.size(); ++i) table.insert(claimed[i], i % 3 ? later : big);
  for (const auto& id : known) table.insert(id, later);
  for (const auto& id : unclaimed) table.insert(id, later);
  for (int i = 0; i < 4000; ++i) {
    fresh.push_back(random_id(rng));
    table.insert(fresh.back(), i % 5 ? later : big);
  }
  table.set_bulk(false);
  for (const auto& id : located) CHECK(table.find(id) == blob_location{1, 32, 10, 10});
  for (size_t i = 0; i < claimed.size(); ++i) CHECK(table.find(claimed[i]) == (i % 3 ? later : big));
  for (const auto& id : known) CHECK(table.find(id) == later);
  for (const auto& id : unclaimed) CHECK(table.find(id) == later);
  for (size_t i = 0; i < fresh.size(); ++i) CHECK(table.find(fresh[i]) == (i % 5 ? later : big));
  CHECK(table.count(detail::mark::claimed) == 0);
  CHECK(table.count(detail::mark::known) == 0);
  CHECK(table.count(detail::mark::unclaimed) == 0);
  CHECK(table.size() == located.size() + claimed.size() + known.size() + unclaimed.size() + fresh.size());
  // Only the big locations that won stay in the side table.
  CHECK(table.overflow_count() == (claimed.size() + 2) / 3 + (fresh.size() + 4) / 5);
}

TEST_CASE("blob_table: of two queued locations of one id the lower (pack, offset) stays, whichever fits 14 bytes") {
  std::mt19937_64 rng(11);
  blob_table table;
  table.set_bulk(true);
  const blob_location small_first{3, 32, 10, 10}, big_later{4, 64, UINT32_MAX, UINT32_MAX, blob_type::tree},
                      big_first{2, 32, UINT32_MAX, UINT32_MAX, blob_type::tree}, small_later{5, 32, 10, 10};
  auto a = random_id(rng), b = random_id(rng), c = random_id(rng);
  table.insert(a, small_first);
  table.insert(a, big_later);
  table.insert(b, big_first);
  table.insert(b, small_later);
  table.insert(c, big_later);
  table.insert(c, big_first);  // added later with a lower pack (blob_index never does this): the lower stays
  table.set_bulk(false);
  CHECK(table.find(a) == small_first);
  CHECK(table.find(b) == big_first);
  CHECK(table.find(c) == big_first);
  CHECK(table.overflow_count() == 2);
  CHECK(table.size() == 3);
}

TEST_CASE("blob_index: lookups during a bulk load settle what was queued") {
  blob_index index;
  std::mt19937_64 rng(3);
  index.bulk_load(true);
  pack_record p;
  p.id = random_id(rng);
  p.size = 1 << 20;
  for (int i = 0; i < 100; ++i) p.blobs.push_back({random_id(rng), blob_type::data, static_cast<uint32_t>(32 + i * 100), 100, 90});
  index.add(p);
  CHECK(index.blob_count() == 100);
  CHECK(index.find(p.blobs[7].id)->offset == p.blobs[7].offset);
  CHECK_FALSE(index.claim(p.blobs[8].id));
  pack_record q = p;
  q.id = random_id(rng);
  for (auto& b : q.blobs) b.offset += 1;
  index.add(q);  // the same blobs again: the first locations stay
  CHECK(index.contains(p.blobs[9].id));
  index.bulk_load(false);
  CHECK(index.blob_count() == 100);
  for (const auto& b : p.blobs) CHECK(index.find(b.id)->offset == b.offset);
}
