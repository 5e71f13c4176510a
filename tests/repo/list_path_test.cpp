// list_path: what `ls` shows at a path of a checkpoint, read from real trees
// in a repository on a memory target.
#include <doctest/doctest.h>

#include "repo/compression.hpp"
#include "repo/repository.hpp"
#include "repo/tree_search.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

struct trees {
  std::shared_ptr<repository> repo;

  trees() {
    create_options o;
    o.encryption = crypto::encryption::none;
    repo = *repository::create(std::make_shared<targets::memory_target>(), o, nullptr, {});
  }

  object_id store(const tree& t) {
    auto plain = encode_tree(t);
    auto id = repo->make_hasher().id_of(plain);
    pack_writer w(repo->cipher(), repo->header().pack_size);
    w.add(blob_type::tree, id, encode_blob(plain, 3), static_cast<uint32_t>(plain.size()));
    auto done = w.finish().value();
    REQUIRE(repo->store_pack(done));
    REQUIRE(repo->write_index({done.record}));
    return id;
  }
};

node entry(std::string name, fs::file_type type, object_id subtree = {}) {
  node n;
  n.name = std::move(name);
  n.meta.type = type;
  n.subtree = subtree;
  return n;
}

std::vector<std::string> names(const expected<std::vector<node>>& nodes) {
  std::vector<std::string> out;
  if (nodes)
    for (const auto& n : *nodes) out.push_back(n.name);
  return out;
}

}  // namespace

TEST_CASE("list_path: the root, a directory, a file, and what is not there") {
  trees t;
  auto docs = t.store(tree{{entry("a.txt", fs::file_type::regular), entry("b.txt", fs::file_type::regular)}});
  auto alice = t.store(tree{{entry("docs", fs::file_type::directory, docs), entry("link", fs::file_type::symlink)}});
  auto root = t.store(tree{{entry("alice", fs::file_type::directory, alice), entry("db", fs::file_type::directory, docs)}});

  CHECK(names(list_path(*t.repo, root, "")) == std::vector<std::string>{"alice", "db"});
  CHECK(names(list_path(*t.repo, root, "/")) == std::vector<std::string>{"alice", "db"});
  CHECK(names(list_path(*t.repo, root, "alice")) == std::vector<std::string>{"docs", "link"});
  CHECK(names(list_path(*t.repo, root, "alice/docs/")) == std::vector<std::string>{"a.txt", "b.txt"});
  CHECK(names(list_path(*t.repo, root, "/alice//docs")) == std::vector<std::string>{"a.txt", "b.txt"});
  CHECK(names(list_path(*t.repo, root, "alice/docs/b.txt")) == std::vector<std::string>{"b.txt"});
  CHECK(names(list_path(*t.repo, root, "alice/link")) == std::vector<std::string>{"link"});

  for (const char* missing : {"bob", "alice/docs/c.txt", "alice/docs/a.txt/deeper", "alice/link/x"}) {
    CAPTURE(missing);
    auto r = list_path(*t.repo, root, missing);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == errc::not_found);
    CHECK(r.error().message() == "\"" + std::string(missing) + "\" is not in the checkpoint");
  }
}

TEST_CASE("list_path: a very long path below a missing name ends there") {
  trees t;
  auto root = t.store(tree{{entry("a", fs::file_type::regular)}});
  std::string deep;
  for (int i = 0; i < 10000; ++i) deep += "d/";
  auto r = list_path(*t.repo, root, deep + "x");
  REQUIRE_FALSE(r);
  CHECK(r.error().code() == errc::not_found);
}
