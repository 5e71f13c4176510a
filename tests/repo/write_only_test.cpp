// A write-only repository at the format level: the machine that backs up
// writes packs, index files and checkpoints it cannot read; the private key
// (with the writer's secret from the public-key slot) reads them all.
#include <doctest/doctest.h>

#include "crypto/key_slot.hpp"
#include "repo/compression.hpp"
#include "repo/repository.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

struct write_only_fixture {
  std::shared_ptr<targets::memory_target> mem = std::make_shared<targets::memory_target>();
  crypto::key_pair pair = crypto::generate_key_pair();
  crypto::secret writer = crypto::secret::random(32);
  crypto::key_ptr writer_keys = crypto::derive_write_only_keys(writer, pair.pub);

  std::shared_ptr<repository> create() {
    create_options o;
    o.encryption = crypto::encryption::x25519;
    o.pack_size = 64 << 10;
    o.repository_id = "0123456789abcdef0123456789abcdef";
    auto slot = crypto::make_public_key_slot(pair.pub, writer, o.repository_id);
    auto r = repository::create(mem, o, writer_keys, {slot});
    REQUIRE(r);
    return *r;
  }

  // The administrator: the private key opens the slot, which gives the writer's secret.
  crypto::key_ptr reader_keys(const repository_header& h) {
    crypto::credential cred{crypto::slot_kind::public_key, pair.private_key, "private key"};
    auto master = crypto::open_key_slots(h.key_slots, cred, h.repository_id);
    REQUIRE(master);
    return crypto::derive_write_only_keys(std::move(*master), *h.public_key, pair.private_key);
  }

  std::vector<object_id> store(repository& repo, int count) {
    pack_writer w(repo.cipher(), repo.header().pack_size);
    auto hasher = repo.make_hasher();
    std::vector<object_id> ids;
    std::vector<pack_record> records;
    for (int i = 0; i < count; ++i) {
      byte_buffer b(20000, static_cast<uint8_t>(i));
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
    auto p = w.finish().value();
    REQUIRE(repo.store_pack(p));
    records.push_back(p.record);
    REQUIRE(repo.write_index(records));
    return ids;
  }
};

}  // namespace

TEST_CASE("write_only: the writer stores what only the private key reads back") {
  write_only_fixture f;
  auto repo = f.create();
  auto ids = f.store(*repo, 30);
  checkpoint c;
  c.plan = "home";
  c.host = "laptop";
  c.tree = ids[0];
  auto cp = repo->write_checkpoint(c);
  REQUIRE(cp);

  auto header = repository::read_header(*f.mem);
  if (!header) FAIL(header.error().message());
  CHECK(header->encryption == crypto::encryption::x25519);
  REQUIRE(header->public_key);
  CHECK(*header->public_key == f.pair.pub);

  SUBCASE("the writer opens it (header verified, seed known) but reads nothing") {
    auto w = repository::open(f.mem, *header, f.writer_keys);
    REQUIRE(w);
    CHECK((*w)->header().chunker.seed == repo->header().chunker.seed);
    auto index = (*w)->load_index(true, false);
    REQUIRE_FALSE(index);
    CHECK(index.error().code() == errc::auth);
    CHECK(index.error().message().find(crypto::write_only_message) != std::string::npos);
    CHECK_FALSE((*w)->read_checkpoint(*cp));
    // Locks still work between writers.
    auto lock = (*w)->lock(false, "backup");
    CHECK(lock);
  }
  SUBCASE("the private key reads index, blobs and checkpoint") {
    auto r = repository::open(f.mem, *header, f.reader_keys(*header));
    REQUIRE(r);
    auto index = (*r)->load_index(true, false);
    REQUIRE(index);
    CHECK(index->blobs == 30);
    auto blob = (*r)->read_blob(ids[7]);
    REQUIRE(blob);
    CHECK(*blob == byte_buffer(20000, 7));
    auto back = (*r)->read_checkpoint(*cp);
    REQUIRE(back);
    CHECK(back->host == "laptop");
  }
  SUBCASE("another private key opens neither the slot nor the repository") {
    crypto::credential other{crypto::slot_kind::public_key, crypto::generate_key_pair().private_key, "other"};
    CHECK(crypto::open_key_slots(header->key_slots, other, header->repository_id).error().code() == errc::auth);
    auto foreign = crypto::derive_write_only_keys(f.writer, crypto::generate_key_pair().pub);
    CHECK(repository::open(f.mem, *header, foreign).error().code() == errc::auth);
  }
  SUBCASE("a header whose public key was swapped is refused") {
    auto bytes = f.mem->get("config");
    REQUIRE(bytes);
    std::string text(bytes->begin(), bytes->end());
    auto at = text.find(crypto::format_public_key(f.pair.pub));
    REQUIRE(at != std::string::npos);
    auto swapped = crypto::generate_key_pair().pub;
    text.replace(at, 82, crypto::format_public_key(swapped));
    auto h = decode_header(as_bytes(text), "config");
    REQUIRE(h);
    // The writer, told the new key, finds the sealed settings disagree.
    auto w = repository::open(f.mem, *h, crypto::derive_write_only_keys(f.writer, swapped));
    REQUIRE_FALSE(w);
    CHECK(w.error().code() == errc::corrupt);
  }
}

TEST_CASE("write_only: a header with a public key but another encryption (or none) is damage") {
  write_only_fixture f;
  f.create();
  auto bytes = f.mem->get("config");
  REQUIRE(bytes);
  std::string text(bytes->begin(), bytes->end());
  auto enc = text.find("x25519-aes-256-gcm");
  REQUIRE(enc != std::string::npos);
  auto mixed = text;
  mixed.replace(enc, 18, "aes-256-gcm");
  CHECK(decode_header(as_bytes(mixed), "config").error().code() == errc::corrupt);
  auto pk = text.find("\"public_key\"");
  REQUIRE(pk != std::string::npos);
  auto no_key = text;
  no_key.replace(pk, 12, "\"public_kez\"");
  CHECK(decode_header(as_bytes(no_key), "config").error().code() == errc::corrupt);
  auto bad_key = text;
  bad_key[text.find("cairn-pk1-") + 15] ^= 1;
  CHECK(decode_header(as_bytes(bad_key), "config").error().code() == errc::corrupt);
}
