// The backup walk without an actor system: a sink that seals on the test's
// own thread into memory, real files, a real catalog for the file cache.
#include <doctest/doctest.h>

#include <unistd.h>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "backup/dir_walk.hpp"
#include "support/temp_dir.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace std::chrono_literals;

namespace {

const repo::chunker_params small_chunks{4 << 10, 16 << 10, 64 << 10, 7};

std::string random_bytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(gen());
  return s;
}

void write(const std::filesystem::path& p, const std::string& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

std::shared_ptr<repo::repository> memory_repository() {
  repo::create_options o;
  o.encryption = crypto::encryption::none;
  o.chunker = small_chunks;
  return *repo::repository::create(std::make_shared<targets::memory_target>(), o, nullptr, {});
}

// Seals on the test's thread, later than asked (as an actor would); keeps
// every blob's plaintext; writes file cache rows to a real catalog.
struct memory_sink final : backup::walk_sink {
  std::vector<std::shared_ptr<repo::repository>> repos;
  std::unique_ptr<catalog::catalog> db;
  std::deque<std::function<void()>> queue;
  std::map<object_id, std::string> blobs;
  progress_counters done;
  std::vector<std::string> read;  // reading() calls
  std::optional<expected<backup::source_result>> result;
  uint32_t failing = 0;  // bit i: storing in target i fails
  bool broken = false;   // every seal fails outright
  size_t tree_seals = 0;

  void seal(chunk_ptr data, uint32_t targets, repo::blob_type type, sealed done_fn) override {
    if (type == repo::blob_type::tree) ++tree_seals;
    queue.push_back([this, data, targets, done_fn] {
      if (broken) return done_fn(cairn::fail(errc::io, "the sealer is gone"));
      backup::seal_result r;
      r.ids.resize(repos.size());
      r.errors.resize(repos.size());
      for (size_t t = 0; t < repos.size(); ++t) {
        if (!(targets & (1u << t))) continue;
        auto id = repos[t]->make_hasher().id_of(data->view());
        r.ids[t] = id;
        if (failing & (1u << t)) {
          r.failed |= 1u << t;
          r.errors[t] = "target " + std::to_string(t) + " is full";
          continue;
        }
        blobs[id] = std::string(reinterpret_cast<const char*>(data->view().data()), data->size());
        repos[t]->index().add_known({id});
      }
      done_fn(std::move(r));
    });
  }
  void store_cache(catalog::file_cache_update u) override {
    REQUIRE(db->store_directory(u.plan, u.target, u.directory, u.entries, u.seal.get()));
  }
  void reading(const std::string& path) override { read.push_back(path); }
  void progress(const progress_counters& c) override {
    done.files += c.files;
    done.bytes += c.bytes;
    done.errors += c.errors;
  }
  void resume(std::chrono::milliseconds) override {}  // the driver pumps anyway
  std::function<void()> waker() override { return [] {}; }
  void finish(expected<backup::source_result> r) override { result = std::move(r); }

  // Runs the walk to its end on this thread.
  expected<backup::source_result> drive(backup::dir_walk& walk) {
    walk.start();
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!result && std::chrono::steady_clock::now() < deadline) {
      if (!queue.empty()) {
        auto next = std::move(queue.front());
        queue.pop_front();
        next();
        continue;
      }
      walk.pump();
      if (queue.empty() && !result) std::this_thread::sleep_for(1ms);
    }
    REQUIRE(result);
    return std::move(*result);
  }

  std::string content(const std::vector<object_id>& chunks) const {
    std::string out;
    for (const auto& id : chunks) out += blobs.at(id);
    return out;
  }
  repo::tree tree(const object_id& id) const {
    const auto& b = blobs.at(id);
    return *repo::decode_tree(byte_view(reinterpret_cast<const uint8_t*>(b.data()), b.size()));
  }
  // path "a/b" below the root node of target t
  std::optional<repo::node> find(const backup::source_result& r, const std::string& path, size_t t = 0) const {
    auto level = tree(r.roots[t].subtree);
    std::string rest = path;
    while (true) {
      auto slash = rest.find('/');
      auto name = rest.substr(0, slash);
      std::optional<repo::node> hit;
      for (const auto& n : level.nodes)
        if (n.name == name) hit = n;
      if (!hit || slash == std::string::npos) return hit;
      level = tree(hit->subtree);
      rest = rest.substr(slash + 1);
    }
  }
};

