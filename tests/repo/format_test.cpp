#include <doctest/doctest.h>

#include "crypto/keys.hpp"
#include "repo/checkpoint.hpp"
#include "repo/compression.hpp"
#include "repo/header.hpp"
#include "repo/index.hpp"
#include "repo/pack.hpp"
#include "repo/tree.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

object_id id_of_byte(uint8_t b) {
  object_id id;
  id.bytes.fill(b);
  return id;
}

repository_header sample_header() {
  repository_header h;
  h.format_version = 1;
  h.repository_id = "00112233445566778899aabbccddeeff";
  h.created_ns = 1'700'000'000'000'000'000;
  h.program = "cairn test";
  h.chunker = {512 << 10, 1 << 20, 8 << 20, 0x1234};
  h.zstd_level = 3;
  h.pack_size = 16 << 20;
  return h;
}

}  // namespace

TEST_CASE("header: round trip and the sealed settings detect tampering") {
  auto keys = crypto::new_repository_keys();
  crypto::object_cipher cipher(crypto::encryption::aes256gcm, keys);
  auto h = sample_header();
  crypto::credential cred{crypto::slot_kind::keyfile, crypto::secret::random(32), "k"};
  h.key_slots.push_back(crypto::make_key_slot(cred, keys->master, h.repository_id));
  seal_header(h, cipher);
  auto bytes = encode_header(h);
  std::string text(bytes.begin(), bytes.end());
  CHECK(text.find("\"seed\": \"sealed\"") != std::string::npos);  // the seed is not in the clear

  auto back = decode_header(bytes, "test");
  REQUIRE(back);
  CHECK(back->chunker.seed == 0);
  REQUIRE(verify_header(*back, cipher));
  CHECK(back->chunker == h.chunker);
  CHECK(back->key_slots.size() == 1);
  CHECK(back->key_slots[0].wrapped == h.key_slots[0].wrapped);

  auto tampered = text;
  tampered.replace(tampered.find("\"level\": 3"), 10, "\"level\": 9");
  auto t = decode_header(as_bytes(tampered), "test");
  REQUIRE(t);
  auto st = verify_header(*t, cipher);
  REQUIRE_FALSE(st);
  CHECK(st.error().message().find("modified") != std::string::npos);
}

TEST_CASE("header: junk and newer formats are refused with clear errors") {
  auto junk = decode_header(as_bytes("hello"), "usb/config");
  REQUIRE_FALSE(junk);
  // Bytes from a target: damage (exit 1), never a usage error (exit 2).
  CHECK(junk.error().code() == errc::corrupt);
  CHECK(junk.error().message().rfind("usb/config: not a Cairn repository header", 0) == 0);
  auto h = sample_header();
  h.format_version = 99;
  auto newer = decode_header(encode_header(h), "usb/config");
  REQUIRE_FALSE(newer);
  CHECK(newer.error().code() == errc::unsupported);
  CHECK(newer.error().message().find("upgrade") != std::string::npos);
}

TEST_CASE("header: a repository id that is not 32 hex digits is damage (it names local state files)") {
  for (std::string id : std::vector<std::string>{"../../../etc/cron.d/x", "00112233445566778899AABBCCDDEEFF", "0011", std::string(32, 'g'),
                         "00112233445566778899aabbccddeeff/", ""}) {
    auto h = sample_header();
    h.repository_id = id;
    auto bad = decode_header(encode_header(h), "usb/config");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == errc::corrupt);
    CHECK(bad.error().message().find("repository_id") != std::string::npos);
  }
  CHECK(decode_header(encode_header(sample_header()), "usb/config"));
}

TEST_CASE("index: file codec round trip and damage detection") {
  pack_record p{id_of_byte(1), {}, 1234, {}};
  p.salt.fill(7);
  p.blobs.push_back({id_of_byte(2), blob_type::data, 32, 100, 200});
  p.blobs.push_back({id_of_byte(3), blob_type::tree, 132, 50, 40});
  std::vector<pack_record> packs{p, pack_record{id_of_byte(9), {}, 40, {}}};
  auto bytes = encode_index_file(packs);
  CHECK(*decode_index_file(bytes) == packs);
  for (size_t cut = 0; cut < bytes.size(); ++cut)
    CHECK_FALSE(decode_index_file(byte_view(bytes).first(cut)));
}

TEST_CASE("index: claims make exactly one writer store a new blob") {
  blob_index idx;
  auto a = id_of_byte(1);
  CHECK(idx.claim(a));
  CHECK_FALSE(idx.claim(a));
  idx.unclaim(a);
  CHECK(idx.claim(a));
  idx.add({id_of_byte(5), {}, 100, {{a, blob_type::data, 32, 10, 10}}});
  CHECK(idx.contains(a));
  CHECK_FALSE(idx.claim(a));
  CHECK(idx.find(a)->offset == 32);
  CHECK(idx.pack(idx.find(a)->pack).id == id_of_byte(5));
  // A second copy of a blob in another pack keeps the first location.
  idx.add({id_of_byte(6), {}, 100, {{a, blob_type::data, 64, 10, 10}}});
  CHECK(idx.find(a)->offset == 32);
  CHECK(idx.pack_count() == 2);
}

