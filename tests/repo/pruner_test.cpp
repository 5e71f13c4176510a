#include <doctest/doctest.h>

#include "repo/compression.hpp"
#include "repo/pruner.hpp"
#include "targets/faulty_target.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

// A repository on a memory target (behind a fault injector) with two
// checkpoints: the first holds files a and b, the second b and c.
struct world {
  std::shared_ptr<targets::memory_target> mem = std::make_shared<targets::memory_target>();
  std::shared_ptr<targets::faulty_target> faulty = std::make_shared<targets::faulty_target>(mem);
  crypto::key_ptr keys = crypto::new_repository_keys();
  std::shared_ptr<repository> repo;
  std::map<std::string, std::vector<object_id>> files;  // name -> chunks
  object_id first, second;

  world() {
    create_options o;
    o.pack_size = 64 << 10;
    repo = *repository::create(faulty, o, keys, {});
    pack_writer data(repo->cipher(), o.pack_size), trees(repo->cipher(), o.pack_size);
    std::vector<pack_record> records;
    auto flush = [&](pack_writer& w) {
      if (w.empty()) return;
      auto p = w.finish().value();
      REQUIRE(repo->store_pack(p));
      records.push_back(p.record);
    };
    auto hasher = repo->make_hasher();
    auto add = [&](pack_writer& w, blob_type type, const byte_buffer& plain) {
      auto id = hasher.id_of(plain);
      if (!repo->index().claim(id)) return id;
      auto enc = encode_blob(plain, 3);
      if (w.would_overflow(enc.size())) flush(w);
      w.add(type, id, enc, static_cast<uint32_t>(plain.size()));
      return id;
    };
    int seed = 0;
    for (const char* name : {"a", "b", "c"}) {
      for (int i = 0; i < 6; ++i) {
        byte_buffer chunk(9000);
        for (auto& x : chunk) x = static_cast<uint8_t>(++seed * 2654435761u >> 13);
        files[name].push_back(add(data, blob_type::data, chunk));
      }
    }
    auto tree_of = [&](std::vector<std::string> names) {
      tree t;
      for (const auto& n : names) {
        node f;
        f.name = n;
        f.meta.type = fs::file_type::regular;
        f.meta.size = 6 * 9000;
        f.content = files[n];
        t.nodes.push_back(f);
      }
      return add(trees, blob_type::tree, encode_tree(t));
    };
    auto t1 = tree_of({"a", "b"}), t2 = tree_of({"b", "c"});
    flush(data);
    flush(trees);
    REQUIRE(repo->write_index(records));
    checkpoint c;
    c.plan = "p";
    c.tree = t1;
    first = *repo->write_checkpoint(c);
    c.tree = t2;
    second = *repo->write_checkpoint(c);
  }

  // Opens the repository afresh, as the next command would.
  std::shared_ptr<repository> reopen() {
    auto header = repository::read_header(*mem);
    REQUIRE(header);
    auto r = repository::open(mem, *header, keys);
    REQUIRE(r);
    REQUIRE((*r)->load_index(true, false));
    return *r;
  }

  void expect_readable(repository& r, const std::vector<std::string>& names) {
    for (const auto& n : names)
      for (const auto& id : files[n]) CHECK_MESSAGE(r.read_blob(id), "file " << n);
  }
};

}  // namespace

TEST_CASE("prune: the data only a forgotten checkpoint used goes, the rest stays readable") {
  world w;
  REQUIRE(w.repo->remove_checkpoint(w.first));
  auto r = prune_repository(*w.repo, {});
  REQUIRE_MESSAGE(r, (r ? "" : r.error().message()));
  CHECK(r->checkpoints == 1);
  CHECK(r->bytes_freed > 0);
  auto fresh = w.reopen();
  w.expect_readable(*fresh, {"b", "c"});
  for (const auto& id : w.files["a"]) CHECK_FALSE(fresh->index().contains(id));
  // A second prune finds nothing more to do.
  auto again = prune_repository(*fresh, {});
  REQUIRE(again);
  CHECK(again->packs_deleted == 0);
  CHECK(again->packs_repacked == 0);
}

TEST_CASE("prune: a target failing removals half-way leaves every checkpoint readable") {
  world w;
  REQUIRE(w.repo->remove_checkpoint(w.first));
  targets::fault_rule no_pack_removal;
  no_pack_removal.op = targets::operation::remove;
  no_pack_removal.prefix = "data/";
  no_pack_removal.code = errc::io;
  w.faulty->add_rule(no_pack_removal);
  auto r = prune_repository(*w.repo, {});
  CHECK_FALSE(r);
  w.faulty->clear_rules();
  auto fresh = w.reopen();
  w.expect_readable(*fresh, {"b", "c"});
  auto second = prune_repository(*fresh, {});
  REQUIRE_MESSAGE(second, (second ? "" : second.error().message()));
  w.expect_readable(*w.reopen(), {"b", "c"});
}

TEST_CASE("prune: uploads failing while repacking delete nothing") {
  world w;
  REQUIRE(w.repo->remove_checkpoint(w.first));
  targets::fault_rule no_put;
  no_put.op = targets::operation::put;
  no_put.prefix = "data/";
  no_put.code = errc::io;
  w.faulty->add_rule(no_put);
  auto packs = [&] {
    size_t n = 0;
    (void)w.mem->list("data/", [&](const targets::object_info&) { return ++n, true; });
    return n;
  };
  auto before = packs();
  auto r = prune_repository(*w.repo, {});
  w.faulty->clear_rules();
  REQUIRE_FALSE(r);  // a pack shared by a and b must be rewritten, and cannot be
  CHECK(packs() == before);  // it failed before removing anything
  auto fresh = w.reopen();
  w.expect_readable(*fresh, {"b", "c"});
}

TEST_CASE("prune: a checkpoint that cannot be read stops it before anything is removed") {
  world w;
  targets::fault_rule bad;
  bad.op = targets::operation::get;
  bad.prefix = "checkpoints/" + w.second.hex();
  bad.corrupt_read = true;
  w.faulty->add_rule(bad);
  REQUIRE(w.repo->remove_checkpoint(w.first));
  auto r = prune_repository(*w.repo, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().message().find("cannot prune: checkpoint " + w.second.short_hex()) != std::string::npos);
  w.faulty->clear_rules();
  w.expect_readable(*w.reopen(), {"a", "b", "c"});  // nothing was deleted, not even a's data
}
