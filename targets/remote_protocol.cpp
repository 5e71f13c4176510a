#include "targets/remote_protocol.hpp"

#include <array>
#include <utility>

namespace cairn::targets::remote {

namespace {

// Error kinds on the wire: fixed numbers, independent of errc's order.
constexpr std::array<std::pair<uint8_t, errc>, 11> wire_errors{{
  {0, errc::ok}, {1, errc::not_found}, {2, errc::corrupt}, {3, errc::invalid_input}, {4, errc::io},
  {5, errc::transient}, {6, errc::unsupported}, {7, errc::exists}, {8, errc::no_space}, {9, errc::locked},
  {10, errc::auth},
}};

uint8_t wire_of(errc code) {
  for (auto [wire, c] : wire_errors)
    if (c == code) return wire;
  return 4;  // io: a kind the protocol does not carry
}

std::optional<errc> errc_of(uint8_t wire) {
  for (auto [w, c] : wire_errors)
    if (w == wire) return c;
  return std::nullopt;
}

tl::unexpected<error> malformed(std::string what) {
  return fail(errc::corrupt, "malformed serve-protocol frame: " + std::move(what));
}

// A string of at most `max` bytes.
std::optional<std::string> bounded_string(byte_reader& r, size_t max) {
  uint64_t n = r.varint();
  if (!r.ok() || n > max || n > r.remaining()) return std::nullopt;
  return std::string(as_chars(r.raw(static_cast<size_t>(n))));
}

bool known_op(uint8_t v) { return v >= static_cast<uint8_t>(op::hello) && v <= static_cast<uint8_t>(op::remove); }

}  // namespace

std::string_view to_string(op o) {
  switch (o) {
    case op::hello: return "hello";
    case op::put: return "put";
    case op::get: return "get";
    case op::stat: return "stat";
    case op::list: return "list";
    case op::remove: return "remove";
  }
  return "?";
}

bool valid_prefix(std::string_view prefix) {
  if (prefix.empty()) return true;
  if (prefix.size() > max_name_bytes) return false;
  // "data/3f" and "data/" start valid names; "../", "/x", "a//" and ".t" do not.
  return valid_object_name(std::string(prefix) + "x");
}

std::string clean_message(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, max_message_bytes)) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  return out;
}

byte_buffer encode_request(const request& r) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(static_cast<uint8_t>(r.kind));
  w.str(r.name);
  switch (r.kind) {
    case op::hello: w.u32(r.version); break;
    case op::get:
      w.u64(r.range.offset);
      w.u64(r.range.length);
      break;
    case op::put: w.raw(r.data); break;
    default: break;
  }
  return out;
}

expected<request> decode_request(byte_view payload) {
  byte_reader r(payload);
  request q;
  uint8_t kind = r.u8();
  if (!r.ok() || !known_op(kind)) return malformed("unknown operation " + std::to_string(kind));
  q.kind = static_cast<op>(kind);
  auto name = bounded_string(r, max_name_bytes);
  if (!name) return malformed(std::string(to_string(q.kind)) + ": the name is missing or too long");
  q.name = std::move(*name);
  switch (q.kind) {
    case op::hello:
      q.version = r.u32();
      if (q.name != protocol_magic) return malformed("not a cairn serve hello");
      break;
    case op::get:
      q.range.offset = r.u64();
      q.range.length = r.u64();
      break;
    case op::put: q.data = r.raw(r.remaining()); break;
    default: break;
  }
  if (!r.ok() || !r.done()) return malformed(std::string(to_string(q.kind)) + ": wrong length");
  bool name_ok = q.kind == op::hello || (q.kind == op::list ? valid_prefix(q.name) : valid_object_name(q.name));
  if (!name_ok) return malformed(std::string(to_string(q.kind)) + ": invalid object name \"" + clean_message(q.name) + "\"");
  return q;
}