TEST_CASE("pack: written packs parse back and every blob verifies") {
  for (auto mode : {crypto::encryption::aes256gcm, crypto::encryption::none}) {
    auto keys = crypto::new_repository_keys();
    crypto::object_cipher cipher(mode, keys);
    crypto::id_hasher hasher(mode == crypto::encryption::none ? nullptr : keys);
    pack_writer w(cipher, 1 << 20);
    std::vector<byte_buffer> blobs;
    for (int i = 0; i < 10; ++i) {
      byte_buffer b(1000 + i * 100, static_cast<uint8_t>(i));
      w.add(blob_type::data, hasher.id_of(b), encode_blob(b, 3), static_cast<uint32_t>(b.size()));
      blobs.push_back(b);
    }
    auto pack = w.finish().value();
    CHECK(w.empty());
    auto record = parse_pack(pack.bytes, pack.record.id, cipher);
    REQUIRE(record);
    CHECK(*record == pack.record);

    targets::memory_target t;
    REQUIRE(t.put(pack_name(pack.record.id), pack.bytes));
    auto remote = read_pack_record(t, pack.record.id, pack.bytes.size(), cipher);
    REQUIRE(remote);
    CHECK(*remote == pack.record);

    auto pc = cipher.for_pack(pack.record.salt);
    for (size_t i = 0; i < blobs.size(); ++i) {
      const auto& e = pack.record.blobs[i];
      auto plain = open_blob(*pc, e, byte_view(pack.bytes).subspan(e.offset, e.length), hasher);
      REQUIRE(plain);
      CHECK(*plain == blobs[i]);
    }
    // One flipped byte in a blob: that blob fails, its neighbours do not.
    const auto& victim = pack.record.blobs[3];
    pack.bytes[victim.offset + 5] ^= 1;
    auto bad = open_blob(*pc, victim, byte_view(pack.bytes).subspan(victim.offset, victim.length), hasher);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == errc::corrupt);
    const auto& next = pack.record.blobs[4];
    CHECK(open_blob(*pc, next, byte_view(pack.bytes).subspan(next.offset, next.length), hasher));
    CHECK_FALSE(parse_pack(pack.bytes, pack.record.id, cipher));
  }
}

TEST_CASE("tree: round trip keeps every field and odd names") {
  tree t;
  node f;
  f.name = "line\nbreak \xff name";
  f.meta.type = fs::file_type::regular;
  f.meta.mode = 04755;
  f.meta.uid = 1000;
  f.meta.gid = 100;
  f.meta.user = "alice";
  f.meta.mtime_ns = -5;
  f.meta.atime_ns = 1'700'000'000'123'456'789;
  f.meta.size = 12345;
  f.meta.inode = 99;
  f.meta.nlink = 2;
  f.meta.xattrs = {{"user.a", {0, 1, 2}}, {"user.b", {}}};
  f.content = {id_of_byte(1), id_of_byte(2)};
  node d;
  d.name = "dir";
  d.meta.type = fs::file_type::directory;
  d.subtree = id_of_byte(3);
  node l;
  l.name = "link";
  l.meta.type = fs::file_type::symlink;
  l.meta.link_target = "../nowhere";
  t.nodes = {f, d, l};
  sort_nodes(t.nodes);
  auto bytes = encode_tree(t);
  auto back = decode_tree(bytes);
  REQUIRE(back);
  REQUIRE(back->nodes.size() == 3);
  const auto& bf = back->nodes[2];  // names sort bytewise: "dir" < "line..." < "link"
  CHECK(back->nodes[0].name == "dir");
  CHECK(back->nodes[0].subtree == id_of_byte(3));
  CHECK(back->nodes[2].meta.link_target == "../nowhere");
  const auto& bfile = back->nodes[1];
  CHECK(bfile.name == f.name);
  CHECK(bfile.meta.mode == 04755);
  CHECK(bfile.meta.mtime_ns == -5);
  CHECK(bfile.meta.atime_ns == f.meta.atime_ns);
  CHECK(bfile.meta.xattrs == f.meta.xattrs);
  CHECK(bfile.content == f.content);
  (void)bf;
  for (size_t cut = 1; cut < bytes.size(); cut += 7) CHECK_FALSE(decode_tree(byte_view(bytes).first(cut)));
}

TEST_CASE("tree: names that could escape the restore directory are refused") {
  for (std::string bad : {"..", ".", "a/b", ""}) {
    tree t;
    node n;
    n.name = bad;
    n.meta.type = fs::file_type::symlink;
    t.nodes.push_back(n);
    CHECK_FALSE(decode_tree(encode_tree(t)));
  }
}

TEST_CASE("checkpoint: round trip") {
  checkpoint c;
  c.plan = "home";
  c.host = "laptop";
  c.user = "alice";
  c.time_ns = 1'700'000'000'123'456'789;
  c.parent = id_of_byte(4);
  c.tree = id_of_byte(5);
  c.sources = {{"alice", source_type::dir, "/home/alice", {}, {}}};
  c.tags = {"t1"};
  c.program = "cairn 0.1.0";
  c.stats.files = 10;
  c.stats.bytes_uploaded = 999;
  auto back = decode_checkpoint(encode_checkpoint(c));
  REQUIRE(back);
  CHECK(back->plan == "home");
  CHECK(back->time_ns == c.time_ns);
  CHECK(back->parent == c.parent);
  CHECK(back->tree == c.tree);
  CHECK(back->sources == c.sources);
  CHECK(back->stats == c.stats);
  CHECK_FALSE(decode_checkpoint(as_bytes("{}")));
}
