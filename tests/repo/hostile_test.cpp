// Bytes from a target written by an attacker, in both key modes: every length,
// count and depth is bounded before it sizes an allocation or a walk.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <zstd.h>

#include "repo/checker.hpp"
#include "repo/compression.hpp"
#include "repo/repository.hpp"
#include "repo/tree_diff.hpp"
#include "repo/copier.hpp"
#include "repo/tree_search.hpp"
#include "repo/tree_walk.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

object_id id_of_byte(uint8_t b) {
  object_id id;
  id.bytes.fill(b);
  return id;
}

// A repository on a memory target, with helpers that store blobs as a backup
// would (one pack per call, and an index file naming it).
struct world {
  std::shared_ptr<targets::memory_target> mem = std::make_shared<targets::memory_target>();
  crypto::key_ptr keys;
  std::shared_ptr<repository> repo;

  explicit world(crypto::encryption mode = crypto::encryption::aes256gcm) {
    keys = mode == crypto::encryption::none ? nullptr : crypto::new_repository_keys();
    create_options o;
    o.encryption = mode;
    repo = *repository::create(mem, o, keys, {});
  }

  std::vector<object_id> store(blob_type type, const std::vector<byte_buffer>& plains) {
    pack_writer w(repo->cipher(), repo->header().pack_size);
    auto hasher = repo->make_hasher();
    std::vector<object_id> ids;
    std::vector<pack_record> records;
    for (const auto& p : plains) {
      auto id = hasher.id_of(p);
      ids.push_back(id);
      if (!repo->index().claim(id)) continue;
      auto enc = encode_blob(p, 3);
      if (w.would_overflow(enc.size())) {
        auto done = w.finish().value();
        REQUIRE(repo->store_pack(done));
        records.push_back(done.record);
      }
      w.add(type, id, enc, static_cast<uint32_t>(p.size()));
    }
    auto done = w.finish().value();
    REQUIRE(repo->store_pack(done));
    records.push_back(done.record);
    REQUIRE(repo->write_index(records));
    return ids;
  }

  object_id store_tree(const tree& t) { return store(blob_type::tree, {encode_tree(t)})[0]; }

  object_id commit(const object_id& root) {
    checkpoint c;
    c.plan = "p";
    c.time_ns = 1'700'000'000'000'000'000;
    c.tree = root;
    return *repo->write_checkpoint(c);
  }

  std::shared_ptr<repository> reopen() {
    auto header = repository::read_header(*mem);
    REQUIRE(header);
    auto r = repository::open(mem, *header, keys);
    REQUIRE(r);
    return *r;
  }
};

node dir_node(std::string name, const object_id& subtree) {
  node n;
  n.name = std::move(name);
  n.meta.type = fs::file_type::directory;
  n.subtree = subtree;
  return n;
}

node file_node(std::string name) {
  node n;
  n.name = std::move(name);
  n.meta.type = fs::file_type::regular;
  return n;
}

// The trees of a directory `a` and a symlink `a` in one tree, as an attacker
// would encode them (encode_tree writes nodes in the order given).
byte_buffer tree_with(std::vector<node> nodes) {
  tree t;
  t.nodes = std::move(nodes);
  return encode_tree(t);
}

// A zstd frame header that claims `content_size` bytes, followed by one raw
// block of `payload`.
byte_buffer zstd_frame_claiming(uint64_t content_size, const byte_buffer& payload) {
  byte_buffer f{0x28, 0xb5, 0x2f, 0xfd};
  f.push_back(0xe0);  // FCS 8 bytes, single segment
  for (int i = 0; i < 8; ++i) f.push_back(static_cast<uint8_t>(content_size >> (8 * i)));
  uint32_t block = static_cast<uint32_t>(payload.size()) << 3 | 1;  // raw, last
  for (int i = 0; i < 3; ++i) f.push_back(static_cast<uint8_t>(block >> (8 * i)));
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

}  // namespace

TEST_CASE("hostile: a zstd frame claiming 4 GiB is refused before allocating") {
  byte_buffer payload(100, 'x');
  auto encoded = byte_buffer{static_cast<uint8_t>(blob_encoding::zstd)};
  auto frame = zstd_frame_claiming(4ull << 30, payload);
  encoded.insert(encoded.end(), frame.begin(), frame.end());
  auto r = decode_blob(encoded, 100);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::corrupt);
  // The raw length claiming 4 GiB too (a TOC entry that agrees with the frame).
  auto both = decode_blob(encoded, 4ull << 30);
  REQUIRE_FALSE(both);
  CHECK(both.error().code() == errc::corrupt);
}