byte_buffer encode_result(op answered, const result& res) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(static_cast<uint8_t>(reply_kind::result));
  w.u8(wire_of(res.failure.code()));
  w.str(std::string_view(res.failure.message()).substr(0, max_message_bytes));
  if (!res.ok()) return out;
  switch (answered) {
    case op::hello:
      w.u32(res.version);
      w.u8(res.append_only ? 1 : 0);
      break;
    case op::stat: w.u64(res.size); break;
    case op::get: w.raw(res.data); break;
    default: break;
  }
  return out;
}

expected<result> decode_result(op answered, byte_view payload) {
  byte_reader r(payload);
  if (r.u8() != static_cast<uint8_t>(reply_kind::result) || !r.ok()) return malformed("expected a result");
  uint8_t wire = r.u8();
  auto message = bounded_string(r, max_message_bytes);
  auto code = errc_of(wire);
  if (!r.ok() || !message) return malformed("a result without its message");
  result res;
  if (!code) code = errc::io;  // a kind from a newer server: permanent
  if (*code != errc::ok) {
    if (!r.done()) return malformed("trailing bytes after an error");
    res.failure = error{*code, clean_message(*message)};
    return res;
  }
  switch (answered) {
    case op::hello: {
      res.version = r.u32();
      uint8_t flags = r.u8();
      if (flags > 1) return malformed("unknown hello flags");
      res.append_only = flags == 1;
      break;
    }
    case op::stat: res.size = r.u64(); break;
    case op::get: res.data = r.raw(r.remaining()); break;
    default: break;
  }
  if (!r.ok() || !r.done()) return malformed(std::string(to_string(answered)) + " result: wrong length");
  return res;
}

byte_buffer encode_entries(const std::vector<object_info>& entries) {
  byte_buffer out;
  byte_writer w(out);
  w.u8(static_cast<uint8_t>(reply_kind::entries));
  w.u32(static_cast<uint32_t>(entries.size()));
  for (const auto& e : entries) {
    w.str(e.name);
    w.u64(e.size);
  }
  return out;
}

expected<std::vector<object_info>> decode_entries(byte_view payload, std::string_view prefix) {
  byte_reader r(payload);
  if (r.u8() != static_cast<uint8_t>(reply_kind::entries) || !r.ok()) return malformed("expected list entries");
  uint32_t count = r.u32();
  // Each entry takes at least 10 bytes (a one-byte name and its length, a size).
  if (!r.ok() || count > max_entries_per_frame || count > r.remaining() / 10)
    return malformed("list entries: count " + std::to_string(count) + " out of bounds");
  std::vector<object_info> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    auto name = bounded_string(r, max_name_bytes);
    uint64_t size = r.u64();
    if (!name || !r.ok()) return malformed("list entries: truncated");
    if (!valid_object_name(*name) || name->compare(0, prefix.size(), prefix) != 0)
      return malformed("list entries: \"" + clean_message(*name) + "\" is not a valid name under \"" +
                       std::string(prefix) + "\"");
    if (size > max_object_bytes * 64) return malformed("list entries: size out of bounds");
    out.push_back({std::move(*name), size});
  }
  if (!r.done()) return malformed("list entries: trailing bytes");
  return out;
}

std::optional<reply_kind> kind_of(byte_view payload) {
  if (payload.empty()) return std::nullopt;
  if (payload[0] == static_cast<uint8_t>(reply_kind::result)) return reply_kind::result;
  if (payload[0] == static_cast<uint8_t>(reply_kind::entries)) return reply_kind::entries;
  return std::nullopt;
}

void put_frame_header(uint8_t out[frame_header_bytes], uint32_t length) {
  for (size_t i = 0; i < frame_header_bytes; ++i) out[i] = static_cast<uint8_t>(length >> (8 * i));
}

uint32_t frame_length(const uint8_t in[frame_header_bytes]) {
  uint32_t v = 0;
  for (size_t i = 0; i < frame_header_bytes; ++i) v |= uint32_t{in[i]} << (8 * i);
  return v;
}

}  // namespace cairn::targets::remote
