// The file cache of a write-only machine (docs/THREAT-MODEL.md): a
// directory's entries are stored under a keyed hash of its path, sealed with
// a key only the machine's writer secret gives. The catalog sees only this
// interface (it knows no crypto); actors/ implements it. Implementations are
// immutable and safe to share between threads.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace cairn::catalog {

struct cache_entry;

class cache_seal {
public:
  virtual ~cache_seal() = default;
  // The row key of one directory of one plan and target: a keyed hash, so
  // the catalog holds no path.
  virtual std::string name_of(std::string_view plan, std::string_view target, std::string_view directory) const = 0;
  // Seals a directory's encoded entries for `target`, bound to `name`.
  virtual byte_buffer seal(std::string_view target, std::string_view name, byte_view plaintext) const = 0;
  // corrupt when the bytes are damaged or were sealed under another key.
  virtual expected<byte_buffer> open(std::string_view target, std::string_view name, byte_view sealed) const = 0;
  // Stamped on every directory stored in this run: rows of a source with an
  // older stamp were not visited and are dropped at the end of the walk.
  virtual int64_t generation() const = 0;
};

// The plaintext of one sealed row (docs/FORMAT.md, "File cache of a
// write-only machine"). Decoding bounds every count by the bytes present.
byte_buffer encode_cache_entries(const std::vector<cache_entry>& entries);
expected<std::vector<cache_entry>> decode_cache_entries(byte_view bytes);

}  // namespace cairn::catalog