TEST_CASE("hostile: a zstd frame without a content size cannot grow past the expected size") {
  byte_buffer big(1 << 20, 0);
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> c(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(c.get(), ZSTD_c_contentSizeFlag, 0);
  byte_buffer out(ZSTD_compressBound(big.size()) + 1);
  out[0] = static_cast<uint8_t>(blob_encoding::zstd);
  size_t n = ZSTD_compress2(c.get(), out.data() + 1, out.size() - 1, big.data(), big.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n + 1);
  REQUIRE(ZSTD_getFrameContentSize(out.data() + 1, n) == ZSTD_CONTENTSIZE_UNKNOWN);
  CHECK_FALSE(decode_blob(out, 1000));
  auto whole = decode_blob(out, big.size());  // honest: still decodes
  REQUIRE(whole);
  CHECK(*whole == big);
}

TEST_CASE("hostile: TOC and index entries beyond the format's limits are corrupt") {
  // raw_length 4 GiB - 1 for a data blob; a tree blob over max_tree_bytes;
  // a sealed length far beyond its plaintext; a blob outside its pack.
  std::vector<std::vector<blob_entry>> bad = {
    {{id_of_byte(1), blob_type::data, 32, 100, UINT32_MAX}},
    {{id_of_byte(1), blob_type::tree, 32, 100, max_tree_bytes + 1}},
    {{id_of_byte(1), blob_type::data, 32, 1u << 30, 100}},
    {{id_of_byte(1), blob_type::data, 4, 100, 100}},
  };
  for (const auto& blobs : bad) {
    auto toc = decode_toc(encode_toc(blobs));
    REQUIRE_FALSE(toc);
    CHECK(toc.error().code() == errc::corrupt);
    auto index = decode_index_file(encode_index_file({{id_of_byte(9), {}, 1 << 20, blobs}}));
    REQUIRE_FALSE(index);
    CHECK(index.error().code() == errc::corrupt);
  }
  // A count of 2^60 entries with a few bytes behind it.
  byte_buffer huge{1};
  byte_writer w(huge);
  w.varint(1ull << 60);
  CHECK_FALSE(decode_toc(huge));
  CHECK_FALSE(decode_tree(huge));
  byte_buffer packs{1};
  byte_writer pw(packs);
  pw.varint(1ull << 60);
  CHECK_FALSE(decode_index_file(packs));
}

TEST_CASE("hostile: a data blob larger than the chunker's max_size makes its index file damaged") {
  for (auto mode : {crypto::encryption::aes256gcm, crypto::encryption::none}) {
    world w(mode);
    auto ids = w.store(blob_type::data, {byte_buffer(1000, 1)});
    // An index file that claims the blob has 9 MiB (under the format's 64 MiB,
    // over this repository's 8 MiB chunks).
    auto loc = *w.repo->index().find(ids[0]);
    auto info = w.repo->index().pack(loc.pack);
    pack_record p{info.id, info.salt, info.size, {{ids[0], blob_type::data, loc.offset, loc.length, 9u << 20}}};
    auto forged = w.repo->write_index({p});
    REQUIRE(forged);
    auto r = w.reopen();
    auto report = r->load_index(false, false);
    REQUIRE(report);
    REQUIRE(report->damaged_index_files == std::vector<object_id>{*forged});
    CHECK(report->warnings.at(0).find(index_name(*forged)) != std::string::npos);
    auto blob = r->read_blob(ids[0]);  // the healthy index file still places it
    REQUIRE(blob);
    CHECK(blob->size() == 1000);
  }
}

TEST_CASE("hostile: trees with duplicate, unsorted or unrestorable names are refused") {
  node link;
  link.name = "a";
  link.meta.type = fs::file_type::symlink;
  link.meta.link_target = "/outside";
  std::vector<std::vector<node>> bad = {
    {dir_node("a", id_of_byte(1)), link},          // a directory and a symlink `a`
    {file_node("b"), file_node("a")},              // not in name order
    {file_node(std::string("a\0b", 3))},           // NUL
    {file_node("a/b")}, {file_node("..")}, {file_node(".")}, {file_node("")},
  };
  for (const auto& nodes : bad) {
    auto t = decode_tree(tree_with(nodes));
    REQUIRE_FALSE(t);
    CHECK(t.error().code() == errc::corrupt);
  }
  CHECK(decode_tree(tree_with({file_node("A"), file_node("a"), file_node("\xff")})));
  // An unknown node type.
  auto bytes = tree_with({file_node("a")});
  bytes[4] = 9;  // version, count, name length, 'a', type
  CHECK_FALSE(decode_tree(bytes));

  // At read time, naming the tree: every command gets it.
  world w;
  auto id = w.store_tree(tree{{dir_node("a", id_of_byte(1)), link}});
  auto r = w.repo->read_tree(id);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::corrupt);
  CHECK(r.error().message().find(id.short_hex()) != std::string::npos);
}

