#include <doctest/doctest.h>

#include "targets/remote_protocol.hpp"

using namespace cairn;
using namespace cairn::targets;
using namespace cairn::targets::remote;

namespace {

byte_buffer bytes(std::initializer_list<uint8_t> b) { return byte_buffer(b); }

// A request payload by hand: op byte, varint-length name, then `rest`.
byte_buffer raw_request(uint8_t kind, std::string_view name, byte_buffer rest = {}) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(kind);
  w.str(name);
  w.raw(rest);
  return out;
}

}  // namespace

TEST_CASE("remote_protocol: requests round trip") {
  auto data = bytes({1, 2, 3, 0, 255});
  for (auto kind : {op::put, op::get, op::stat, op::list, op::remove}) {
    request q;
    q.kind = kind;
    q.name = kind == op::list ? "data/3f" : "data/3f/3f9a";
    q.range = {7, 11};
    q.data = data;
    auto encoded = encode_request(q);  // the decoded data points into it
    auto back = decode_request(encoded);
    REQUIRE(back);
    CHECK(back->kind == kind);
    CHECK(back->name == q.name);
    if (kind == op::get) CHECK((back->range.offset == 7 && back->range.length == 11));
    if (kind == op::put) CHECK(byte_buffer(back->data.begin(), back->data.end()) == data);
  }
  request hello{op::hello, std::string(protocol_magic), 3, {}, {}};
  auto back = decode_request(encode_request(hello));
  REQUIRE(back);
  CHECK(back->version == 3);
}

TEST_CASE("remote_protocol: malformed requests are corrupt, with one line saying why") {
  struct row {
    const char* what;
    byte_buffer payload;
  };
  byte_buffer long_name = raw_request(4, std::string(max_name_bytes + 1, 'a'));
  std::vector<row> rows{
    {"empty", {}},
    {"unknown operation", bytes({0})},
    {"operation past the last", bytes({7, 0})},
    {"name length past the frame", bytes({4, 200})},
    {"name longer than the bound", long_name},
    {"escaping name", raw_request(4, "../etc/passwd")},
    {"absolute name", raw_request(6, "/etc/passwd")},
    {"hidden name", raw_request(2, "data/.tmp-1")},
    {"escaping prefix", raw_request(5, "../")},
    {"prefix with an empty segment", raw_request(5, "data//")},
    {"stat with trailing bytes", raw_request(4, "config", bytes({0}))},
    {"get without its range", raw_request(3, "config", bytes({1, 2, 3}))},
    {"hello with another magic", raw_request(1, "sftp", bytes({1, 0, 0, 0}))},
    {"hello without a version", raw_request(1, "cairn-serve")},
  };
  for (const auto& r : rows) {
    CAPTURE(r.what);
    auto q = decode_request(r.payload);
    REQUIRE_FALSE(q);
    CHECK(q.error().code() == errc::corrupt);
    CHECK(q.error().message().find('\n') == std::string::npos);
  }
  CHECK(decode_request(raw_request(5, "")));  // the whole repository
  CHECK(decode_request(raw_request(5, "data/")));
}

TEST_CASE("remote_protocol: results carry the error kind and a clean one-line message") {
  result r;
  r.failure = error{errc::exists, "data/ab exists\n\x1b[31mred"};
  auto back = decode_result(op::put, encode_result(op::put, r));
  REQUIRE(back);
  CHECK(back->failure.code() == errc::exists);
  CHECK(back->failure.message() == "data/ab exists??[31mred");
  for (auto code : {errc::not_found, errc::transient, errc::no_space, errc::invalid_input, errc::auth}) {
    r.failure = error{code, "x"};
    CHECK(decode_result(op::stat, encode_result(op::stat, r))->failure.code() == code);
  }
  result ok;
  ok.size = 1234;
  CHECK(decode_result(op::stat, encode_result(op::stat, ok))->size == 1234);
  ok.version = 1;
  ok.append_only = true;
  auto hello = decode_result(op::hello, encode_result(op::hello, ok));
  REQUIRE(hello);
  CHECK(hello->append_only);
  auto data = bytes({9, 8, 7});
  ok.data = data;
  auto encoded = encode_result(op::get, ok);
  auto got = decode_result(op::get, encoded);
  REQUIRE(got);
  CHECK(byte_buffer(got->data.begin(), got->data.end()) == data);
}

TEST_CASE("remote_protocol: malformed results are corrupt: an unknown error kind is a permanent failure") {
  CHECK_FALSE(decode_result(op::put, {}));
  CHECK_FALSE(decode_result(op::put, bytes({2, 0, 0, 0, 0})));     // entries, not a result
  CHECK_FALSE(decode_result(op::stat, bytes({1, 0, 0, 1, 2})));    // a size cut short
  CHECK_FALSE(decode_result(op::put, bytes({1, 0, 0, 9})));        // trailing bytes
  CHECK_FALSE(decode_result(op::hello, bytes({1, 0, 0, 1, 0, 0, 0, 7})));  // unknown flags
  byte_buffer long_message{1, 3};
  byte_writer w(long_message);
  w.str(std::string(max_message_bytes + 1, 'm'));
  CHECK_FALSE(decode_result(op::put, long_message));
  auto unknown = decode_result(op::put, bytes({1, 200, 1, 'x'}));
  REQUIRE(unknown);
  CHECK(unknown->failure.code() == errc::io);
}

TEST_CASE("remote_protocol: list entries are bounded and must lie under the prefix") {
  std::vector<object_info> entries{{"data/ab/1", 10}, {"data/ab/2", 0}};
  auto back = decode_entries(encode_entries(entries), "data/");
  REQUIRE(back);
  CHECK(back->size() == 2);
  CHECK((*back)[0].name == "data/ab/1");
  CHECK_FALSE(decode_entries(encode_entries(entries), "index/"));
  CHECK_FALSE(decode_entries(encode_entries({{"../x", 1}}), ""));
  CHECK_FALSE(decode_entries(encode_entries({{"a//b", 1}}), ""));
  // A count larger than the frame could hold is refused before anything is allocated.
  CHECK_FALSE(decode_entries(bytes({2, 0xff, 0xff, 0xff, 0x7f}), ""));
  CHECK_FALSE(decode_entries(bytes({2, 0x01, 0x10, 0, 0}), ""));  // 4097 > max_entries_per_frame
  auto extra = encode_entries(entries);
  extra.push_back(0);
  CHECK_FALSE(decode_entries(extra, "data/"));
}

TEST_CASE("remote_protocol: frame lengths are little-endian u32") {
  uint8_t h[frame_header_bytes];
  put_frame_header(h, 0x01020304);
  CHECK(h[0] == 4);
  CHECK(h[3] == 1);
  CHECK(frame_length(h) == 0x01020304);
  CHECK(valid_prefix(""));
  CHECK(valid_prefix("locks/"));
  CHECK_FALSE(valid_prefix("/"));
  CHECK_FALSE(valid_prefix(".."));
}
