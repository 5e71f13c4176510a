// A sealer worker (see protocol/sealer.hpp). Scheduled, CPU-bound; several run
// in parallel so hashing and compression keep every core busy.
#pragma once

#include "actors/protocol/sealer.hpp"
#include "crypto/id_hasher.hpp"

namespace cairn::actors {

struct sealer_state {
  static inline const char* name = "sealer";
  std::shared_ptr<const seal_context> context;  // the run the hashers belong to
  std::vector<crypto::id_hasher> hashers;       // per target; not thread-safe, so per sealer
};

sealer_actor::behavior_type sealer(sealer_actor::stateful_pointer<sealer_state> self);

}  // namespace cairn::actors
