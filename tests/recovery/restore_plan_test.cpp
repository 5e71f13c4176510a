#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <tuple>

#include "recovery/restore_plan.hpp"
#include "repo/compression.hpp"
#include "repo/pack.hpp"
#include "repo/tree.hpp"
#include "repo/tree_walk.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::recovery;

namespace {

// A repository in memory (mode none: what an attacker can write to a
// target unhindered) and trees stored as a backup would store them.
struct hostile_repo {
  std::shared_ptr<targets::memory_target> mem = std::make_shared<targets::memory_target>();
  std::shared_ptr<repo::repository> repository;
  std::unique_ptr<repo::pack_writer> writer;
  std::vector<repo::pack_record> records;

  hostile_repo() {
    repo::create_options o;
    o.encryption = crypto::encryption::none;
    o.pack_size = 1 << 20;
    auto r = repo::repository::create(mem, o, nullptr, {});
    REQUIRE(r);
    repository = *r;
    writer = std::make_unique<repo::pack_writer>(repository->cipher(), repository->header().pack_size);
  }

  object_id store(const repo::tree& t) {
    auto bytes = repo::encode_tree(t);
    auto id = repository->make_hasher().id_of(bytes);
    if (repository->index().claim(id)) {
      writer->add(repo::blob_type::tree, id, repo::encode_blob(bytes, 3), static_cast<uint32_t>(bytes.size()));
      if (writer->full()) flush();
    }
    return id;
  }

  void flush() {
    if (writer->empty()) return;
    auto p = writer->finish().value();
    REQUIRE(repository->store_pack(p));
    records.push_back(p.record);
  }

  void finish() {
    flush();
    REQUIRE(repository->write_index(records));
  }
};

repo::node dir_node(const std::string& name, const object_id& subtree) {
  repo::node n;
  n.name = name;
  n.meta.type = fs::file_type::directory;
  n.meta.mode = 0755;
  n.subtree = subtree;
  return n;
}

repo::node file_node(const std::string& name) {
  repo::node n;
  n.name = name;
  n.meta.type = fs::file_type::regular;
  n.meta.mode = 0644;
  return n;
}

repo::node link_node(const std::string& name, const std::string& target) {
  repo::node n;
  n.name = name;
  n.meta.type = fs::file_type::symlink;
  n.meta.link_target = target;
  return n;
}

}  // namespace