struct fixture {
  cairn::testing::temp_dir t;
  memory_sink sink;
  std::filesystem::path root = t / "src";

  explicit fixture(size_t targets = 1) {
    for (size_t i = 0; i < targets; ++i) sink.repos.push_back(memory_repository());
    sink.db = std::move(*catalog::catalog::open(t / "state"));
  }
  backup::walk_options options() {
    backup::walk_options o;
    o.plan = "p";
    o.source.type = config::source_type::dir;
    o.source.name = "src";
    o.source.path = root;
    for (size_t i = 0; i < sink.repos.size(); ++i) o.target_names.push_back("t" + std::to_string(i));
    o.repos = sink.repos;
    o.state_dir = t / "state";
    o.chunker = small_chunks;
    return o;
  }
  expected<backup::source_result> walk() {
    sink.result.reset();
    backup::dir_walk w(sink, options());
    return sink.drive(w);
  }
};

}  // namespace

TEST_CASE("dir_walk: one tree per directory, and every file reads back from its chunks") {
  fixture f;
  auto big = random_bytes(300 << 10, 1);
  write(f.root / "big.bin", big);
  write(f.root / "docs" / "a.txt", "alpha");
  write(f.root / "docs" / "deeper" / "b.txt", "beta");
  std::filesystem::create_directories(f.root / "empty");
  std::filesystem::create_symlink("docs/a.txt", f.root / "link");
  auto r = f.walk();
  REQUIRE(r);
  REQUIRE(r->roots.size() == 1);
  CHECK(r->roots[0].name == "src");
  std::vector<std::string> names;
  for (const auto& n : f.sink.tree(r->roots[0].subtree).nodes) names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"big.bin", "docs", "empty", "link"});
  auto b = f.sink.find(*r, "big.bin");
  REQUIRE(b);
  CHECK(b->content.size() > 1);  // cut into several chunks
  CHECK(f.sink.content(b->content) == big);
  CHECK(f.sink.content(f.sink.find(*r, "docs/deeper/b.txt")->content) == "beta");
  CHECK(f.sink.find(*r, "link")->meta.type == fs::file_type::symlink);
  CHECK(f.sink.tree(f.sink.find(*r, "empty")->subtree).nodes.empty());
  CHECK(r->stats.files == 3);
  CHECK(r->stats.files_new == 3);
  CHECK(r->stats.dirs == 4);
  CHECK(r->stats.bytes_read == big.size() + 5 + 4);
  CHECK(r->skipped.empty());
  CHECK(f.sink.done.files == 3);
  CHECK(f.sink.done.bytes == big.size() + 9);
}

TEST_CASE("dir_walk: the next walk reads only the files that changed, and a hard-linked file once") {
  fixture f;
  auto shared = random_bytes(100 << 10, 2);
  write(f.root / "a" / "shared", shared);
  std::filesystem::create_hard_link(f.root / "a" / "shared", f.root / "b-shared");
  write(f.root / "a" / "same", "unchanged");
  write(f.root / "a" / "moving", "before");
  auto first = f.walk();
  REQUIRE(first);
  CHECK(first->stats.files == 4);
  CHECK(first->stats.bytes_read == shared.size() + 9 + 6);  // the second name is not read
  CHECK(f.sink.content(f.sink.find(*first, "b-shared")->content) == shared);
  CHECK(f.sink.find(*first, "b-shared")->content == f.sink.find(*first, "a/shared")->content);

  write(f.root / "a" / "moving", "after, longer");
  auto second = f.walk();
  REQUIRE(second);
  CHECK(second->stats.bytes_read == 13);
  CHECK(second->stats.files_changed == 1);
  CHECK(second->stats.files_unchanged == 3);
  CHECK(f.sink.content(f.sink.find(*second, "a/moving")->content) == "after, longer");
  CHECK(f.sink.content(f.sink.find(*second, "a/same")->content) == "unchanged");
  CHECK(f.sink.find(*second, "a/shared")->content == f.sink.find(*first, "a/shared")->content);
}

