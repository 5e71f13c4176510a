// Hook protocol: a plan's `before` and `after` commands run in a detached
// hook actor (they block), which replies with how they ended.
#pragma once

#include "actors/protocol/atoms.hpp"

namespace cairn {

struct hook_request {
  std::string command;                                      // run by /bin/sh -c
  std::vector<std::pair<std::string, std::string>> environment;
  std::shared_ptr<const std::atomic<bool>> cancel;          // set: the command is terminated
};

struct hook_outcome {
  int exit_code = 0;
  std::string error;  // it could not run, or its stderr's last lines when it failed
};

}  // namespace cairn

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::hook_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(cairn::hook_outcome)

CAF_BEGIN_TYPE_ID_BLOCK(cairn_hook, ::cairn::ids::hook)
  CAF_ADD_TYPE_ID(cairn_hook, (cairn::hook_request))
  CAF_ADD_TYPE_ID(cairn_hook, (cairn::hook_outcome))
CAF_END_TYPE_ID_BLOCK(cairn_hook)

namespace cairn {

using hook_actor = caf::typed_actor<
  // Runs one command to its end and says how it ended.
  caf::replies_to<atom::run, hook_request>::with<hook_outcome>>;

}  // namespace cairn
