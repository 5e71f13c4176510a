// Constants of the on-target repository format, version 1. Every number here is
// part of the format: see docs/FORMAT.md before changing one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/id.hpp"

namespace cairn::repo {

inline constexpr int format_version = 1;
inline constexpr std::string_view header_magic = "cairn-repository";

// Object names on the target.
inline constexpr std::string_view header_name = "config";
inline constexpr std::string_view data_prefix = "data/";
inline constexpr std::string_view index_prefix = "index/";
inline constexpr std::string_view checkpoint_prefix = "checkpoints/";
inline constexpr std::string_view lock_prefix = "locks/";

inline std::string pack_name(const object_id& id) {
  auto hex = id.hex();
  return std::string(data_prefix) + hex.substr(0, 2) + "/" + hex;
}
inline std::string index_name(const object_id& id) { return std::string(index_prefix) + id.hex(); }
inline std::string checkpoint_name(const object_id& id) {
  return std::string(checkpoint_prefix) + id.hex();
}

// Kinds bound as associated data to sealed objects.
inline constexpr std::string_view kind_header = "header";
inline constexpr std::string_view kind_index = "index";
inline constexpr std::string_view kind_checkpoint = "checkpoint";
inline constexpr std::string_view kind_lock = "lock";
inline constexpr std::string_view kind_toc = "toc";

enum class blob_type : uint8_t { data = 0, tree = 1 };

// First byte of a blob's plaintext before sealing.
enum class blob_encoding : uint8_t { raw = 0, zstd = 1 };

// Pack layout: salt[32] | sealed blobs | sealed TOC | u32 TOC length | magic[4]
inline constexpr size_t pack_salt_size = 32;
inline constexpr size_t pack_trailer_size = 8;
inline constexpr uint32_t pack_magic = 0x314b5043;  // "CPK1" little-endian
inline constexpr uint64_t toc_nonce = ~uint64_t{0};

inline constexpr uint32_t default_pack_size = 16u << 20;
inline constexpr int default_zstd_level = 3;

// Chunker defaults (docs/FORMAT.md, "Choosing the chunk sizes").
inline constexpr uint32_t default_min_chunk = 512u << 10;
inline constexpr uint32_t default_avg_chunk = 1u << 20;
inline constexpr uint32_t default_max_chunk = 8u << 20;

// Index files written by prune and repair hold at most this many packs.
inline constexpr size_t packs_per_index_file = 2048;

// Limits on what a reader accepts from a target (docs/FORMAT.md, "Limits").
// Every length, count and depth read from a target is checked against these
// before it sizes an allocation, a loop or a recursion, in every key mode.
inline constexpr uint32_t max_chunk_limit = 64u << 20;        // header chunker.max_size
// A data blob as stored (compressed, sealed): a chunk's bound plus zstd's and the cipher's overhead.
inline constexpr uint64_t max_data_blob_bytes = max_chunk_limit + (1u << 20);
inline constexpr uint32_t max_pack_size_setting = 256u << 20;  // header pack_size
inline constexpr uint64_t max_pack_bytes = 1ull << 30;        // one pack object
inline constexpr uint32_t max_toc_bytes = 64u << 20;          // sealed table of contents
inline constexpr uint32_t max_tree_bytes = 256u << 20;        // one tree blob (plaintext)
inline constexpr uint64_t max_index_file_bytes = 512ull << 20;
inline constexpr uint64_t max_checkpoint_bytes = 16u << 20;
inline constexpr uint64_t max_header_bytes = 4u << 20;
inline constexpr size_t max_key_slots = 256;
inline constexpr uint64_t max_lock_bytes = 64u << 10;
// A sealed blob is at most this much longer than its plaintext (encoding
// byte, AEAD tag; zstd is only kept when smaller).
inline constexpr uint32_t max_blob_overhead = 64;
// Trees on any path from a checkpoint's root tree, the root included (the
// restore planner's max_restore_depth counts the same way).
inline constexpr uint32_t max_tree_depth = 4096;
// Entries of a checkpoint counted as restore would see them: a subtree
// referenced twice counts twice (the restore planner's max_restore_entries).
inline constexpr uint64_t max_checkpoint_entries = 50'000'000;
// Smallest encodings, to check a count against the bytes that remain.
inline constexpr size_t min_tree_node_bytes = 18;  // name(2) type(1) 14 varints and strs(14) xattrs(1)
inline constexpr size_t min_blob_entry_bytes = 36;  // type(1) id(32) 3 varints
inline constexpr size_t min_pack_record_bytes = 66;  // id(32) salt(32) size(1) count(1)

}  // namespace cairn::repo