TEST_CASE("dir_walk: a tree its target stores already is not sealed again, one only claimed is") {
  fixture f;
  write(f.root / "a" / "b" / "deep.txt", "deep");
  write(f.root / "c" / "side.txt", "side");
  auto first = f.walk();
  REQUIRE(first);
  CHECK(f.sink.tree_seals == 4);  // the root, a, a/b, c

  f.sink.tree_seals = 0;
  auto same = f.walk();
  REQUIRE(same);
  CHECK(f.sink.tree_seals == 0);
  CHECK(same->roots[0].subtree == first->roots[0].subtree);
  CHECK(same->stats.dirs == 4);

  write(f.root / "a" / "b" / "deep.txt", "deeper now");
  f.sink.tree_seals = 0;
  auto changed = f.walk();
  REQUIRE(changed);
  CHECK(f.sink.tree_seals == 3);  // a/b and its parents; c is stored already
  CHECK(f.sink.content(f.sink.find(*changed, "a/b/deep.txt")->content) == "deeper now");
  CHECK(f.sink.find(*changed, "c")->subtree == f.sink.find(*first, "c")->subtree);

  // A tree a writer of this run has claimed and not yet stored is not stored:
  // the walk hands it to the sink like a new one.
  std::filesystem::create_directories(f.root / "fresh");
  auto empty_id = f.sink.repos[0]->make_hasher().id_of(repo::encode_tree(repo::tree{}));
  REQUIRE(f.sink.repos[0]->index().claim(empty_id));
  f.sink.tree_seals = 0;
  auto claimed = f.walk();
  REQUIRE(claimed);
  CHECK(f.sink.tree_seals == 2);  // the empty "fresh" and the root
  CHECK(f.sink.find(*claimed, "fresh")->subtree == empty_id);
}

TEST_CASE("dir_walk: a target that fails is dropped and the other gets the whole checkpoint") {
  fixture f(2);
  write(f.root / "x", random_bytes(50 << 10, 3));
  f.sink.failing = 2;
  auto r = f.walk();
  REQUIRE(r);
  CHECK(r->failed == 2);
  CHECK(r->target_errors[1] == "target 1 is full");
  CHECK(r->target_errors[0].empty());
  CHECK(f.sink.content(f.sink.find(*r, "x")->content).size() == 50 << 10);
}

TEST_CASE("dir_walk: a seal that fails ends the walk with its error, and stop() as cancelled") {
  fixture f;
  write(f.root / "x", "some bytes");
  f.sink.broken = true;
  auto r = f.walk();
  REQUIRE(!r);
  CHECK(r.error().message() == "the sealer is gone");

  fixture g;
  write(g.root / "y", "more bytes");
  backup::dir_walk w(g.sink, g.options());
  w.start();
  w.stop();
  REQUIRE(g.sink.result);
  REQUIRE(!*g.sink.result);
  CHECK(g.sink.result->error().code() == errc::cancelled);
}

TEST_CASE("dir_walk: a source path that is not a directory fails with where it was configured") {
  fixture f;
  write(f.root, "a file");
  auto r = f.walk();
  REQUIRE(!r);
  CHECK(r.error().code() == errc::invalid_input);
  CHECK(r.error().message().find("is not a directory") != std::string::npos);
}
