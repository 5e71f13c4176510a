// Reading a single-file archive (docs/FORMAT.md, "Single-file archives").
// Every byte is treated as written by an attacker: lengths, counts and depths
// are bounded before they size anything. The table of contents at the end
// says where each record is; when it is missing or damaged (a truncated
// file), the records are found by scanning for their sync marks, so a damaged
// region costs only the blobs inside it. Not synchronized: one per thread.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "archive/archive_key.hpp"
#include "repo/checkpoint.hpp"
#include "repo/tree.hpp"

namespace cairn::archive {

// Reads `n` bytes at `offset` (fewer at the end); the archive's bytes.
struct byte_source {
  uint64_t size = 0;
  std::function<expected<byte_buffer>(uint64_t offset, size_t n)> read_at;
};
// A file, read with pread.
expected<byte_source> file_source(const std::string& path);
// Bytes in memory (tests, fuzzing); `data` must outlive the source.
byte_source memory_source(byte_view data);

struct archive_info {
  protection kind = protection::plain;
  std::optional<repo::checkpoint> checkpoint;  // from the meta record (tree = the archive's root)
  object_id checkpoint_id;                     // in the repository it came from
  std::vector<std::string> paths;              // --path selections of the export
  object_id root;                              // the root tree
  bool toc_found = false;                      // false: records were found by scanning
  uint64_t records = 0;                        // that were found and open
  std::vector<std::string> damage;             // what was skipped, one line each
};

// Gives the credential once the header says which kind it needs.
using credential_source = std::function<expected<credential>(protection kind)>;

class archive_reader {
public:
  // auth: a wrong passphrase or keyfile (one line); corrupt: not an archive,
  // or nothing in it opens; unsupported: a newer format version.
  static expected<std::unique_ptr<archive_reader>> open(byte_source source, const credential_source& key,
                                                        const std::string& name);
  const archive_info& info() const { return info_; }
  bool has(const object_id& id) const { return blobs_.count(id) != 0; }
  // Where a blob's record is, its plaintext size, and the order in which
  // the file holds it (`ordinal`).
  struct place {
    record_type type;
    uint64_t offset;
    uint32_t ordinal;
    uint32_t raw_length;
  };
  std::optional<place> find(const object_id& id) const;
  expected<repo::tree> read_tree(const object_id& id);
  // A data blob's plaintext; corrupt naming the archive when its record is damaged.
  expected<byte_buffer> read_data(const object_id& id);

private:
  archive_reader(byte_source source, std::string name) : source_(std::move(source)), name_(std::move(name)) {}
  // The record at `offset`: its frame and opened payload.
  expected<std::pair<frame, byte_buffer>> read_record(uint64_t offset);
  expected<byte_buffer> read_blob(const object_id& id, record_type type);
  status load_toc();
  status scan();
  status add_blob(record_type type, byte_view payload, uint64_t offset);
  static uint64_t max_raw(record_type type);
  status read_meta(byte_view payload);

  byte_source source_;
  std::string name_;
  header header_;
  std::unique_ptr<record_cipher> cipher_;
  archive_info info_;
  std::unordered_map<object_id, place> blobs_;
  uint64_t read_bytes_ = 0;  // by read_record: bounds the work of a scan
};

}  // namespace cairn::archive