TEST_CASE("restore_plan: a tree graph that reuses subtrees to blow up is refused before expansion") {
  hostile_repo h;
  repo::tree leaf;
  for (int i = 0; i < 64; ++i) leaf.nodes.push_back(file_node("f" + std::to_string(100 + i)));
  object_id level = h.store(leaf);
  for (int depth = 0; depth < 6; ++depth) {  // 64^7 entries once expanded
    repo::tree t;
    for (int i = 0; i < 64; ++i) t.nodes.push_back(dir_node("d" + std::to_string(100 + i), level));
    level = h.store(t);
  }
  repo::tree root;
  root.nodes.push_back(dir_node("src", level));
  auto root_id = h.store(root);
  h.finish();

  repo::tree_measure measure(*h.repository);
  auto size = measure.measure(root_id);
  REQUIRE(size);
  CHECK(size->entries > repo::max_checkpoint_entries);
  auto start = std::chrono::steady_clock::now();
  auto plan = plan_restore(*h.repository, root_id, {});
  REQUIRE_FALSE(plan);
  CHECK(plan.error().message().find("50000000") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  // --path into the bomb is measured too.
  CHECK_FALSE(plan_restore(*h.repository, root_id, {"src/d100"}));
}

TEST_CASE("restore_plan: a directory chain deeper than the limit is refused, without recursion") {
  hostile_repo h;
  repo::tree bottom;
  bottom.nodes.push_back(file_node("deep.txt"));
  object_id level = h.store(bottom);
  for (uint32_t i = 0; i < repo::max_tree_depth + 100; ++i) {
    repo::tree t;
    t.nodes.push_back(dir_node("d", level));
    level = h.store(t);
  }
  h.finish();
  auto plan = plan_restore(*h.repository, level, {});
  REQUIRE_FALSE(plan);
  CHECK(plan.error().code() == errc::corrupt);
}

TEST_CASE("restore_plan: duplicate, unsorted and unsafe names are refused as damage") {
  struct row {
    const char* what;
    std::vector<repo::node> nodes;
  };
  hostile_repo h;
  repo::tree empty;
  auto empty_id = h.store(empty);
  std::vector<row> rows = {
    {"a directory and a symlink of one name", {dir_node("a", empty_id), link_node("a", "/outside")}},
    {"names out of order", {file_node("b"), file_node("a")}},
    {"..", {dir_node("..", empty_id)}},
    {".", {file_node(".")}},
    {"empty name", {file_node("")}},
    {"a slash", {file_node("a/../../x")}},
  };
  std::vector<object_id> roots;
  for (auto& r : rows) {
    repo::tree inner{r.nodes};
    repo::tree root;
    root.nodes.push_back(dir_node("src", h.store(inner)));
    roots.push_back(h.store(root));
  }
  h.finish();
  for (size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(rows[i].what);
    auto plan = plan_restore(*h.repository, roots[i], {});
    REQUIRE_FALSE(plan);
    CHECK(plan.error().code() == errc::corrupt);
  }
}

TEST_CASE("restore_plan: reused subtrees within the limits are expanded, parents first") {
  hostile_repo h;
  repo::tree leaf;
  leaf.nodes.push_back(file_node("x"));
  auto leaf_id = h.store(leaf);
  repo::tree src;
  src.nodes = {dir_node("a", leaf_id), dir_node("b", leaf_id)};
  repo::tree root;
  root.nodes.push_back(dir_node("src", h.store(src)));
  auto root_id = h.store(root);
  h.finish();
  auto plan = plan_restore(*h.repository, root_id, {});
  REQUIRE(plan);
  std::vector<std::string> paths;
  for (size_t i = 0; i < plan->entries.size(); ++i) paths.push_back(plan->path(i));
  CHECK(paths == std::vector<std::string>{"src", "src/a", "src/b", "src/a/x", "src/b/x"});
}

namespace {

object_id id_of_byte(uint8_t b) {
  object_id id;
  std::fill(id.bytes.begin(), id.bytes.end(), b);
  return id;
}

}  // namespace

TEST_CASE("restore_plan: flat blobs by pack and offset, shared blobs, paths from parents and names") {
  // Trees and blob places in memory: x and y share blob 1; z uses a blob no pack holds.
  std::map<object_id, repo::tree> trees;
  auto file = [](const std::string& name, std::vector<object_id> content, uint64_t size) {
    auto n = file_node(name);
    n.content = std::move(content);
    n.meta.size = size;
    return n;
  };
  repo::tree sub;
  sub.nodes = {file("x", {id_of_byte(1), id_of_byte(2)}, 300), file("y", {id_of_byte(3), id_of_byte(1)}, 250),
               file("z", {id_of_byte(4), id_of_byte(9)}, 10), link_node("l", "x")};
  trees[id_of_byte(100)] = sub;
  repo::tree root;
  root.nodes = {dir_node("src", id_of_byte(101))};
  trees[id_of_byte(102)] = root;
  repo::tree src;
  src.nodes = {dir_node("sub", id_of_byte(100))};
  trees[id_of_byte(101)] = src;
  // blob -> (pack, offset, raw length)
  std::map<object_id, std::tuple<uint32_t, uint32_t, uint32_t>> places{
    {id_of_byte(1), {7, 500, 100}}, {id_of_byte(2), {3, 0, 200}}, {id_of_byte(3), {7, 40, 150}},
    {id_of_byte(4), {3, 900, 10}}};
  restore_source source{
    [&](const object_id& id) -> expected<repo::tree> {
      auto it = trees.find(id);
      if (it == trees.end()) return fail(errc::not_found, "no tree");
      return it->second;
    },
    [&](const object_id& id) -> std::optional<repo::blob_index::location> {
      auto it = places.find(id);
      if (it == places.end()) return std::nullopt;
      repo::blob_index::location loc;
      loc.pack = std::get<0>(it->second);
      loc.offset = std::get<1>(it->second);
      loc.length = std::get<2>(it->second) + 16;
      loc.raw_length = std::get<2>(it->second);
      return loc;
    }};
  for (bool by_path : {false, true}) {
    CAPTURE(by_path);
    auto plan = plan_restore(source, id_of_byte(102), by_path ? std::vector<std::string>{"src/sub"}
                                                              : std::vector<std::string>{});
    REQUIRE(plan);
    std::vector<std::string> paths;
    for (size_t i = 0; i < plan->entries.size(); ++i) paths.push_back(plan->path(i));
    CHECK(paths == std::vector<std::string>{"src", "src/sub", "src/sub/x", "src/sub/y", "src/sub/z", "src/sub/l"});
    CHECK(plan->name(2) == "x");
    CHECK(plan->link_target(5) == "x");
    CHECK(plan->meta(5).link_target == "x");
    CHECK(plan->meta(2).size == 300);
    // z's second blob is missing: it is named, and gets no chunks nor targets.
    CHECK(plan->entries[4].missing_content);
    CHECK(plan->entries[4].chunks == 0);
    REQUIRE(plan->missing.size() == 1);
    CHECK(plan->missing[0].find("src/sub/z: ") == 0);
    // Packs ascending, blobs by offset in each; blob 1 once, with both targets.
    REQUIRE(plan->packs.size() == 2);
    CHECK(plan->packs[0].pack == 3);
    CHECK(plan->packs[1].pack == 7);
    std::vector<uint32_t> offsets;
    for (const auto& w : plan->packs)
      for (const auto& b : plan->blobs_of(w)) offsets.push_back(b.blob.offset);
    CHECK(offsets == std::vector<uint32_t>{0, 40, 500});
    auto shared = plan->blobs_of(plan->packs[1])[1];
    CHECK(shared.blob.id == id_of_byte(1));
    auto targets = plan->targets_of(shared);
    REQUIRE(targets.size() == 2);
    CHECK(targets[0].entry == 2);
    CHECK(targets[0].offset == 0);
    CHECK(targets[1].entry == 3);
    CHECK(targets[1].offset == 150);
    // Each file's content in order, as numbers of the plan's blobs.
    auto x = plan->content(2);
    REQUIRE(x.size() == 2);
    CHECK(plan->blobs[x[0]].blob.id == id_of_byte(1));
    CHECK(plan->blobs[x[1]].blob.id == id_of_byte(2));
    CHECK(plan->files == 3);
    CHECK(plan->bytes == 560);
  }
}
