#include <doctest/doctest.h>

#include <unistd.h>

#include <ctime>

#include "repo/compression.hpp"
#include "repo/repository.hpp"
#include "targets/faulty_target.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

struct fixture {
  std::shared_ptr<targets::memory_target> mem = std::make_shared<targets::memory_target>();
  crypto::key_ptr keys = crypto::new_repository_keys();
  crypto::credential cred{crypto::slot_kind::keyfile, crypto::secret::random(32), "keyfile k"};

  std::shared_ptr<repository> create(crypto::encryption mode = crypto::encryption::aes256gcm) {
    create_options o;
    o.encryption = mode;
    o.pack_size = 64 << 10;
    std::vector<crypto::key_slot> slots;
    auto k = mode == crypto::encryption::none ? nullptr : keys;
    auto r = repository::create(mem, o, k, {});
    REQUIRE(r);
    return *r;
  }

  // Stores blobs as a backup would: claim, pack, store, index.
  std::vector<object_id> store(repository& repo, int count, bool write_index) {
    pack_writer w(repo.cipher(), repo.header().pack_size);
    auto hasher = repo.make_hasher();
    std::vector<object_id> ids;
    std::vector<pack_record> records;
    for (int i = 0; i < count; ++i) {
      byte_buffer b(20000, static_cast<uint8_t>(i));
      b[0] = static_cast<uint8_t>(i >> 8);
      auto id = hasher.id_of(b);
      ids.push_back(id);
      if (!repo.index().claim(id)) continue;
      w.add(blob_type::data, id, encode_blob(b, 3), static_cast<uint32_t>(b.size()));
      if (w.full()) {
        auto p = w.finish().value();
        REQUIRE(repo.store_pack(p));
        records.push_back(p.record);
      }
    }
    if (!w.empty()) {
      auto p = w.finish().value();
      REQUIRE(repo.store_pack(p));
      records.push_back(p.record);
    }
    if (write_index) REQUIRE(repo.write_index(records));
    return ids;
  }
};

}  // namespace

TEST_CASE("repository: create then open with the keys and read back blobs") {
  fixture f;
  auto repo = f.create();
  auto ids = f.store(*repo, 50, true);
  auto header = repository::read_header(*f.mem);
  REQUIRE(header);
  auto reopened = repository::open(f.mem, *header, f.keys);
  REQUIRE(reopened);
  auto report = (*reopened)->load_index(true, false);
  REQUIRE(report);
  CHECK(report->blobs == 50);
  CHECK(report->recovered_packs == 0);
  auto blob = (*reopened)->read_blob(ids[7]);
  REQUIRE(blob);
  CHECK(blob->size() == 20000);
  CHECK((*blob)[1] == 7);
}

TEST_CASE("repository: another repository's keys cannot open it") {
  fixture f;
  f.create();
  auto header = repository::read_header(*f.mem);
  auto r = repository::open(f.mem, *header, crypto::new_repository_keys());
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::corrupt);
}

TEST_CASE("repository: creating twice is refused and a missing repository says run init") {
  fixture f;
  f.create();
  auto again = repository::create(f.mem, {}, f.keys, {});
  REQUIRE_FALSE(again);
  CHECK(again.error().code() == errc::exists);
  targets::memory_target empty("empty");
  auto none = repository::read_header(empty);
  REQUIRE_FALSE(none);
  CHECK(none.error().message().find("cairn init") != std::string::npos);
}

TEST_CASE("repository: packs without an index file are recovered from their tables of contents") {
  fixture f;
  auto repo = f.create();
  auto ids = f.store(*repo, 30, false);  // as if killed before the index was written
  auto reopened = *repository::open(f.mem, *repository::read_header(*f.mem), f.keys);
  auto report = reopened->load_index(true, true);
  REQUIRE(report);
  CHECK(report->recovered_packs > 0);
  CHECK(report->blobs == 30);
  CHECK(reopened->read_blob(ids[29]));
  // The recovery wrote an index file, so the next open needs no scan.
  auto third = *repository::open(f.mem, *repository::read_header(*f.mem), f.keys);
  auto r3 = third->load_index(false, false);
  CHECK(r3->blobs == 30);
}

TEST_CASE("repository: a damaged blob is named and its neighbours still read") {
  fixture f;
  auto repo = f.create();
  auto ids = f.store(*repo, 10, true);
  auto loc = repo->index().find(ids[4]);
  auto pack = repo->index().pack(loc->pack);
  f.mem->mutate(pack_name(pack.id), [&](byte_buffer& b) { b[loc->offset + 10] ^= 0x80; });
  auto bad = repo->read_blob(ids[4]);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == errc::corrupt);
  CHECK(bad.error().message().find(ids[4].short_hex()) != std::string::npos);
  CHECK(repo->read_blob(ids[5]));
}