TEST_CASE("hostile: a subtree referenced 64 times at 6 levels is measured, not expanded") {
  world w;
  tree leaf{{file_node("f")}};
  object_id level = w.store_tree(leaf);
  for (int depth = 0; depth < 6; ++depth) {
    tree t;
    for (int i = 0; i < 64; ++i) {
      char name[8];
      std::snprintf(name, sizeof name, "d%02d", i);
      t.nodes.push_back(dir_node(name, level));
    }
    level = w.store_tree(t);
  }
  w.commit(level);
  tree_measure m(*w.repo);
  auto extent = m.measure(level);
  REQUIRE(extent);
  CHECK(m.trees_read() == 7);
  CHECK(extent->depth == 6);
  CHECK(extent->entries > max_checkpoint_entries);  // 64 + 64^2 + ... + 64^6 + 64^6
  auto limited = m.check_limits(level, "checkpoint x:");
  REQUIRE_FALSE(limited);
  CHECK(limited.error().code() == errc::corrupt);
  CHECK(limited.error().message().find("entries") != std::string::npos);

  auto report = check_repository(*w.reopen(), {});
  REQUIRE(report);
  CHECK(report->trees == 7);
  CHECK_FALSE(report->ok());
}

TEST_CASE("hostile: a directory chain deeper than the limit is an error, not a crash") {
  world w(crypto::encryption::none);
  tree bottom{{file_node("f")}};
  std::vector<byte_buffer> chain{encode_tree(bottom)};
  auto hasher = w.repo->make_hasher();
  object_id below = hasher.id_of(chain.back());
  for (uint32_t i = 0; i < max_tree_depth + 10; ++i) {
    chain.push_back(encode_tree(tree{{dir_node("d", below)}}));
    below = hasher.id_of(chain.back());
  }
  auto ids = w.store(blob_type::tree, chain);
  object_id root = ids.back();
  w.commit(root);
  tree_measure m(*w.repo);
  auto r = m.measure(root, "cp:");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::corrupt);
  CHECK(r.error().message().find("levels deep") != std::string::npos);
  CHECK(r.error().message().size() < 500);  // one line, not a 4096-level path
  // A chain of just max_tree_depth trees is fine, one more is not.
  auto ok = m.measure(ids[max_tree_depth - 1]);
  REQUIRE(ok);
  CHECK(ok->depth == max_tree_depth - 1);
  CHECK_FALSE(m.measure(ids[max_tree_depth]));

  // Two chains one level apart differ at every level.
  auto diff = diff_trees(*w.repo, ids[ids.size() - 2], root, [](const tree_change&) {});
  REQUIRE_FALSE(diff);
  CHECK(diff.error().code() == errc::corrupt);
  CHECK(diff.error().message().size() < 500);

  auto report = check_repository(*w.reopen(), {});
  REQUIRE(report);
  REQUIRE_FALSE(report->ok());
  CHECK(report->errors.back().find("levels deep") != std::string::npos);
}

TEST_CASE("hostile: one damaged index file costs nothing but a warning") {
  for (auto mode : {crypto::encryption::aes256gcm, crypto::encryption::none}) {
    world w(mode);
    auto a = w.store(blob_type::data, {byte_buffer(3000, 1)});
    auto b = w.store(blob_type::data, {byte_buffer(3000, 2)});
    auto files = w.repo->list_index_files();
    REQUIRE(files->size() == 2);
    auto victim = (*files)[0];
    w.mem->mutate(index_name(victim), [](byte_buffer& bytes) { bytes[bytes.size() / 2] ^= 4; });
    auto r = w.reopen();
    auto report = r->load_index(false, false);
    REQUIRE(report);
    CHECK(report->damaged_index_files == std::vector<object_id>{victim});
    REQUIRE(report->warnings.size() == 1);
    CHECK(report->warnings[0].find(index_name(victim)) != std::string::npos);
    CHECK(r->read_blob(a[0]));
    CHECK(r->read_blob(b[0]));

    auto checked = check_repository(*w.reopen(), {});
    REQUIRE(checked);
    CHECK(checked->damaged_index_files == std::vector<object_id>{victim});
    REQUIRE(checked->errors.size() == 1);
    CHECK(checked->errors[0].find(index_name(victim)) != std::string::npos);
  }
}

