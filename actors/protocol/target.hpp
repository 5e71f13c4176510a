// Target protocol: one target actor per repository and run. It opens the
// repository (unlocking through the keyring), packs new blobs, uploads packs
// through its uploaders, writes index files as packs land, and commits a
// checkpoint last. Replies to `store` are the backpressure of the pipeline.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/protocol/atoms.hpp"
#include "base/bytes.hpp"
#include "repo/repository.hpp"

namespace cairn {

enum class open_mode : uint8_t {
  read,        // browse, restore, check
  write,       // backup: takes a shared lock, recovers unindexed packs
  create,      // init: creates the repository when missing, then like read
  state,       // header and keys only (no index, no lock): to write a suite state
};

struct open_result {
  std::shared_ptr<repo::repository> repo;
  bool created = false;
  std::string slot;                   // the key slot that opened it
  std::vector<std::string> warnings;  // from loading the index
};

struct blob_store_request {
  repo::blob_type type = repo::blob_type::data;
  object_id id;
  chunk_ptr encoded;  // [encoding byte][payload]
  uint32_t raw_length = 0;
};

struct commit_request {
  repo::checkpoint checkpoint;  // stats are completed by the target
};

struct commit_result {
  object_id id;
  repo::checkpoint checkpoint;
};

struct suite_object {
  chunk_ptr bytes;
  int64_t time_ns = 0;
  size_t keep = 5;  // generations kept
};

struct upload_job {
  std::shared_ptr<const repo::finished_pack> pack;
};

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::open_mode)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::open_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::blob_store_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::commit_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::commit_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::upload_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::suite_object)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_target, ::cairn::ids::target)
  CAF_ADD_TYPE_ID(cairn_target, (cairn::open_mode))
  CAF_ADD_TYPE_ID(cairn_target, (cairn::open_result))
  CAF_ADD_TYPE_ID(cairn_target, (cairn::blob_store_request))
  CAF_ADD_TYPE_ID(cairn_target, (cairn::commit_request))
  CAF_ADD_TYPE_ID(cairn_target, (cairn::commit_result))
  CAF_ADD_TYPE_ID(cairn_target, (cairn::upload_job))
  CAF_ADD_TYPE_ID(cairn_target, (cairn::suite_object))
CAF_END_TYPE_ID_BLOCK(cairn_target)

namespace cairn {

using target_actor = caf::typed_actor<
  // Opens the repository (read, write or create); see open_mode.
  caf::replies_to<atom::open, open_mode>::with<open_result>,
  // Seals a new blob into the current pack; the reply comes once accepted.
  caf::replies_to<atom::store, blob_store_request>::with<bool>,
  // Uploads what is pending and writes its index file; the reply comes once
  // every pack of the session is stored and indexed (no checkpoint yet).
  caf::replies_to<atom::flush>::with<bool>,
  // Uploads what is pending, writes the index, then the checkpoint (after a
  // flush: only the checkpoint, one object write).
  caf::replies_to<atom::commit, commit_request>::with<commit_result>,
  // Stops the session: uploads in flight finish and get indexed, the rest is dropped.
  caf::replies_to<atom::abort>::with<bool>,
  // Timer: rewrites the repository lock so others do not take it for stale.
  caf::reacts_to<atom::refresh>,
  // Timer: uploads held back by a pause look again.
  caf::reacts_to<atom::resume>,
  // Writes a suite-state generation and its pointer, then prunes old ones.
  caf::replies_to<atom::record, suite_object>::with<bool>>;

using uploader_actor = caf::typed_actor<
  // Stores one finished pack on the target (blocking I/O on its own thread).
  caf::replies_to<atom::upload, upload_job>::with<bool>>;

}  // namespace cairn
