// Source protocol: a dir source walks its tree twice — first to count what
// must be read (files whose quick content id changed), then to back it up —
// and replies with its root node for every target.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/protocol/atoms.hpp"
#include "repo/checkpoint.hpp"
#include "repo/tree.hpp"

namespace cairn {

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

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::source_totals)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::source_result)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_source, ::cairn::ids::source)
  CAF_ADD_TYPE_ID(cairn_source, (cairn::source_totals))
  CAF_ADD_TYPE_ID(cairn_source, (cairn::source_result))
CAF_END_TYPE_ID_BLOCK(cairn_source)

namespace cairn {

using source_actor = caf::typed_actor<
  // Counts files and the bytes that will have to be read.
  caf::replies_to<atom::scan>::with<source_totals>,
  // Backs the source up; replies when every blob was accepted by the targets.
  caf::replies_to<atom::run>::with<source_result>,
  // Internal: continue walking and reading while the window allows.
  caf::reacts_to<atom::resume>,
  // Stops early; the pending `run` fails with cancelled.
  caf::reacts_to<atom::stop>>;

}  // namespace cairn
