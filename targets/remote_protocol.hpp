// The protocol `cairn serve` speaks over a byte stream (SSH's stdin/stdout),
// version 1: length-prefixed frames, one request and its reply at a time
// (docs/SERVE.md, "The serve protocol"). Encoding and decoding only, no I/O;
// every decoder treats its input as written by a hostile peer and bounds every
// size, count and name. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "targets/target.hpp"

namespace cairn::targets::remote {

inline constexpr uint32_t protocol_version = 1;
inline constexpr std::string_view protocol_magic = "cairn-serve";

// The largest object carried in one frame: at least the largest object the
// repository writes (repo::max_pack_bytes; asserted where both are known).
inline constexpr uint64_t max_object_bytes = 1ull << 30;
// A frame: u32 little-endian payload length, then the payload.
inline constexpr size_t frame_header_bytes = 4;
inline constexpr uint32_t max_frame_bytes = static_cast<uint32_t>(max_object_bytes + (64u << 10));
inline constexpr size_t max_name_bytes = 1024;     // object names and list prefixes
inline constexpr size_t max_message_bytes = 1024;  // an error's one line
inline constexpr size_t max_entries_per_frame = 4096;
inline constexpr uint64_t max_list_entries = 1ull << 27;  // one listing, in all its frames

enum class op : uint8_t { hello = 1, put = 2, get = 3, stat = 4, list = 5, remove = 6 };
std::string_view to_string(op o);

// Replies: zero or more `entries` frames (list only), then one `result`.
enum class reply_kind : uint8_t { result = 1, entries = 2 };

struct request {
  op kind = op::hello;
  std::string name;       // put, get, stat, remove: the object; list: the prefix; hello: the magic
  uint32_t version = 0;   // hello: the newest version the client speaks
  byte_range range;       // get
  byte_view data;         // put: points into the decoded frame
};

struct result {
  error failure;              // code ok: success
  uint32_t version = 0;       // hello: the version the server chose
  bool append_only = false;   // hello: the server refuses deletes and replacements
  uint64_t size = 0;          // stat
  byte_view data;             // get: points into the decoded frame
  bool ok() const { return failure.code() == errc::ok; }
};

// True for a list prefix that cannot leave the repository: empty, or the
// start of a valid object name.
bool valid_prefix(std::string_view prefix);

// Frame payloads (without the length prefix).
byte_buffer encode_request(const request& r);
byte_buffer encode_result(op answered, const result& r);
byte_buffer encode_entries(const std::vector<object_info>& entries);

// corrupt, with a one-line message, for anything malformed: an unknown
// operation, a name that is not a valid object name (or prefix), trailing
// bytes, a string or count past its bound.
expected<request> decode_request(byte_view payload);
// The reply to `answered`; its kind must be result. A failure reported by the
// peer comes back as result::failure (its message cleaned to one printable
// line), never as the expected's error, which is for malformed bytes.
expected<result> decode_result(op answered, byte_view payload);
// An entries frame of a listing of `prefix`: every name valid and under the prefix.
expected<std::vector<object_info>> decode_entries(byte_view payload, std::string_view prefix);
// The kind of a reply frame, or nullopt for an empty or unknown one.
std::optional<reply_kind> kind_of(byte_view payload);

// u32 little-endian length of a frame's payload.
void put_frame_header(uint8_t out[frame_header_bytes], uint32_t length);
uint32_t frame_length(const uint8_t in[frame_header_bytes]);

// A message from the peer as one line of at most max_message_bytes printable
// characters (control bytes become '?'), safe to show on a terminal.
std::string clean_message(std::string_view text);

}  // namespace cairn::targets::remote
