#include "archive/archive_format.hpp"

#include <cstring>

#include "crypto/id_hasher.hpp"

namespace cairn::archive {

std::string_view to_string(protection p) {
  switch (p) {
    case protection::plain: return "plain";
    case protection::passphrase: return "passphrase";
    case protection::keyfile: return "keyfile";
  }
  return "unknown";
}

uint64_t max_record_length(uint8_t type) {
  switch (static_cast<record_type>(type)) {
    case record_type::meta: return max_meta_record;
    case record_type::tree: return max_tree_record;
    case record_type::data: return max_data_record;
    case record_type::toc: return max_toc_record;
  }
  return 0;
}

byte_buffer encode_header(const header& h) {
  byte_buffer out;
  byte_writer w(out);
  w.raw(as_bytes(file_magic));
  w.u8(format_version);
  w.u8(static_cast<uint8_t>(h.kind));
  w.u8(0);
  w.u8(0);
  w.u32(h.memory_kib);
  w.u32(h.iterations);
  w.u32(h.parallelism);
  w.raw(byte_view(h.salt, sizeof h.salt));
  w.raw(byte_view(h.fingerprint, sizeof h.fingerprint));
  return out;
}

expected<header> decode_header(byte_view bytes) {
  if (bytes.size() < header_size || std::memcmp(bytes.data(), file_magic.data(), file_magic.size()) != 0)
    return fail(errc::corrupt, "not a Cairn archive (no CAIRNARC header)");
  byte_reader r(bytes.subspan(file_magic.size(), header_size - file_magic.size()));
  uint8_t version = r.u8();
  if (version > format_version)
    return fail(errc::unsupported, "archive format version " + std::to_string(version) +
                                     " is newer than this program reads (" + std::to_string(format_version) + ")");
  if (version == 0) return fail(errc::corrupt, "damaged archive header: version 0");
  header h;
  uint8_t kind = r.u8();
  if (kind > 2) return fail(errc::corrupt, "damaged archive header: unknown protection " + std::to_string(kind));
  h.kind = static_cast<protection>(kind);
  if (r.u8() != 0 || r.u8() != 0) return fail(errc::corrupt, "damaged archive header: reserved bytes are set");
  h.memory_kib = r.u32();
  h.iterations = r.u32();
  h.parallelism = r.u32();
  auto salt = r.raw(sizeof h.salt);
  auto fp = r.raw(sizeof h.fingerprint);
  if (!r.ok()) return fail(errc::corrupt, "damaged archive header: too short");
  std::memcpy(h.salt, salt.data(), sizeof h.salt);
  std::memcpy(h.fingerprint, fp.data(), sizeof h.fingerprint);
  if (h.kind == protection::passphrase &&
      (h.memory_kib < 8 || h.memory_kib > max_kdf_memory_kib || h.iterations < 1 ||
       h.iterations > max_kdf_iterations || h.parallelism < 1 || h.parallelism > max_kdf_parallelism))
    return fail(errc::corrupt, "damaged archive header: Argon2id parameters out of range (memory_kib " +
                                 std::to_string(h.memory_kib) + ", iterations " + std::to_string(h.iterations) +
                                 ", parallelism " + std::to_string(h.parallelism) + ")");
  return h;
}

namespace {

uint32_t frame_check(const uint8_t* fields) {  // type(1) seq(8) length(4)
  auto digest = crypto::sha256_of(byte_view(fields, 13));
  const auto& d = digest.bytes;
  return uint32_t{d[0]} | uint32_t{d[1]} << 8 | uint32_t{d[2]} << 16 | uint32_t{d[3]} << 24;
}

}  // namespace

byte_buffer encode_frame(const frame& f) {
  byte_buffer out;
  byte_writer w(out);
  w.raw(byte_view(record_sync, sizeof record_sync));
  w.u8(static_cast<uint8_t>(f.type));
  w.u64(f.seq);
  w.u32(f.length);
  w.u32(frame_check(out.data() + sizeof record_sync));
  return out;
}

std::optional<frame> decode_frame(byte_view bytes) {
  if (bytes.size() < frame_header_size || std::memcmp(bytes.data(), record_sync, sizeof record_sync) != 0)
    return std::nullopt;
  byte_reader r(bytes.subspan(sizeof record_sync, frame_header_size - sizeof record_sync));
  frame f;
  uint8_t type = r.u8();
  f.seq = r.u64();
  f.length = r.u32();
  uint32_t check = r.u32();
  if (!r.ok() || check != frame_check(bytes.data() + sizeof record_sync)) return std::nullopt;
  if (f.length > max_record_length(type)) return std::nullopt;  // also refuses unknown types
  f.type = static_cast<record_type>(type);
  return f;
}

byte_buffer record_aad(record_type type) {
  byte_buffer aad(as_bytes("cairn/v1/archive").begin(), as_bytes("cairn/v1/archive").end());
  aad.push_back(static_cast<uint8_t>(type));
  return aad;
}

}  // namespace cairn::archive