TEST_CASE("repository: checkpoints are written last and read back by id") {
  fixture f;
  auto repo = f.create(crypto::encryption::none);
  checkpoint c;
  c.plan = "home";
  c.time_ns = 1'700'000'000'000'000'000;
  auto id = repo->write_checkpoint(c);
  REQUIRE(id);
  auto ids = repo->list_checkpoints();
  REQUIRE(ids);
  CHECK(*ids == std::vector<object_id>{*id});
  CHECK(repo->read_checkpoint(*id)->plan == "home");
  f.mem->mutate(checkpoint_name(*id), [](byte_buffer& b) { b[3] ^= 1; });
  auto bad = repo->read_checkpoint(*id);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code() == errc::corrupt);
}

TEST_CASE("repository: shared locks coexist and an exclusive lock excludes") {
  fixture f;
  auto repo = f.create();
  auto a = repo->lock(false, "backup of home");
  REQUIRE(a);
  auto b = repo->lock(false, "restore");
  REQUIRE(b);
  // Locks of this process are live: an exclusive lock must wait.
  auto x = repo->lock(true, "key change");
  REQUIRE_FALSE(x);
  CHECK(x.error().code() == errc::locked);
  CHECK(x.error().message().find("is locked by") != std::string::npos);
  a->reset();
  b->reset();
  CHECK(repo->lock(true, "key change"));
}

TEST_CASE("repository: a stale lock of a dead process is removed") {
  fixture f;
  auto repo = f.create();
  // What kill -9 leaves behind: a lock object whose process is gone.
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  auto now = std::to_string(1'000'000'000LL * time(nullptr));
  std::string text = std::string("{\"host\":\"") + host +
                     "\",\"pid\":999999999,\"exclusive\":true,\"purpose\":\"old run\",\"created\":" +
                     now + ",\"refreshed\":" + now + "}";
  REQUIRE(f.mem->put("locks/deadbeef", repo->cipher().seal_object("lock", as_bytes(text))));
  auto next = repo->lock(true, "new run");
  CHECK(next);
  CHECK_FALSE(f.mem->stat("locks/deadbeef"));
}

TEST_CASE("repository: trees read once are kept until drop_tree_cache") {
  fixture f;
  auto repo = f.create();
  tree t;
  t.nodes.push_back(node{"a.txt", fs::metadata{}, {}, {}});
  auto plain = encode_tree(t);
  auto id = repo->make_hasher().id_of(plain);
  REQUIRE(repo->index().claim(id));
  pack_writer w(repo->cipher(), repo->header().pack_size);
  w.add(blob_type::tree, id, encode_blob(plain, 3), static_cast<uint32_t>(plain.size()));
  auto p = w.finish().value();
  REQUIRE(repo->store_pack(p));
  REQUIRE(repo->write_index({p.record}));

  auto first = repo->read_tree(id);
  REQUIRE(first);
  CHECK(first->nodes.at(0).name == "a.txt");
  // The pack is gone from the target: only the cache can answer.
  REQUIRE(f.mem->remove(pack_name(p.record.id)));
  CHECK(repo->read_tree(id));
  repo->drop_tree_cache();
  CHECK_FALSE(repo->read_tree(id));
}

TEST_CASE("repository: a path down the tree reads its trees alone; a walk that goes on loads their pack whole") {
  fixture f;
  auto repo = f.create();
  pack_writer w(repo->cipher(), repo->header().pack_size);
  std::vector<object_id> ids;
  for (int i = 0; i < 8; ++i) {
    tree t;
    t.nodes.push_back(node{"file" + std::to_string(i), fs::metadata{}, {}, {}});
    auto plain = encode_tree(t);
    auto id = repo->make_hasher().id_of(plain);
    REQUIRE(repo->index().claim(id));
    w.add(blob_type::tree, id, encode_blob(plain, 3), static_cast<uint32_t>(plain.size()));
    ids.push_back(id);
  }
  auto p = w.finish().value();
  REQUIRE(repo->store_pack(p));
  REQUIRE(repo->write_index({p.record}));
  auto name = pack_name(p.record.id);
  auto pack_bytes = f.mem->get(name, {0, p.record.size}).value();

  // Fewer reads than trees_alone_per_pack: each tree alone, nothing else kept.
  const uint32_t alone = repository::trees_alone_per_pack;
  static_assert(repository::trees_alone_per_pack >= 3 && repository::trees_alone_per_pack < 8);
  for (uint32_t i = 0; i + 2 < alone; ++i) REQUIRE(repo->read_tree(ids[i]));
  REQUIRE(f.mem->remove(name));
  CHECK_FALSE(repo->read_tree(ids[7]));  // read alone too (and failed): not from a loaded pack
  for (uint32_t i = 0; i + 2 < alone; ++i) CHECK(repo->read_tree(ids[i]));  // kept

  // The next miss in that pack loads it whole: every tree is kept.
  REQUIRE(f.mem->put(name, pack_bytes));
  REQUIRE(repo->read_tree(ids[alone - 2]));
  REQUIRE(f.mem->remove(name));
  for (size_t i = 0; i < ids.size(); ++i) CHECK(repo->read_tree(ids[i]));
}
