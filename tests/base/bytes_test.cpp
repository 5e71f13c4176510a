#include <doctest/doctest.h>

#include "base/bytes.hpp"
#include "base/clock.hpp"
#include "base/id.hpp"

using namespace cairn;

TEST_CASE("bytes: hex and base64 round trip") {
  byte_buffer data{0, 1, 2, 0xfe, 0xff, 0x10, 0x7f};
  for (size_t n = 0; n <= data.size(); ++n) {
    byte_view part(data.data(), n);
    CHECK(*from_hex(to_hex(part)) == byte_buffer(part.begin(), part.end()));
    CHECK(*from_base64(to_base64(part)) == byte_buffer(part.begin(), part.end()));
  }
  CHECK(to_base64(as_bytes("foobar")) == "Zm9vYmFy");
  CHECK(to_base64(as_bytes("fo")) == "Zm8=");
  CHECK_FALSE(from_hex("abc"));
  CHECK_FALSE(from_hex("zz"));
  CHECK_FALSE(from_base64("Zm9v!"));
}

TEST_CASE("bytes: varints and strings round trip - truncated input is detected") {
  byte_buffer buf;
  byte_writer w(buf);
  const uint64_t values[] = {0, 1, 127, 128, 300, 1ull << 35, ~0ull};
  for (auto v : values) w.varint(v);
  w.svarint(-5);
  w.svarint(INT64_MIN);
  w.str("name with\nnewline");
  w.u32(0xdeadbeef);
  w.u64(42);
  byte_reader r(buf);
  for (auto v : values) CHECK(r.varint() == v);
  CHECK(r.svarint() == -5);
  CHECK(r.svarint() == INT64_MIN);
  CHECK(r.str() == "name with\nnewline");
  CHECK(r.u32() == 0xdeadbeef);
  CHECK(r.u64() == 42);
  CHECK(r.ok());
  CHECK(r.done());

  byte_reader truncated(byte_view(buf.data(), buf.size() - 3));
  for (auto v : values) (void)truncated.varint(), (void)v;
  truncated.svarint();
  truncated.svarint();
  truncated.str();
  truncated.u32();
  truncated.u64();
  CHECK_FALSE(truncated.ok());
}

TEST_CASE("bytes: a length prefix larger than the input fails instead of allocating") {
  byte_buffer buf;
  byte_writer w(buf);
  w.varint(1ull << 60);
  byte_reader r(buf);
  CHECK(r.bytes().empty());
  CHECK_FALSE(r.ok());
}

TEST_CASE("id: parse and print") {
  auto id = object_id::parse(std::string(64, 'a'));
  REQUIRE(id);
  CHECK(id->hex() == std::string(64, 'a'));
  CHECK_FALSE(object_id::parse("abcd"));
  CHECK(object_id{}.is_zero());
}

TEST_CASE("clock: RFC 3339 round trip keeps nanoseconds") {
  int64_t t = 1'763'761'869'123'456'789;
  auto text = format_time(t);
  CHECK(text == "2025-11-21T21:51:09.123456789Z");
  CHECK(*parse_time(text) == t);
  CHECK(*parse_time("2025-11-21T21:51:09Z") == 1'763'761'869'000'000'000);
  CHECK_FALSE(parse_time("yesterday"));
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_duration(3725) == "1h02m");
}
