#include <doctest/doctest.h>

#include <random>
#include <set>

#include "repo/chunker.hpp"
#include "repo/compression.hpp"

using namespace cairn;
using namespace cairn::repo;

namespace {

byte_buffer noise_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  byte_buffer b(n);
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t k = 0; k < 8 && i + k < n; ++k) b[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
  return b;
}

std::vector<byte_buffer> split(const chunker& c, const byte_buffer& data) {
  std::vector<byte_buffer> chunks;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t cut = c.next_cut(byte_view(data).subspan(pos), true);
    REQUIRE(cut > 0);
    chunks.emplace_back(data.begin() + pos, data.begin() + pos + cut);
    pos += cut;
  }
  return chunks;
}

const chunker_params small{16 << 10, 64 << 10, 256 << 10, 42};

}  // namespace

TEST_CASE("chunker: chunk sizes stay within min and max and cover the input") {
  chunker c(small);
  auto data = noise_bytes(8 << 20, 1);
  auto chunks = split(c, data);
  size_t total = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    total += chunks[i].size();
    if (i + 1 < chunks.size()) {
      CHECK(chunks[i].size() >= small.min_size);
      CHECK(chunks[i].size() <= small.max_size);
    }
  }
  CHECK(total == data.size());
  double avg = static_cast<double>(data.size()) / chunks.size();
  CHECK(avg > small.avg_size * 0.6);
  CHECK(avg < small.avg_size * 1.6);
}

TEST_CASE("chunker: boundaries are stable under an insertion") {
  chunker c(small);
  auto data = noise_bytes(8 << 20, 2);
  auto before = split(c, data);
  auto changed = data;
  byte_buffer inserted = noise_bytes(1000, 3);
  changed.insert(changed.begin() + (4 << 20), inserted.begin(), inserted.end());
  auto after = split(c, changed);
  std::set<byte_buffer> old_chunks(before.begin(), before.end());
  size_t new_chunks = 0;
  for (const auto& ch : after) new_chunks += old_chunks.count(ch) ? 0 : 1;
  // Only the chunks around the insertion differ.
  CHECK(new_chunks <= 3);
  CHECK(after.size() >= before.size() - 2);
}

TEST_CASE("chunker: needs more data until a cut is certain") {
  chunker c(small);
  auto data = noise_bytes(small.min_size, 4);
  CHECK(c.next_cut(data, false) == 0);
  CHECK(c.next_cut(data, true) == data.size());
  auto big = noise_bytes(small.max_size * 2, 5);
  size_t cut = c.next_cut(big, false);
  CHECK(cut >= small.min_size);
  CHECK(cut <= small.max_size);
  CHECK(c.next_cut({}, true) == 0);
}

TEST_CASE("chunker: the seed changes the boundaries and the same seed repeats them") {
  auto data = noise_bytes(4 << 20, 6);
  auto a = split(chunker(small), data);
  auto b = split(chunker(small), data);
  auto other = small;
  other.seed = 43;
  auto c = split(chunker(other), data);
  CHECK(a == b);
  CHECK(a != c);
}

TEST_CASE("compression: one thread's context serves every size and level, larger than a chunk too") {
  // A context sized once for the level at the largest default chunk; what
  // needs more (a large tree) and a change of level still compress.
  auto text_of = [](size_t n, uint32_t seed) {
    byte_buffer b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>("abcdefgh"[(i / 64 + seed) % 8] ^ (i % 7 == 0 ? seed : 0));
    return b;
  };
  for (int level : {3, 1, 9, 3, -5, 19}) {
    for (size_t n : {size_t{1}, size_t{4000}, size_t{1} << 20, size_t{5} << 20, size_t{12} << 20, size_t{300000}}) {
      if (level == 19 && n > (1u << 20)) continue;  // slow, and nothing new
      auto text = text_of(n, static_cast<uint32_t>(n + level));
      auto enc = encode_blob(text, level);
      INFO("level " << level << ", " << n << " bytes");
      if (n > 100) CHECK(enc[0] == 1);
      if (n > 100) CHECK(enc.size() < n / 4);
      auto back = decode_blob(enc, n);
      REQUIRE(back);
      CHECK(*back == text);
    }
  }
}

TEST_CASE("compression: round trip and raw storage when data does not shrink") {
  byte_buffer text(100000, 'a');
  auto enc = encode_blob(text, 3);
  CHECK(enc[0] == 1);
  CHECK(enc.size() < 1000);
  CHECK(*decode_blob(enc, text.size()) == text);
  auto noise = noise_bytes(100000, 7);
  auto raw = encode_blob(noise, 3);
  CHECK(raw[0] == 0);
  CHECK(raw.size() == noise.size() + 1);
  CHECK(*decode_blob(raw, noise.size()) == noise);
  CHECK(*decode_blob(encode_blob({}, 3), 0) == byte_buffer{});
  enc[enc.size() / 2] ^= 0xff;
  CHECK_FALSE(decode_blob(enc, text.size()));
  CHECK_FALSE(decode_blob(raw, noise.size() + 1));
  // Into a reused buffer: a raw blob is its own payload, a zstd one lands in
  // the scratch buffer, which grows but never shrinks.
  enc[enc.size() / 2] ^= 0xff;
  scratch_buffer scratch;
  auto plain = decode_blob_into(enc, text.size(), scratch);
  REQUIRE(plain);
  CHECK(std::equal(plain->begin(), plain->end(), text.begin(), text.end()));
  CHECK(plain->data() == scratch.data());
  auto small = encode_blob(as_bytes("tiny tiny tiny tiny tiny tiny"), 3);
  auto again = decode_blob_into(small, 29, scratch);
  REQUIRE(again);
  CHECK(as_chars(*again) == "tiny tiny tiny tiny tiny tiny");
  CHECK(scratch.capacity() >= text.size());
  CHECK(again->data() == scratch.data());
  auto raw_view = decode_blob_into(raw, noise.size(), scratch);
  REQUIRE(raw_view);
  CHECK(raw_view->data() == raw.data() + 1);
  CHECK_FALSE(decode_blob_into(raw, noise.size() + 1, scratch));
  enc[enc.size() / 2] ^= 0xff;
  CHECK_FALSE(decode_blob_into(enc, text.size(), scratch));
}