TEST_CASE("hostile: a truncated pack is corrupt, never invalid input") {
  world w;
  auto ids = w.store(blob_type::data, {byte_buffer(3000, 1), byte_buffer(5000, 2)});
  auto loc = *w.repo->index().find(ids[1]);
  auto pack = w.repo->index().pack(loc.pack);
  w.mem->mutate(pack_name(pack.id), [&](byte_buffer& bytes) { bytes.resize(loc.offset + 10); });
  auto r = w.repo->read_blob(ids[1]);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::corrupt);
  auto toc = read_pack_record(*w.mem, pack.id, pack.size, w.repo->cipher());
  REQUIRE_FALSE(toc);
  CHECK(toc.error().code() == errc::corrupt);
}

TEST_CASE("hostile: header sizes out of range are damage") {
  world w;
  auto text = std::string(as_chars(*w.mem->get("config")));
  auto at = text.find("\"pack_size\": ");
  REQUIRE(at != std::string::npos);
  auto end = text.find_first_of(",\n", at);
  text.replace(at, end - at, "\"pack_size\": 4294967295");
  REQUIRE(w.mem->put("config", as_bytes(text)));
  auto h = repository::read_header(*w.mem);
  REQUIRE_FALSE(h);
  CHECK(h.error().code() == errc::corrupt);
  REQUIRE(w.mem->put("config", as_bytes("{\"magic\": 1}")));
  h = repository::read_header(*w.mem);
  REQUIRE_FALSE(h);
  CHECK(h.error().code() == errc::corrupt);
}

TEST_CASE("hostile: repair_index rewrites the index of a damaged file, then removes it") {
  for (auto mode : {crypto::encryption::aes256gcm, crypto::encryption::none}) {
    world w(mode);
    auto a = w.store(blob_type::data, {byte_buffer(3000, 1)});
    auto b = w.store(blob_type::data, {byte_buffer(3000, 2)});
    auto files = *w.repo->list_index_files();
    auto victim = files[0];
    w.mem->mutate(index_name(victim), [](byte_buffer& bytes) { bytes[10] ^= 1; });
    auto r = w.reopen();
    auto repaired = repair_index(*r);
    REQUIRE(repaired);
    CHECK(repaired->removed_index_files == std::vector<object_id>{victim});
    CHECK(repaired->packs_indexed == 1);
    REQUIRE(repaired->new_index_files.size() == 1);
    if (repaired->new_index_files[0] != victim) CHECK_FALSE(w.mem->stat(index_name(victim)));
    auto fresh = w.reopen();
    auto report = fresh->load_index(false, false);
    REQUIRE(report);
    CHECK(report->warnings.empty());
    CHECK(fresh->read_blob(a[0]));
    CHECK(fresh->read_blob(b[0]));
    // Nothing left to repair.
    auto again = repair_index(*w.reopen());
    REQUIRE(again);
    CHECK(again->removed_index_files.empty());
    CHECK(again->new_index_files.empty());
  }
}

TEST_CASE("hostile: tree_measure memoizes across roots: a second checkpoint costs only its new trees") {
  world w;
  auto shared = w.store_tree(tree{{file_node("a"), file_node("b")}});
  auto first = w.store_tree(tree{{dir_node("x", shared), dir_node("y", shared)}});
  auto second = w.store_tree(tree{{dir_node("x", shared), file_node("z")}});
  tree_measure m(*w.repo);
  auto a = m.measure(first);
  REQUIRE(a);
  CHECK(a->entries == 2 + 2 * 2);  // x, y and their two files each
  CHECK(a->depth == 1);
  CHECK(m.trees_read() == 2);
  auto b = m.measure(second);
  REQUIRE(b);
  CHECK(b->entries == 2 + 2);
  CHECK(m.trees_read() == 3);
}

// GCC says ASan with __SANITIZE_ADDRESS__, clang with __has_feature.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CAIRN_HAS_ASAN_FEATURE 1
#endif
#endif
#ifndef CAIRN_HAS_ASAN_FEATURE
#define CAIRN_HAS_ASAN_FEATURE 0
#endif

