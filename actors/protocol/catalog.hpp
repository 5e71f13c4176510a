// Catalog protocol: the catalog actor is the single SQLite writer. Readers that
// need many small lookups (the dir source) open their own read-only catalog.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/protocol/atoms.hpp"
#include "base/bytes.hpp"
#include "catalog/cache_seal.hpp"
#include "catalog/catalog.hpp"
#include "catalog/file_cache_update.hpp"

namespace cairn {

using catalog::file_cache_update;

struct target_record {
  std::string name;
  std::string description;
  std::string repository_id;
};

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::catalog::file_cache_update)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::target_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::catalog::checkpoint_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::catalog::run_row)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<cairn::catalog::checkpoint_row>)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_catalog, ::cairn::ids::catalog)
  CAF_ADD_TYPE_ID(cairn_catalog, (cairn::catalog::file_cache_update))
  CAF_ADD_TYPE_ID(cairn_catalog, (cairn::target_record))
  CAF_ADD_TYPE_ID(cairn_catalog, (cairn::catalog::checkpoint_row))
  CAF_ADD_TYPE_ID(cairn_catalog, (cairn::catalog::run_row))
CAF_END_TYPE_ID_BLOCK(cairn_catalog)

namespace cairn {

using catalog_actor = caf::typed_actor<
  // Records a committed checkpoint.
  caf::replies_to<atom::record, catalog::checkpoint_row>::with<bool>,
  // Records which repository a target holds.
  caf::replies_to<atom::record, target_record>::with<bool>,
  // Replaces one directory's file-cache entries, or ends a walk of a sealed
  // file cache (fire and forget).
  caf::reacts_to<atom::store, file_cache_update>,
  // Starts a run of a plan; replies with the run id.
  caf::replies_to<atom::begin, std::string>::with<int64_t>,
  // Finishes a run with its outcome.
  caf::replies_to<atom::finish, catalog::run_row>::with<bool>,
  // Lists checkpoints (plan, target; empty matches all), newest first.
  caf::replies_to<atom::list, std::string, std::string>::with<std::vector<catalog::checkpoint_row>>,
  // Forgets a checkpoint of a target (removed from the target first).
  caf::replies_to<atom::forget, std::string, std::string>::with<bool>,
  // Reads a suite setting ("" when unset).
  caf::replies_to<atom::get, std::string>::with<std::string>,
  // Writes a suite setting.
  caf::replies_to<atom::set, std::string, std::string>::with<bool>,
  // A copy of the catalog without its file cache, for the suite-state backup.
  caf::replies_to<atom::snapshot, catalog::run_row>::with<chunk_ptr>>;

}  // namespace cairn
