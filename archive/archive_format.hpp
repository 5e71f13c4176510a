// Constants and record framing of the single-file archive, version 1
// (docs/FORMAT.md, "Single-file archives"). Every number here is part of the
// format. An archive is read as written by an attacker: every length and count
// is checked against these limits before it sizes anything.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.hpp"
#include "repo/repo_format.hpp"

namespace cairn::archive {

inline constexpr uint8_t format_version = 1;
inline constexpr std::string_view file_magic = "CAIRNARC";  // 8 bytes, the file's first
inline constexpr std::string_view end_magic = "CAIRNEND";   // 8 bytes, the file's last
// Every record starts with these 8 bytes, so a reader can find the next
// record after a damaged one.
inline constexpr uint8_t record_sync[8] = {0x89, 'C', 'A', 'R', 0x0d, 0x0a, 0x1a, 0x0a};

// How the records are protected.
enum class protection : uint8_t { plain = 0, passphrase = 1, keyfile = 2 };
std::string_view to_string(protection p);

enum class record_type : uint8_t { meta = 1, tree = 2, data = 3, toc = 4 };

// Header: magic(8) version(1) protection(1) reserved(2) memory_kib(4)
// iterations(4) parallelism(4) salt(32) fingerprint(8).
inline constexpr size_t header_size = 64;
// Frame: sync(8) type(1) seq(8) length(4) check(4), then `length` bytes.
inline constexpr size_t frame_header_size = 25;
inline constexpr size_t trailer_size = 16;  // u64 offset of the TOC frame, end_magic

// Bounds on what a reader accepts.
inline constexpr uint32_t max_seal_overhead = 32;  // tag (16) or plain checksum (32)
inline constexpr uint64_t max_meta_record = repo::max_checkpoint_bytes + (1u << 20);
inline constexpr uint64_t max_tree_record = repo::max_tree_bytes + 128;
inline constexpr uint64_t max_data_record = repo::max_data_blob_bytes + 128;
inline constexpr uint64_t max_toc_record = 256u << 20;
inline constexpr size_t max_paths = 1024;        // --path selections in the meta record
inline constexpr size_t max_path_bytes = 4096;
inline constexpr uint64_t max_records = repo::max_checkpoint_entries;
inline constexpr size_t min_toc_entry = 35;  // type(1) id(32) offset(1) raw_length(1)
// Argon2id parameters a reader accepts from a header (a hostile header must
// not make it allocate more than 1 GiB or loop for ever).
inline constexpr uint32_t max_kdf_memory_kib = 1u << 20;
inline constexpr uint32_t max_kdf_iterations = 20;
inline constexpr uint32_t max_kdf_parallelism = 16;

// The largest sealed payload a record of `type` may have; 0 for an unknown type.
uint64_t max_record_length(uint8_t type);

struct header {
  protection kind = protection::plain;
  uint32_t memory_kib = 0, iterations = 0, parallelism = 0;
  uint8_t salt[32] = {};
  uint8_t fingerprint[8] = {};
};
byte_buffer encode_header(const header& h);
// corrupt (or unsupported for a newer version) with one line saying why.
expected<header> decode_header(byte_view bytes);

struct frame {
  record_type type = record_type::meta;
  uint64_t seq = 0;
  uint32_t length = 0;
};
byte_buffer encode_frame(const frame& f);
// nullopt when the bytes are not a valid frame header (sync, check, type, length bound).
std::optional<frame> decode_frame(byte_view bytes);

// Associated data of a record: "cairn/v1/archive" || type.
byte_buffer record_aad(record_type type);

}  // namespace cairn::archive
