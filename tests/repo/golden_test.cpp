#include <doctest/doctest.h>

#include <sys/stat.h>

#include "crypto/keyfile.hpp"
#include "repo/repository.hpp"
#include "support/temp_dir.hpp"
#include "targets/local_target.hpp"

using namespace cairn;
using namespace cairn::repo;

// Repositories written by earlier versions of the format must stay readable.
// tests/data/format-v1-*/ were written once by `cairn` (see the README there)
// and are never regenerated.

namespace {

std::string read_file(const repository& r, const std::vector<object_id>& chunks) {
  std::string out;
  for (const auto& id : chunks) {
    auto blob = r.read_blob(id);
    REQUIRE(blob);
    out.append(blob->begin(), blob->end());
  }
  return out;
}

const node* find(const tree& t, const std::string& name) {
  for (const auto& n : t.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

void check_golden(const std::string& dir, crypto::key_ptr keys) {
  auto target = std::make_shared<targets::local_target>(dir + "/repository");
  auto header = repository::read_header(*target);
  REQUIRE(header);
  CHECK(header->format_version == 1);
  auto repo = repository::open(target, *header, keys);
  REQUIRE(repo);
  auto loaded = (*repo)->load_index(true, false);
  REQUIRE(loaded);
  CHECK(loaded->warnings.empty());
  auto ids = (*repo)->list_checkpoints();
  REQUIRE(ids);
  REQUIRE(ids->size() == 1);
  auto cp = (*repo)->read_checkpoint(ids->front());
  REQUIRE(cp);
  CHECK(cp->plan == "golden");
  auto root = (*repo)->read_tree(cp->tree);
  REQUIRE(root);
  const auto* src = find(*root, "golden");
  REQUIRE(src);
  auto top = (*repo)->read_tree(src->subtree);
  REQUIRE(top);
  const auto* hello = find(*top, "hello.txt");
  REQUIRE(hello);
  CHECK(hello->meta.mode == 0640);
  CHECK(hello->meta.mtime_ns == 1'600'000'000'123'456'789);
  CHECK(read_file(**repo, hello->content) == "hello, golden world\n");
  const auto* link = find(*top, "link");
  REQUIRE(link);
  CHECK(link->meta.type == fs::file_type::symlink);
  CHECK(link->meta.link_target == "hello.txt");
  const auto* sub = find(*top, "sub");
  REQUIRE(sub);
  auto subtree = (*repo)->read_tree(sub->subtree);
  REQUIRE(subtree);
  const auto* numbers = find(*subtree, "numbers.txt");
  REQUIRE(numbers);
  std::string expected;
  for (int i = 1; i <= 20000; ++i) expected += std::to_string(i) + "\n";
  CHECK(read_file(**repo, numbers->content) == expected);
}

}  // namespace

TEST_CASE("golden: a keyfile repository of format 1 opens and reads") {
  std::string dir = CAIRN_TEST_DATA_DIR "/format-v1-keyfile";
  // git does not keep file modes: give the keyfile the mode read_keyfile demands.
  testing::temp_dir tmp;
  std::filesystem::copy_file(dir + "/cairn.key", tmp / "cairn.key");
  ::chmod((tmp / "cairn.key").c_str(), 0600);
  auto key = crypto::read_keyfile(tmp / "cairn.key");
  REQUIRE(key);
  auto header = repository::read_header(*std::make_shared<targets::local_target>(dir + "/repository"));
  REQUIRE(header);
  crypto::credential cred{crypto::slot_kind::keyfile, *key, "golden keyfile"};
  auto master = crypto::open_key_slots(header->key_slots, cred, header->repository_id);
  REQUIRE(master);
  check_golden(dir, crypto::derive_repository_keys(std::move(*master)));
}

TEST_CASE("golden: an unencrypted repository of format 1 opens and reads") {
  check_golden(CAIRN_TEST_DATA_DIR "/format-v1-none", nullptr);
}