TEST_CASE("hostile: a small pack of highly compressed trees does not expand the tree cache past its limit") {
  world w(crypto::encryption::none);
  // 40 distinct 16 MiB blobs of nearly only zeros (valid blobs in mode none:
  // their ids are their hashes) compress to a few KiB each, in one pack:
  // 640 MiB if the cache decompressed and kept them all.
  pack_writer pw(w.repo->cipher(), w.repo->header().pack_size);
  auto hasher = w.repo->make_hasher();
  std::vector<object_id> ids;
  for (int i = 0; i < 40; ++i) {
    byte_buffer b(16u << 20, 0);
    b[0] = static_cast<uint8_t>(i);
    ids.push_back(hasher.id_of(b));
    pw.add(blob_type::tree, ids.back(), encode_blob(b, 3), static_cast<uint32_t>(b.size()));
  }
  auto pack = pw.finish().value();
  REQUIRE(w.repo->store_pack(pack));
  REQUIRE(w.repo->write_index({pack.record}));
  auto r = w.reopen();
  REQUIRE(r->load_index(false, false));
  auto t = r->read_tree(ids[0]);  // not a tree: corrupt, but read through the cache
  REQUIRE_FALSE(t);
  CHECK(t.error().code() == errc::corrupt);
  CHECK(r->read_tree(ids[39]).error().code() == errc::corrupt);
  struct rusage use {};
  getrusage(RUSAGE_SELF, &use);
#if defined(__SANITIZE_ADDRESS__) || CAIRN_HAS_ASAN_FEATURE
  CHECK(use.ru_maxrss < 1200 * 1024);  // ASan's shadow and quarantine inflate memory; still well below 640 MiB x 2
#else
  CHECK(use.ru_maxrss < 450 * 1024);  // KiB: the 256 MiB cache and a few blobs, not 640 MiB
#endif
}

namespace {

// Removes an index file the first time it is read, as a concurrent prune would
// between the reader's listing and its read.
class vanishing_index : public targets::memory_target {
public:
  std::string victim;
  expected<byte_buffer> get(std::string_view name, targets::byte_range range) override {
    if (!victim.empty() && name == victim) {
      (void)remove(name);
      victim.clear();
    }
    return memory_target::get(name, range);
  }
};

}  // namespace

TEST_CASE("hostile: an index file removed during loading (a concurrent prune) is not an error") {
  auto mem = std::make_shared<vanishing_index>();
  create_options o;
  o.encryption = crypto::encryption::none;
  auto repo = *repository::create(mem, o, nullptr, {});
  pack_writer w(repo->cipher(), repo->header().pack_size);
  auto hasher = repo->make_hasher();
  byte_buffer b(3000, 7);
  auto id = hasher.id_of(b);
  w.add(blob_type::data, id, encode_blob(b, 3), 3000);
  auto pack = w.finish().value();
  REQUIRE(repo->store_pack(pack));
  auto index = repo->write_index({pack.record});
  REQUIRE(index);
  mem->victim = index_name(*index);
  auto reader = *repository::open(mem, *repository::read_header(*mem), nullptr);
  auto report = reader->load_index(false, false);
  REQUIRE(report);
  CHECK(report->warnings.empty());
  CHECK(reader->read_blob(id));  // found through the pack's own table of contents
}

TEST_CASE("hostile: find refuses a subtree referenced 64 times at 6 levels without expanding it") {
  world w;
  object_id level = w.store_tree(tree{{file_node("f")}});
  for (int depth = 0; depth < 6; ++depth) {
    tree t;
    for (int i = 0; i < 64; ++i) {
      char name[8];
      std::snprintf(name, sizeof name, "d%02d", i);
      t.nodes.push_back(dir_node(name, level));
    }
    level = w.store_tree(t);
  }
  tree_finder finder(*w.repo, "f");
  size_t found = 0;
  auto st = finder.find(level, [&](const std::string&, const fs::metadata&) { ++found; });
  REQUIRE_FALSE(st);
  CHECK(st.error().code() == errc::corrupt);
  CHECK(found == 0);
  CHECK(finder.trees_read() == 0);  // measured (7 trees), never walked
}

