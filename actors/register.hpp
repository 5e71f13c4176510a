// Registers every protocol's types and our error category with an actor
// system configuration; used by main and by test fixtures.
#pragma once

#include <caf/actor_system_config.hpp>

namespace cairn::actors {

void register_protocols(caf::actor_system_config& cfg);

}  // namespace cairn::actors
