// Packs streamed onto a target while they are built (pack_writer with a
// target that offers an object_writer), against a real directory.
#include <doctest/doctest.h>

#include "crypto/keys.hpp"
#include "repo/compression.hpp"
#include "repo/pack.hpp"
#include "support/temp_dir.hpp"
#include "targets/local_target.hpp"
#include "targets/memory_target.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

byte_buffer noise(size_t n, uint64_t seed) {
  byte_buffer b(n);
  for (auto& x : b) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    x = static_cast<uint8_t>(seed >> 56);
  }
  return b;
}

// A target whose writers fail once `budget` bytes were written (a full disk).
class filling_target : public targets::memory_target {
public:
  explicit filling_target(size_t budget) : budget_(budget) {}
  expected<std::unique_ptr<targets::object_writer>> open_writer() override {
    return std::unique_ptr<targets::object_writer>(new writer(*this));
  }
  size_t budget_;
  int commits = 0;

private:
  struct writer : targets::object_writer {
    explicit writer(filling_target& t) : t(t) {}
    status append(byte_view data) override {
      if (data.size() > t.budget_) return fail(errc::no_space, "test: no space left writing a new object");
      t.budget_ -= data.size();
      bytes.insert(bytes.end(), data.begin(), data.end());
      return {};
    }
    status commit(std::string_view name) override {
      ++t.commits;
      return t.put(name, bytes);
    }
    filling_target& t;
    byte_buffer bytes;
  };
};

}  // namespace

TEST_CASE("pack_writer: a pack streamed into a directory is the pack it would have built in memory") {
  testing::temp_dir dir;
  auto target = std::make_shared<targets::local_target>(dir / "repo");
  auto keys = crypto::new_repository_keys();
  crypto::object_cipher cipher(crypto::encryption::aes256gcm, keys);
  crypto::id_hasher hasher(keys);
  pack_writer w(cipher, 4 << 20, target.get());
  std::vector<byte_buffer> blobs;
  // Small blobs across several 1 MiB pieces, and one larger than a piece.
  for (int i = 0; i < 400; ++i) blobs.push_back(noise(3000 + i * 7, i));
  blobs.push_back(noise(1500000, 999));
  for (int i = 0; i < 50; ++i) blobs.push_back(noise(100, 2000 + i));
  for (const auto& b : blobs) {
    REQUIRE_FALSE(w.would_overflow(b.size() + 64));
    REQUIRE(w.add(blob_type::data, hasher.id_of(b), encode_blob(b, 3), static_cast<uint32_t>(b.size())));
  }
  size_t expected_size = w.size();
  auto pack = w.finish();
  REQUIRE(pack);
  CHECK(pack->bytes.empty());  // nothing held in memory
  REQUIRE(pack->written);
  CHECK(w.empty());
  REQUIRE(pack->written->commit(pack_name(pack->record.id)));

  auto stored = target->get(pack_name(pack->record.id));
  REQUIRE(stored);
  CHECK(stored->size() == pack->record.size);
  CHECK(stored->size() > expected_size);  // plus the table of contents and trailer
  CHECK(crypto::sha256_of(*stored) == pack->record.id);
  auto record = parse_pack(*stored, pack->record.id, cipher);
  REQUIRE(record);
  CHECK(*record == pack->record);
  auto pc = cipher.for_pack(pack->record.salt);
  for (size_t i = 0; i < blobs.size(); ++i) {
    const auto& e = pack->record.blobs[i];
    auto plain = open_blob(*pc, e, byte_view(*stored).subspan(e.offset, e.length), hasher);
    REQUIRE(plain);
    CHECK(*plain == blobs[i]);
  }
}

TEST_CASE("pack_writer: a target without a writer gets packs built in memory") {
  targets::memory_target target;
  auto keys = crypto::new_repository_keys();
  crypto::object_cipher cipher(crypto::encryption::aes256gcm, keys);
  crypto::id_hasher hasher(keys);
  pack_writer w(cipher, 1 << 20, &target);
  auto b = noise(5000, 1);
  REQUIRE(w.add(blob_type::data, hasher.id_of(b), encode_blob(b, 3), 5000));
  auto pack = w.finish();
  REQUIRE(pack);
  CHECK_FALSE(pack->written);
  CHECK(pack->bytes.size() == pack->record.size);
  CHECK(crypto::sha256_of(pack->bytes) == pack->record.id);
}

TEST_CASE("pack_writer: a write that fails loses that pack only, says why, and the next pack works") {
  filling_target target(2u << 20);  // room for two 1 MiB pieces
  auto keys = crypto::new_repository_keys();
  crypto::object_cipher cipher(crypto::encryption::aes256gcm, keys);
  crypto::id_hasher hasher(keys);
  pack_writer w(cipher, 16 << 20, &target);
  status failed;
  for (int i = 0; i < 2000 && failed; ++i) {
    auto b = noise(4000, i);
    failed = w.add(blob_type::data, hasher.id_of(b), encode_blob(b, 3), 4000);
  }
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code() == errc::no_space);
  auto b = noise(10, 1);
  CHECK_FALSE(w.add(blob_type::data, hasher.id_of(b), encode_blob(b, 3), 10));  // the broken pack takes no more
  auto lost = w.finish();
  REQUIRE_FALSE(lost);
  CHECK(lost.error().code() == errc::no_space);
  CHECK(target.commits == 0);
  target.budget_ = 1u << 30;  // space again
  REQUIRE(w.add(blob_type::data, hasher.id_of(b), encode_blob(b, 3), 10));
  auto next = w.finish();
  REQUIRE(next);
  REQUIRE(next->written);
  REQUIRE(next->written->commit(pack_name(next->record.id)));
  auto stored = target.get(pack_name(next->record.id));
  REQUIRE(stored);
  CHECK(parse_pack(*stored, next->record.id, cipher));
}