TEST_CASE("tree_search: find reads a subtree shared by two checkpoints at one path once") {
  world w;
  auto shared = w.store_tree(tree{{file_node("a.txt"), file_node("b.bin")}});
  auto first = w.store_tree(tree{{dir_node("x", shared), file_node("y.txt")}});
  auto second = w.store_tree(tree{{dir_node("x", shared), file_node("z.txt")}});
  tree_finder finder(*w.repo, "*.txt");
  std::vector<std::string> paths;
  auto collect = [&](const std::string& p, const fs::metadata&) { paths.push_back(p); };
  REQUIRE(finder.find(first, collect));
  CHECK(paths == std::vector<std::string>{"x/a.txt", "y.txt"});
  CHECK(finder.trees_read() == 2);
  paths.clear();
  REQUIRE(finder.find(second, collect));
  CHECK(paths == std::vector<std::string>{"x/a.txt", "z.txt"});
  CHECK(finder.trees_read() == 3);  // only the new root
  paths.clear();
  tree_finder anchored(*w.repo, "/x/*");
  REQUIRE(anchored.find(first, collect));
  CHECK(paths == std::vector<std::string>{"x/a.txt", "x/b.bin"});
}

TEST_CASE("tree_search: path_history starts a version when content or presence changes") {
  world w;
  auto v1 = file_node("f");
  v1.content = {id_of_byte(1)};
  auto v2 = file_node("f");
  v2.content = {id_of_byte(2)};
  auto with = [&](const node& f) { return w.store_tree(tree{{dir_node("s", w.store_tree(tree{{f}}))}}); };
  auto empty = w.store_tree(tree{{dir_node("s", w.store_tree(tree{}))}});
  std::vector<object_id> roots{with(v1), with(v1), with(v2), empty, with(v1)};
  auto h = path_history(*w.repo, roots, "s/f");
  REQUIRE(h);
  REQUIRE(h->size() == 4);
  CHECK(((*h)[0].first == 0 && (*h)[0].last == 1 && (*h)[0].present));
  CHECK(((*h)[1].first == 2 && (*h)[1].present));
  CHECK(((*h)[2].first == 3 && !(*h)[2].present));
  CHECK((*h)[3].content == (*h)[0].content);
  CHECK((*h)[1].content != (*h)[0].content);
  auto missing = find_node(*w.repo, roots[0], "s/f/deeper");
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}

TEST_CASE("copier: a checkpoint moves to a repository with other keys, and a second one uploads only what is new") {
  world from, to;
  auto data = from.store(blob_type::data, {byte_buffer(5000, 'a'), byte_buffer(7000, 'b')});
  auto file = file_node("f");
  file.content = data;
  file.meta.size = 12000;
  auto shared = from.store_tree(tree{{file}});
  auto first = from.commit(from.store_tree(tree{{dir_node("src", shared)}}));
  checkpoint_copier copier(*from.repo, *to.repo);
  auto copied = copier.copy(first);
  REQUIRE(copied);
  CHECK(copier.stats().blobs_read == 2);
  CHECK(copier.stats().blobs_new == 4);  // two chunks, two trees
  // Read back through the destination's own keys and ids.
  auto fresh = to.reopen();
  REQUIRE(fresh->load_index(false, false));
  auto c = fresh->read_checkpoint(*copied);
  REQUIRE(c);
  auto n = find_node(*fresh, c->tree, "src/f");
  REQUIRE(n);
  REQUIRE(n->has_value());
  REQUIRE((*n)->content.size() == 2);
  CHECK((*n)->content[0] != data[0]);  // keyed ids differ per repository
  CHECK(*fresh->read_blob((*n)->content[1]) == byte_buffer(7000, 'b'));

  // A second checkpoint sharing the subtree: only its new root is stored.
  auto second = from.commit(from.store_tree(tree{{file_node("g"), dir_node("src", shared)}}));
  auto before = copier.stats();
  auto second_copy = copier.copy(second);
  if (!second_copy) FAIL(second_copy.error().message());
  CHECK(copier.stats().blobs_read == before.blobs_read);
  CHECK(copier.stats().blobs_new == before.blobs_new + 1);
}

TEST_CASE("copier: a chunk larger than the destination accepts is refused before anything is written") {
  world from;
  world to;
  auto small = to.repo->header();
  auto big = from.store(blob_type::data, {byte_buffer(small.chunker.max_size + 1, 'z')});
  auto file = file_node("f");
  file.content = big;
  auto cp = from.commit(from.store_tree(tree{{file}}));
  checkpoint_copier copier(*from.repo, *to.repo);
  auto r = copier.copy(cp);
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::unsupported);
  auto listed = to.repo->list_checkpoints();
  REQUIRE(listed);
  CHECK(listed->empty());
}
