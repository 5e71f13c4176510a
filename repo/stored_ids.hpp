// A write-only machine's record of the blobs it has stored, because it cannot
// read the repository's index: per index file it wrote, the ids of the blobs
// that file names (no sizes, no locations). Lives in the state directory; a
// record is appended after each index file is stored, and on loading only the
// records of index files the target still lists count (a prune removes index
// files, and their blobs may be gone). Layout: docs/FORMAT.md ("Write-only
// repositories"). Free functions; a file has one writer at a time.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "base/error.hpp"
#include "base/id.hpp"

namespace cairn::repo {

struct stored_ids_record {
  object_id index_file;
  std::vector<object_id> blobs;
};

struct stored_ids_contents {
  std::vector<stored_ids_record> records;
  bool damaged_tail = false;  // a torn or damaged record ended the reading there
};

// Decodes the bytes of a record file. corrupt when the header is not ours;
// a damaged record stops the decoding (damaged_tail) and keeps what precedes it.
expected<stored_ids_contents> decode_stored_ids(byte_view bytes);
byte_buffer encode_stored_ids_record(const stored_ids_record& record);
// The header every record file starts with.
byte_view stored_ids_header();

// Appends one record (creating the file 0600 with its header), fsynced.
status append_stored_ids(const std::filesystem::path& file, const stored_ids_record& record);

// Where a machine keeps the record of one repository: state_dir/stored-ids/ID.ids.
inline std::filesystem::path stored_ids_dir(const std::filesystem::path& state_dir) {
  return state_dir / "stored-ids";
}
inline std::filesystem::path stored_ids_file(const std::filesystem::path& dir, const std::string& repository_id) {
  return dir / (repository_id + ".ids");
}

// The blob ids of the records whose index file is in `live_index_files`.
// A missing file is an empty record.
expected<std::unordered_set<object_id>> load_stored_ids(const std::filesystem::path& file,
                                                        const std::unordered_set<object_id>& live_index_files);

}  // namespace cairn::repo
