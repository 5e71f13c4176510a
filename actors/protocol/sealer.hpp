// Sealer protocol: a pool of workers that give each new chunk its id per
// target (keyed hashes differ per repository), claim it in that target's index,
// compress it once and hand it to the target actors. CPU work; scheduled actors.
#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/protocol/target.hpp"
#include "backup/results.hpp"

namespace cairn {

struct seal_target {
  target_actor actor;
  std::shared_ptr<repo::repository> repo;
};

// Fixed for one run; shared by all jobs.
struct seal_context {
  std::vector<seal_target> targets;
  int zstd_level = 3;
};

struct seal_job {
  chunk_ptr data;
  std::shared_ptr<const seal_context> context;
  uint32_t active = ~0u;  // bit i: target i is still healthy
  repo::blob_type type = repo::blob_type::data;
};

using backup::seal_result;

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::seal_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::backup::seal_result)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_sealer, ::cairn::ids::sealer)
  CAF_ADD_TYPE_ID(cairn_sealer, (cairn::seal_job))
  CAF_ADD_TYPE_ID(cairn_sealer, (cairn::backup::seal_result))
CAF_END_TYPE_ID_BLOCK(cairn_sealer)

namespace cairn {

using sealer_actor = caf::typed_actor<
  // Ids, claims, compresses and stores one chunk in every active target.
  caf::replies_to<atom::seal, seal_job>::with<seal_result>>;

}  // namespace cairn
