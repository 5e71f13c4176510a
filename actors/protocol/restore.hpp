// Restore protocol: the restore actor plans from the checkpoint's trees,
// fetches packs several at a time through its fetchers, verifies every blob,
// writes files at their offsets and restores metadata last.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <atomic>
#include <filesystem>
#include <map>

#include "actors/protocol/atoms.hpp"
#include "recovery/restore_execution.hpp"
#include "repo/repository.hpp"

namespace cairn {

struct restore_request {
  std::shared_ptr<repo::repository> repo;
  object_id checkpoint;
  std::filesystem::path to;
  std::vector<std::string> paths;  // "source/dir/file"; empty: everything
  bool owners = true;              // chown when running as root
  // Asked for by another user than this process's (through the API): the
  // destination must be theirs, and what is restored becomes theirs.
  std::optional<fs::owner_override> as_owner;
  // Post-restore steps come from the local YAML (source name -> command):
  // those a checkpoint carries came from the target and run only with
  // `run_checkpoint_steps` (cairn restore --run-post-restore).
  std::map<std::string, std::string> local_post_restore;
  bool run_checkpoint_steps = false;
  // cairn restore --delete: first remove what the restored directories hold
  // that the checkpoint does not (recovery/restore_mirror.hpp).
  bool delete_extra = false;
  // Set (from any thread) to cancel: no new file or pack read starts, the
  // temporary files of unfinished ones are removed, and the reply is the
  // error `cancelled`. Files renamed into place before it stay.
  std::shared_ptr<std::atomic<bool>> cancel;
};

struct post_restore_result {
  std::string source;
  std::string command;
  int exit_code = 0;
  std::string output;  // the last lines it printed
  bool ran = true;     // false: the checkpoint's step, shown but not run (no consent)
};

struct restore_report {
  uint64_t files = 0;           // restored entirely
  uint64_t files_failed = 0;    // not restored (named in damaged)
  uint64_t dirs = 0;
  uint64_t links = 0;
  uint64_t bytes = 0;           // content restored
  uint64_t bytes_fetched = 0;   // read from the target
  uint64_t bytes_reused = 0;    // already in place in an older copy at the destination
  std::vector<std::string> damaged;  // "path: reason": not restored, or not entirely
  std::vector<std::string> warnings; // metadata that could not be applied
  std::vector<std::string> removed;  // --delete: entries removed (a directory is one)
  std::vector<post_restore_result> post_restore;  // steps run (or withheld) after the restore
};

enum class fetch_kind : uint8_t {
  create,    // entries [begin, end): directories, symlinks, special and empty files
  reuse,     // entries [begin, end): find chunks already in place in existing files
  pack,      // plan.packs[begin]: fetch, verify and write its blobs
  finish,    // entries [begin, end): files restored entirely renamed into place
  metadata,  // entries [begin, end): owner, xattrs, mode, mtime
};

// One unit of restore work for a fetcher.
struct fetch_job {
  fetch_kind kind = fetch_kind::pack;
  size_t begin = 0;
  size_t end = 0;
  std::shared_ptr<recovery::restore_execution> execution;
};

using fetch_result = recovery::fetch_outcome;

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::restore_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::restore_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::fetch_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::recovery::fetch_outcome)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_restore, ::cairn::ids::restore)
  CAF_ADD_TYPE_ID(cairn_restore, (cairn::restore_request))
  CAF_ADD_TYPE_ID(cairn_restore, (cairn::restore_report))
  CAF_ADD_TYPE_ID(cairn_restore, (cairn::fetch_job))
  CAF_ADD_TYPE_ID(cairn_restore, (cairn::recovery::fetch_outcome))
CAF_END_TYPE_ID_BLOCK(cairn_restore)

namespace cairn {

using restore_actor = caf::typed_actor<
  // Restores (part of) a checkpoint into a directory.
  caf::replies_to<atom::restore, restore_request>::with<restore_report>>;

using fetcher_actor = caf::typed_actor<
  // Does one unit of restore work (see fetch_kind) on its own thread.
  caf::replies_to<atom::fetch, fetch_job>::with<fetch_result>>;

}  // namespace cairn
