// What a source's walk reports: the totals of a counting walk, the result of
// a backup walk (one root node per target), and what sealing one chunk gave.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/id.hpp"
#include "repo/checkpoint.hpp"
#include "repo/tree.hpp"

namespace cairn::backup {

struct source_totals {
  uint64_t files = 0;
  uint64_t dirs = 0;
  uint64_t bytes = 0;          // total size of the files
  uint64_t files_to_read = 0;  // quick content id changed or unknown
  uint64_t bytes_to_read = 0;
};

struct source_result {
  std::vector<repo::node> roots;        // per target: the source as one directory node
  uint32_t failed = 0;                  // bit i: target i failed during the run
  std::vector<std::string> target_errors;  // per target, empty when fine
  std::vector<std::string> skipped;     // "path: reason" for entries that could not be read
  repo::checkpoint_stats stats;
  // A resource: what its backup command printed (JSON text or ""), and the
  // sensitive paths found in its staging folder (stored only on targets that encrypt).
  std::string metadata;
  std::vector<std::string> sensitive_found;
  uint64_t sensitive_files = 0;  // of stats.files and stats.bytes: what targets that do not encrypt lack
  uint64_t sensitive_bytes = 0;
  // A staged source (resource, sqlite, command) whose staging failed: why, in
  // one line. It failed alone: `roots` is empty and nothing of it is stored.
  std::string source_error;
};

// One chunk sealed for several targets.
struct seal_result {
  std::vector<object_id> ids;      // per target
  uint32_t failed = 0;             // bit i: storing in target i failed
  std::vector<std::string> errors; // per failed target
  uint64_t bytes_new = 0;          // plaintext bytes that were new somewhere
  uint64_t bytes_stored = 0;       // encoded bytes handed to targets
};

}  // namespace cairn::backup
