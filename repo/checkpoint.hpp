// A checkpoint: the commit point of one backup run on one target. It names the
// root tree (one entry per source) and carries plan, host, time, parent and
// statistics. Plain values; the codec is JSON (sealed as an object).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "base/id.hpp"
#include "base/source_type.hpp"

namespace cairn::repo {

struct source_info {
  std::string name;  // the entry in the root tree
  source_type type = source_type::dir;
  std::string path;
  std::string post_restore;  // a command to run once after restoring this source
  std::string error;         // this run could not back the source up (one line); the tree has no entry for it
  bool operator==(const source_info&) const = default;
};

// One application resource in a checkpoint's manifest (docs/RESOURCES.md).
// Read back from a target, every field is bounded (decode_checkpoint).
struct resource_manifest {
  std::string name;
  std::string version;
  std::string metadata;                // one JSON object as text (what `backup` printed); "" when none
  uint64_t files = 0;                  // stored in this checkpoint
  uint64_t bytes = 0;
  std::vector<std::string> left_out;   // sensitive paths (under the staging folder) not stored here
  std::string left_out_reason;         // why, when left_out is not empty
  std::string error;                   // the resource failed this run (one line): nothing of it is stored
  bool operator==(const resource_manifest&) const = default;
};

inline constexpr size_t max_manifest_resources = 256;
inline constexpr size_t max_manifest_metadata = 64u << 10;  // bytes of one resource's metadata
inline constexpr size_t max_manifest_left_out = 1024;
inline constexpr size_t max_source_error = 1024;  // bytes of a failed source's or resource's reason

struct checkpoint_stats {
  uint64_t files = 0;           // regular files in the checkpoint
  uint64_t dirs = 0;
  uint64_t bytes = 0;           // their total size
  uint64_t files_new = 0;
  uint64_t files_changed = 0;
  uint64_t files_unchanged = 0;
  uint64_t files_skipped = 0;   // could not be read
  uint64_t bytes_read = 0;      // read from the sources
  uint64_t bytes_new = 0;       // plaintext of new blobs
  uint64_t bytes_stored = 0;    // sealed size of new blobs: how much the repository grew
  uint64_t bytes_uploaded = 0;  // everything sent to the target
  uint64_t blobs_new = 0;
  int64_t duration_ns = 0;
  bool operator==(const checkpoint_stats&) const = default;
};

struct checkpoint {
  std::string plan;
  std::string host;
  std::string user;
  int64_t time_ns = 0;
  std::optional<object_id> parent;
  object_id tree;
  std::vector<source_info> sources;
  std::vector<std::string> tags;
  std::string program;
  checkpoint_stats stats;
  std::vector<resource_manifest> resources;  // the manifest; empty without resources
};

byte_buffer encode_checkpoint(const checkpoint& c);

// The statistics as a JSON object (text): what checkpoints carry, the catalog
// keeps and the CLI prints.
std::string encode_stats(const checkpoint_stats& s);
expected<checkpoint> decode_checkpoint(byte_view bytes);

// decode_checkpoint refuses a source of a type other than source_type's words,
// and a plan or source name that is not a plain name (base/names.hpp).

// The manifest alone as a JSON array (what the catalog keeps beside a
// checkpoint), and back, with the same bounds as decode_checkpoint.
std::string encode_manifest(const std::vector<resource_manifest>& resources);
expected<std::vector<resource_manifest>> decode_manifest(std::string_view text);

// What the catalog keeps of a checkpoint's sources: a JSON array of
// {name, type, path[, error][, manifest]} (a resource's manifest entry), the
// same whether the run just committed it or bootstrap --rebuild read it back.
std::string encode_catalog_sources(const checkpoint& c);

}  // namespace cairn::repo
