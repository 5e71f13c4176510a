#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "crypto/id_hasher.hpp"
#include "repo/index.hpp"
#include "repo/stored_ids.hpp"
#include "support/temp_dir.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {
object_id id_of(int i) { return crypto::sha256_of(as_bytes(std::to_string(i))); }
}  // namespace

TEST_CASE("stored_ids: records of live index files load - those a prune removed do not") {
  testing::temp_dir dir;
  auto file = dir / "state" / "stored-ids";
  REQUIRE(load_stored_ids(file, {})->empty());  // no file yet
  REQUIRE(append_stored_ids(file, {id_of(100), {id_of(1), id_of(2)}}));
  REQUIRE(append_stored_ids(file, {id_of(101), {id_of(3)}}));
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto both = load_stored_ids(file, {id_of(100), id_of(101)});
  REQUIRE(both);
  CHECK(*both == std::unordered_set<object_id>{id_of(1), id_of(2), id_of(3)});
  auto after_prune = load_stored_ids(file, {id_of(101)});
  CHECK(*after_prune == std::unordered_set<object_id>{id_of(3)});
}

TEST_CASE("stored_ids: a torn last record is dropped, the ones before it kept") {
  testing::temp_dir dir;
  auto file = dir / "stored-ids";
  REQUIRE(append_stored_ids(file, {id_of(100), {id_of(1)}}));
  REQUIRE(append_stored_ids(file, {id_of(101), {id_of(2), id_of(3)}}));
  std::ifstream in(file, std::ios::binary);
  byte_buffer bytes(std::istreambuf_iterator<char>(in), {});
  for (size_t cut = 1; cut < 32 + 1 + 64 + 8; cut += 7) {
    byte_view torn(bytes.data(), bytes.size() - cut);
    auto c = decode_stored_ids(torn);
    REQUIRE(c);
    CHECK(c->damaged_tail);
    REQUIRE(c->records.size() == 1);
    CHECK(c->records[0].blobs == std::vector<object_id>{id_of(1)});
  }
  auto flipped = bytes;
  flipped[bytes.size() - 20] ^= 1;
  CHECK(decode_stored_ids(flipped)->records.size() == 1);
  // A huge count cannot make it allocate.
  byte_buffer huge(stored_ids_header().begin(), stored_ids_header().end());
  huge.resize(huge.size() + 32, 0);
  for (int i = 0; i < 9; ++i) huge.push_back(0xff);
  huge.push_back(0x01);
  CHECK(decode_stored_ids(huge)->damaged_tail);
  CHECK(decode_stored_ids(as_bytes("not ours")).error().code() == errc::corrupt);
}

TEST_CASE("blob_index: known blobs count as stored, with no location") {
  blob_index index;
  index.add_known({id_of(1)});
  CHECK(index.contains(id_of(1)));
  CHECK_FALSE(index.claim(id_of(1)));
  CHECK_FALSE(index.find(id_of(1)));
  CHECK(index.claim(id_of(2)));
}
