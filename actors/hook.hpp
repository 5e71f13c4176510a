// The hook actor: runs a plan's `before` or `after` command (fs/command.hpp)
// on its own thread. Detached: the command blocks.
#pragma once

#include "actors/protocol/hook.hpp"

namespace cairn::actors {

hook_actor::behavior_type hook(hook_actor::pointer self);

}  // namespace cairn::actors
